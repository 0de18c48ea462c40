"""TF-IDF n-gram features and linear models that run on numpy alone.

Training scripts fit scikit-learn's ``TfidfVectorizer`` and linear models (the ``train`` extra);
``Tfidf.from_sklearn`` and ``LinearModel`` keep only what prediction needs, so the default install
carries neither scikit-learn nor scipy. The analyzers reproduce scikit-learn's ``word``, ``char``
and ``char_wb`` analyzers term for term (``tests/analysis/test_features.py`` checks it against
scikit-learn), with ``lowercase``, ``sublinear_tf`` or ``binary`` term frequencies, ``use_idf`` and
an L2 norm or none per vectorizer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

_WORD = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")
_SEP = "\x00"
ANALYZERS = ("word", "char", "char_wb")


@dataclass(frozen=True)
class SparseRows:
    """Row-compressed sparse matrix (``indptr``, ``indices``, ``data``) of ``n_rows`` texts."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``self @ weights`` for a dense ``(n_cols, k)`` matrix; empty rows give zeros."""
        out = np.zeros((self.n_rows, weights.shape[1]), dtype=np.float64)
        if len(self.indices) == 0:
            return out
        products = weights[self.indices].astype(np.float64) * self.data[:, None]
        starts = self.indptr[:-1]
        nonempty = self.indptr[1:] > starts
        sums = np.add.reduceat(products, starts[nonempty], axis=0)
        out[nonempty] = sums
        return out

    @staticmethod
    def hstack(blocks: Sequence[SparseRows]) -> SparseRows:
        """Columns of ``blocks`` side by side (each block keeps its own column range)."""
        if len(blocks) == 1:
            return blocks[0]
        n_rows = blocks[0].n_rows
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        for block in blocks:
            indptr[1:] += np.diff(block.indptr)
        np.cumsum(indptr, out=indptr)
        indices = np.empty(indptr[-1], dtype=np.int64)
        data = np.empty(indptr[-1], dtype=np.float64)
        offset = 0
        cursor = indptr[:-1].copy()
        for block in blocks:
            lengths = np.diff(block.indptr)
            for row in range(n_rows):
                length = lengths[row]
                if length:
                    start = block.indptr[row]
                    at = cursor[row]
                    indices[at : at + length] = block.indices[start : start + length] + offset
                    data[at : at + length] = block.data[start : start + length]
                    cursor[row] += length
            offset += block.n_cols
        return SparseRows(indptr, indices, data, offset)


