"""brandloom.kit.text: normalization, tokenizer, phrase matcher and HTML-to-text, with their fast
paths checked against straightforward reference definitions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.kit import text as kit_text
from brandloom.kit.text import (
    PhraseMatcher,
    fast_lower,
    has_unspaced_script,
    normalize,
    scan,
    strip_html,
    words,
)

_NONWORD = re.compile(r"\W+")


def reference_scan(text: str) -> tuple[str, set[str], int, int, int]:
    """The straightforward definition: casefold, then the maximal runs of \\w characters; the
    ASCII letters and capitals and the ``!!!``/``$$$`` marks of the whole text."""
    folded = text.casefold().replace("\u2019", "'")
    letters = bytes(c for c in text.encode("ascii", "ignore") if chr(c).isalpha())
    upper = sum(1 for c in letters if chr(c).isupper())
    marks = ("!!!" in text) + 2 * ("$$$" in text)
    return folded, set(_NONWORD.sub(" ", folded).split()), len(letters), upper, marks


def _fields(scanned: Any) -> tuple[str, set[str], int, int, int]:
    return scanned.folded, set(scanned.words), scanned.letters, scanned.upper, scanned.marks


def _found(matcher: PhraseMatcher, text: str) -> list[str]:
    return sorted(matcher.labels[i] for i in matcher.find(scan(text)))


# --- normalization and tokenizer ------------------------------------------------------------


def test_normalize_casefolds_and_reads_typographic_apostrophes() -> None:
    assert normalize("STRASSE Straße") == "strasse strasse"
    assert normalize("Don’t") == "don't"
    assert normalize("ΣΑΣ") == "σασ"


def test_words_are_runs_of_word_characters() -> None:
    assert words("e-mail me, now_1!") == {"e", "mail", "me", "now_1"}
    assert words("prix: 10€ — café") == {"prix", "10", "café"}
    assert words("") == frozenset()


def test_unspaced_scripts_are_detected() -> None:
    for text in ("セール", "中文", "ภาษาไทย", "ｾｰﾙ", "sale セール"):
        assert has_unspaced_script(text), text
    for text in ("sale", "Straße", "مرحبا", "привет", "한국어"):
        assert not has_unspaced_script(text), text


def test_unspaced_text_is_one_word_so_phrases_in_it_match_as_substrings() -> None:
    assert words(normalize("今日はセールです")) == {"今日はセールです"}
    matcher = PhraseMatcher(["セール", "sale"])
    assert _found(matcher, "今日はセールです") == ["セール"]
    assert _found(matcher, "salesman") == []


# --- phrase matcher ---------------------------------------------------------------------------


def test_phrase_matcher_whole_words_case_and_whitespace() -> None:
    matcher = PhraseMatcher(["free", "act now", "e-mail", "Straße", "don't", "$$$"])
    assert _found(matcher, "FREE gift") == ["free"]
    assert _found(matcher, "freedom, carefree") == []
    assert _found(matcher, "Act\n  NOW please") == ["act now"]
    assert _found(matcher, "react now") == []
    assert _found(matcher, "act nowhere") == []
    assert _found(matcher, "send an E-Mail") == ["e-mail"]
    assert _found(matcher, "STRASSE 5") == ["Straße"]
    assert _found(matcher, "Don’t miss") == ["don't"]
    assert _found(matcher, "win $$$ today") == ["$$$"]


def test_phrase_matcher_labels_drop_blanks_and_duplicates() -> None:
    matcher = PhraseMatcher([" Free ", "FREE", "", "   ", "act  now", "Act now"])
    assert matcher.labels == ["Free", "act  now"]
    assert len(matcher) == 2
    assert not PhraseMatcher([])


# --- HTML to text -----------------------------------------------------------------------------


def test_strip_html_drops_tags_blocks_and_comments() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<!-- hidden --><p>Fish &amp; chips</p><script>var x = 1;</script>"
        "<P>Caf&eacute;</P></body></html>"
    )
    assert strip_html(html).split() == ["Fish", "&", "chips", "Café"]
    assert strip_html("no tags") == "no tags"


# --- fast paths against their reference implementations -------------------------------------

# Mostly ASCII with the characters that make the fast paths branch: case changes that alter the
# length (İ, ß, ﬁ), context-dependent casing (Σ), non-ASCII whitespace and word characters,
# combining marks, unspaced scripts, digits of other scripts, a lone surrogate, line breaks.
_TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "abcXYZ _-.,!'’\t\n\r\x0b\x0c\x1c\x85\u00a0\u2028\u3000·ßüÜİıﬁΣσςKÅ<>=\"/&;"
            "\u0301\u0660中ﾝ\ud800\U0001f600\U0001e900ǅⅧⒶ"
        ),
        st.characters(),
    ),
    max_size=80,
)


@settings(max_examples=2000)
@given(text=_TRICKY)
def test_scan_matches_reference(text: str) -> None:
    kit_text._line_scans.clear()
    cold = scan(text)
    warm = scan(text)  # now from the line cache
    for scanned in (cold, warm):
        assert _fields(scanned) == reference_scan(text)


@settings(max_examples=500)
@given(lines=st.lists(_TRICKY, max_size=6), shared=_TRICKY)
def test_scan_line_cache_is_transparent(lines: list[str], shared: str) -> None:
    # Texts sharing lines with earlier texts (the per-job template copy) scan the same.
    for text in ("\n".join([shared, *lines]), "\n".join([*lines, shared]), shared + "\n"):
        assert _fields(scan(text)) == reference_scan(text)


def test_scan_line_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kit_text, "_LINE_CACHE_LIMIT", 10)
    kit_text._line_scans.clear()
    for i in range(35):
        scan(f"line {i}\nshared line")
        assert len(kit_text._line_scans) <= 10
    long_line = "x" * (kit_text._LINE_CACHE_MAX_CHARS + 1)
    assert scan(long_line).words == {long_line}
    assert long_line not in kit_text._line_scans


@settings(max_examples=2000)
@given(text=_TRICKY)
def test_lower_matches_str_lower(text: str) -> None:
    assert fast_lower(text) == text.lower()


def test_lower_edge_cases() -> None:
    for text in ("", "ABC", "Jürgen <A HREF=X>", "İMG", "ÜBER <IMG>", "ΣΑΣ x", "\ud800A", "·A·"):
        assert fast_lower(text) == text.lower()


def test_zero_digits_every_script() -> None:
    """Every decimal digit Unicode knows becomes 0, whatever else the text holds."""
    import sys
    import unicodedata

    from brandloom.kit.text import zero_digits

    digits = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd"]
    for digit in digits:
        for text in (f"Größe {digit}", f"{digit}€ – „x“", digit):
            assert zero_digits(text) == text.replace(digit, "0"), repr(digit)
    assert zero_digits("Grüße – 12,50 € „bis 31.03.“") == "Grüße – 00,00 € „bis 00.00.“"
    assert zero_digits("Preis ٣٫٥ — ग्राहक ३") == "Preis 0٫0 — ग्राहक 0"
