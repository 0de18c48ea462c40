"""Language identification for marketing copy: ISO 639-1 code and a calibrated confidence.

The detector is py3langid's naive Bayes model over byte n-grams (BSD-3-Clause; the model ships
in its wheel), restricted to a candidate set. Fewer candidates means fewer confusions: on
30-character prefixes of the shared language-ID data, all 114 languages give clearly worse
accuracy than the 28 languages of ``DEFAULT_LANGUAGES`` (``benchmarks/analysis.py language``).
A contact's or caller's locale acts as a mild prior (``PRIOR_WEIGHT`` times more likely than any
other candidate): enough to settle Danish/Norwegian or Spanish/Portuguese on a short subject line,
never enough to turn clear English into German, which is the mismatch bulk QA exists to catch.

Text without letters (empty, digits, emoji only) has no language: ``language`` is ``None`` with
confidence 0. Mixed-language text reports its main language (the one most of its n-grams favour).
"""

from __future__ import annotations

import contextlib
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from brandloom.errors import ValidationFailed

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier as _Identifier

DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "es", "fr", "de", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs", "ro",
    "hu", "el", "tr", "ru", "uk", "ar", "he", "hi", "zh", "ja", "ko", "id", "vi", "th",
)  # fmt: skip
"""The default candidates: the languages marketing teams send in most."""

PRIOR_WEIGHT = 4.0
"""How many times more likely a hinted language is a priori than each other candidate."""

# The model's own label -> ISO 639-1 (its Norwegian is Bokmål-dominated text labelled "no").
_TO_ISO = {"no": "nb"}
_FROM_ISO = {iso: label for label, iso in _TO_ISO.items()}


class UnknownLanguage(ValidationFailed):
    code = "analysis.unknown_language"


@dataclass(frozen=True, slots=True)
class Detection:
    """A text's main language (``None`` when it has no letters) and the posterior probability."""

    language: str | None
    confidence: float


@cache
def _identifier() -> _Identifier:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _model_arrays(MODEL_DIR / MODEL_FILE)
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


def _model_arrays(source: Path) -> tuple[Any, ...]:
    """py3langid's model: ``(ptc, pc, classes, nextmove, row, output)`` as its loader returns it.

    The wheel ships the model LZMA-compressed: unpacking it takes about 0.6 s, paid by every
    process that detects a language (each bulk worker). The first one keeps the plain arrays in
    the cache directory (``BRANDLOOM_CACHE_DIR``, 68 MB, a folder named after the package
    version), which later processes map into memory instead of reading: opening costs a few
    milliseconds, and every worker on the machine shares the same pages. Without a writable cache
    directory every process unpacks the model itself.
    """
    from brandloom.analysis.artifacts import cache_dir

    cache = cache_dir()
    stat = source.stat()
    folder = cache / f"py3langid-{_package_version()}-{stat.st_size}" if cache else None
    if folder is not None:
        mapped = _mapped(folder)
        if mapped is not None:
            return mapped
    from py3langid import modelio

    arrays = modelio.load_model(source)
    if folder is not None:
        _store(folder, arrays)
    return arrays  # type: ignore[no-any-return]


_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _mapped(folder: Path) -> tuple[Any, ...] | None:
    """The cached arrays, memory-mapped (read-only); None when the cache is incomplete."""
    import numpy as np

    try:
        data = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in _ARRAYS
        }
    except (OSError, ValueError):
        return None  # missing or unreadable: unpack again and replace it
    # The DFA is walked one byte at a time in Python: a memoryview indexes as fast as an array.
    return (
        data["ptc"],
        np.asarray(data["pc"]),
        data["classes"].tolist(),
        memoryview(data["nextmove"]),
        data["nextmove_row"].tolist(),
        memoryview(data["out_feat"]),
    )


def _save(value: Any, out: BinaryIO) -> None:
    import numpy as np

    np.save(out, value, allow_pickle=False)


def _store(folder: Path, arrays: tuple[Any, ...]) -> None:
    import numpy as np

    from brandloom.analysis.artifacts import write_cache_file

    ptc, pc, classes, nextmove, row, output = arrays
    values = {
        "ptc": ptc,
        "pc": pc,
        "classes": np.asarray(classes),
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "nextmove_row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "out_feat": np.asarray(output, dtype=np.int32),
    }
    for name in _ARRAYS:  # each file atomically: a reader sees whole files or none
        write_cache_file(folder / f"{name}.npy", partial(_save, values[name]))
    # the single archive earlier versions kept (read whole by every process)
    with contextlib.suppress(OSError):
        folder.with_name(f"{folder.name}.npz").unlink(missing_ok=True)