class Tfidf:
    """A fitted TF-IDF vectorizer reduced to its vocabulary and IDF weights.

    ``binary=True, use_idf=False, norm=None`` gives n-gram presence (0/1) features.
    """

    def __init__(
        self,
        *,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        sublinear_tf: bool = True,
        binary: bool = False,
        use_idf: bool = True,
        norm: str | None = "l2",
    ) -> None:
        if analyzer not in ANALYZERS:
            raise ValueError(f"analyzer must be one of {ANALYZERS}, not {analyzer!r}")
        if norm not in ("l2", None):
            raise ValueError(f"norm must be 'l2' or None, not {norm!r}")
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.sublinear_tf = sublinear_tf
        self.binary = binary
        self.use_idf = use_idf
        self.norm = norm

    vocabulary_: dict[str, int]
    idf_: np.ndarray

    @classmethod
    def from_sklearn(cls, vectorizer: Any) -> Tfidf:
        """Keep a fitted scikit-learn ``TfidfVectorizer``'s state (training time only)."""
        params = vectorizer.get_params()
        unsupported = {
            "strip_accents": None,
            "stop_words": None,
            "preprocessor": None,
            "tokenizer": None,
        }
        for key, expected in unsupported.items():
            if params[key] != expected:
                raise ValueError(f"TfidfVectorizer({key}={params[key]!r}) is not supported")
        if params["norm"] not in ("l2", None):
            raise ValueError(f"TfidfVectorizer(norm={params['norm']!r}) is not supported")
        if params["analyzer"] == "word" and params["token_pattern"] != _WORD.pattern:
            raise ValueError("only the default token_pattern is supported")
        model = cls(
            analyzer=params["analyzer"],
            ngram_range=tuple(params["ngram_range"]),
            lowercase=params["lowercase"],
            sublinear_tf=params["sublinear_tf"],
            binary=params["binary"],
            use_idf=params["use_idf"],
            norm=params["norm"],
        )
        model.vocabulary_ = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
        n = len(model.vocabulary_)
        idf = vectorizer.idf_ if model.use_idf else np.ones(n)
        model.idf_ = np.asarray(idf, dtype=np.float32)
        return model

    @property
    def n_features(self) -> int:
        return len(self.vocabulary_)

    def terms(self, text: str) -> list[str]:
        """The n-grams the analyzer extracts from ``text`` (before the vocabulary filter)."""
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "word":
            return _word_ngrams(_WORD.findall(text), low, high)
        text = _WHITE_SPACES.sub(" ", text)
        if self.analyzer == "char":
            return _char_ngrams(text, low, high)
        return _char_wb_ngrams(text, low, high)

    def transform(self, texts: Iterable[str]) -> SparseRows:
        """TF-IDF rows (L2-normalized unless ``norm`` is None) over the fitted vocabulary."""
        vocabulary = self.vocabulary_
        idf = self.idf_
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            counts = Counter(
                index for term in self.terms(text) if (index := vocabulary.get(term)) is not None
            )
            if counts:
                row_indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                if self.binary:
                    values = np.ones(len(counts))
                else:
                    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                    if self.sublinear_tf:
                        values = np.log(values) + 1.0
                if self.use_idf:
                    values = values * idf[row_indices]
                if self.norm == "l2":
                    norm = math.sqrt(float(values @ values))
                    if norm > 0:
                        values /= norm
                order = np.argsort(row_indices)
                indices.extend(row_indices[order].tolist())
                data.extend(values[order].tolist())
            indptr.append(len(indices))
        return SparseRows(
            np.asarray(indptr, dtype=np.int64),
            np.asarray(indices, dtype=np.int64),
            np.asarray(data, dtype=np.float64),
            self.n_features,
        )

    def to_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(meta, arrays)`` for an ``Artifact``; terms are stored NUL-joined in index order."""
        terms = [""] * len(self.vocabulary_)
        for term, index in self.vocabulary_.items():
            if _SEP in term:
                raise ValueError(f"vocabulary term {term!r} contains NUL")
            terms[index] = term
        meta = {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "lowercase": self.lowercase,
            "sublinear_tf": self.sublinear_tf,
        }
        arrays = {f"{prefix}.terms": np.frombuffer(_SEP.join(terms).encode("utf-8"), np.uint8)}
        if self.use_idf:
            arrays[f"{prefix}.idf"] = self.idf_.astype(np.float32)
        else:
            meta["use_idf"] = False  # presence or count features carry no weights
        if self.binary:
            meta["binary"] = True
        if self.norm is None:
            meta["norm"] = None
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str) -> Tfidf:
        model = cls(
            analyzer=meta["analyzer"],
            ngram_range=(int(meta["ngram_range"][0]), int(meta["ngram_range"][1])),
            lowercase=bool(meta["lowercase"]),
            sublinear_tf=bool(meta["sublinear_tf"]),
            binary=bool(meta.get("binary", False)),
            use_idf=bool(meta.get("use_idf", True)),
            norm=meta.get("norm", "l2"),
        )
        raw = arrays[f"{prefix}.terms"].tobytes().decode("utf-8")
        terms = raw.split(_SEP) if raw else []
        model.vocabulary_ = {term: index for index, term in enumerate(terms)}
        if not model.use_idf:
            model.idf_ = np.ones(len(terms))
            return model
        model.idf_ = arrays[f"{prefix}.idf"].astype(np.float64)
        if len(model.vocabulary_) != len(model.idf_):
            raise ValueError(f"{prefix}: {len(terms)} terms but {len(model.idf_)} idf weights")
        return model


class LinearModel:
    """Linear scores over side-by-side TF-IDF blocks: ``hstack(blocks) @ coef_ + intercept_``.

    ``coef_`` is ``(n_features, n_outputs)``; it may be stored as float16 to halve the artifact.
    """

    def __init__(self, vectorizers: Sequence[Tfidf]) -> None:
        self.vectorizers = list(vectorizers)

    coef_: np.ndarray
    intercept_: np.ndarray

    def features(self, texts: Sequence[str]) -> SparseRows:
        return SparseRows.hstack([v.transform(texts) for v in self.vectorizers])

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), n_outputs)`` raw scores."""
        scores = self.features(texts).dot(self.coef_)
        return scores + self.intercept_.astype(np.float64)

    def to_state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta: dict[str, Any] = {"vectorizers": []}
        arrays: dict[str, np.ndarray] = {
            f"{prefix}.coef": self.coef_,
            f"{prefix}.intercept": self.intercept_.astype(np.float32),
        }
        for i, vectorizer in enumerate(self.vectorizers):
            v_meta, v_arrays = vectorizer.to_state(f"{prefix}.v{i}")
            meta["vectorizers"].append(v_meta)
            arrays.update(v_arrays)
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str
    ) -> LinearModel:
        vectorizers = [
            Tfidf.from_state(v_meta, arrays, f"{prefix}.v{i}")
            for i, v_meta in enumerate(meta["vectorizers"])
        ]
        model = cls(vectorizers)
        model.coef_ = arrays[f"{prefix}.coef"].astype(np.float32)
        model.intercept_ = arrays[f"{prefix}.intercept"].astype(np.float64)
        expected = sum(v.n_features for v in vectorizers)
        if model.coef_.shape[0] != expected:
            raise ValueError(f"{prefix}: coef has {model.coef_.shape[0]} rows, not {expected}")
        return model


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def sigmoid(scores: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(scores, -500, 500))))


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    if high == 1:
        return tokens
    n_tokens = len(tokens)
    out = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, n_tokens) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(n_tokens - n + 1))
    return out


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    length = len(text)
    out = list(text) if low == 1 else []
    for n in range(max(low, 2), min(high, length) + 1):
        out.extend(text[i : i + n] for i in range(length - n + 1))
    return out


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    out: list[str] = []
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            out.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                out.append(padded[offset : offset + n])
            if offset == 0:
                break
    return out