def _package_version() -> str:
    from importlib.metadata import version

    return version("py3langid")


def supported_languages() -> tuple[str, ...]:
    """Every ISO 639-1 code the model knows (pass them to ``languages=`` to widen the set)."""
    labels = _identifier().labels
    return tuple(sorted(_TO_ISO.get(label, label) for label in labels if len(label) == 2))


def check_languages(languages: Iterable[str]) -> tuple[str, ...]:
    """Normalized, de-duplicated candidate codes; raises naming the codes the model lacks."""
    known = set(supported_languages())
    normalized = (code.strip().lower() for code in languages)
    wanted = tuple(dict.fromkeys(_TO_ISO.get(code, code) for code in normalized))
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise UnknownLanguage(
            f"unknown language code(s) {', '.join(map(repr, unknown))}; "
            f"supported: {' '.join(sorted(known))}"
        )
    if not wanted:
        raise UnknownLanguage("the candidate language list is empty")
    return wanted


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


class LanguageDetector:
    """Detects one text's main language among ``languages`` with an optional locale prior.

    Instances are cheap views over one shared model; ``detect`` is pure and thread-safe.
    """

    def __init__(self, languages: Sequence[str] = DEFAULT_LANGUAGES) -> None:
        self.languages = check_languages(languages)
        identifier = _identifier()
        labels = {_FROM_ISO.get(code, code) for code in self.languages}
        columns = [i for i, label in enumerate(identifier.nb_classes) if label in labels]
        # The model's table restricted to our candidates, kept here so that detectors with
        # different candidate sets share one loaded model.
        self._ptc = identifier.nb_ptc[:, columns]
        self._pc = identifier.nb_pc[columns]
        self._codes = [
            _TO_ISO.get(identifier.nb_classes[i], identifier.nb_classes[i]) for i in columns
        ]
        self._index = {code: i for i, code in enumerate(self._codes)}

    def probabilities(self, text: str, *, prior: str | None = None) -> dict[str, float]:
        """Posterior over the candidates (empty when the text has no letters)."""
        import numpy as np
        from py3langid.langid import visit_counts

        if not _has_letters(text):
            return {}
        identifier = _identifier()
        encoded = identifier._encode(text)
        visits = visit_counts(
            identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, encoded
        )
        if not visits:
            return {}
        idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        scores = (np.log1p(counts) @ self._ptc[idx] + self._pc).astype(np.float64)
        # The model's own calibration: a temperature of sqrt(bytes) keeps the softmax honest
        # across lengths (a 30-byte subject line is less certain than a paragraph).
        scores /= math.sqrt(len(encoded) or 1)
        hint = self._index.get(prior) if prior else None
        if hint is not None:
            scores[hint] += math.log(PRIOR_WEIGHT)
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return dict(zip(self._codes, scores.tolist(), strict=True))

    def detect(self, text: str, *, prior: str | None = None) -> Detection:
        """The most likely language; ``prior`` is a language code or a locale tag (``de-AT``)."""
        probabilities = self.probabilities(text, prior=_language_of(prior))
        if not probabilities:
            return Detection(None, 0.0)
        code = max(probabilities, key=probabilities.__getitem__)
        return Detection(code, round(probabilities[code], 4))

    def detect_many(
        self, texts: Iterable[str], *, priors: Iterable[str | None] | None = None
    ) -> list[Detection]:
        texts = list(texts)
        hints = list(priors) if priors is not None else [None] * len(texts)
        return [self.detect(text, prior=hint) for text, hint in zip(texts, hints, strict=True)]


def _language_of(tag: str | None) -> str | None:
    if not tag:
        return None
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return _TO_ISO.get(language, language)


@cache
def detector(languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> LanguageDetector:
    """A shared detector per candidate set."""
    return LanguageDetector(languages)


def detect(text: str, *, locale: str | None = None) -> Detection:
    """Detect ``text``'s language among the default candidates, ``locale`` as a prior."""
    return detector().detect(text, prior=locale)
