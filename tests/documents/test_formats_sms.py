from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brandloom.documents.formats.sms import GSM7_BASIC, GSM7_EXTENSION, SmsInfo, sms_info


def test_tables_have_the_gsm_03_38_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes less ESC
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for ch in "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r":
        assert ch in GSM7_BASIC
    for ch in "`ç€áíóúâ":
        assert ch not in GSM7_BASIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("GSM-7", 0, 1)),
        ("a" * 160, SmsInfo("GSM-7", 160, 1)),
        ("a" * 161, SmsInfo("GSM-7", 161, 2)),
        ("a" * 306, SmsInfo("GSM-7", 306, 2)),
        ("a" * 307, SmsInfo("GSM-7", 307, 3)),
        ("€" * 80, SmsInfo("GSM-7", 160, 1)),
        ("€" * 80 + "a", SmsInfo("GSM-7", 161, 2)),
        ("{" + "a" * 159, SmsInfo("GSM-7", 161, 2)),
        ("ä" * 160, SmsInfo("GSM-7", 160, 1)),
        ("ç" * 70, SmsInfo("UCS-2", 70, 1)),
        ("ç" * 71, SmsInfo("UCS-2", 71, 2)),
        ("ç" * 134, SmsInfo("UCS-2", 134, 2)),
        ("ç" * 135, SmsInfo("UCS-2", 135, 3)),
        ("😀" * 35, SmsInfo("UCS-2", 70, 1)),
        ("😀" * 35 + "a", SmsInfo("UCS-2", 71, 2)),
        ("Grüße 😀", SmsInfo("UCS-2", 8, 1)),
        ("你好", SmsInfo("UCS-2", 2, 1)),
    ],
)
def test_boundaries(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected


def test_escape_sequence_is_not_split_across_segments() -> None:
    # 152 septets then "€" (2 septets): 154 does not fit the first segment of 153 -> the
    # escape moves whole into segment 2, which then holds 2 + 153 = 155 > 153 -> 3 segments.
    text = "a" * 152 + "€" + "a" * 152
    info = sms_info(text)
    assert info == SmsInfo("GSM-7", 306, 3)
    # Without the split rule 306 septets would be exactly 2 segments:
    assert sms_info("a" * 306).segments == 2


def test_surrogate_pair_is_not_split_across_segments() -> None:
    text = "a" * 66 + "😀" + "ç" * 66  # 134 units: naively 2 segments of 67
    assert sms_info(text) == SmsInfo("UCS-2", 134, 3)
    assert sms_info("ç" * 134).segments == 2


def test_two_full_concatenated_segments() -> None:
    assert sms_info("a" * 153 * 2) == SmsInfo("GSM-7", 306, 2)
    assert sms_info("[" * 153) == SmsInfo("GSM-7", 306, 3)  # 76 escapes per segment
    assert sms_info("[" * 76 + "a" + "[" * 76 + "a") == SmsInfo("GSM-7", 306, 2)


def _reference(text: str) -> SmsInfo:
    """Slow, obviously correct segment packing."""
    gsm = all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)
    if gsm:
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi, enc = 160, 153, "GSM-7"
    else:
        costs = [len(ch.encode("utf-16-le")) // 2 for ch in text]
        single, multi, enc = 70, 67, "UCS-2"
    units = sum(costs)
    if units <= single:
        return SmsInfo(enc, units, 1)
    segments, used = [], 0
    for cost in costs:
        if used + cost > multi:
            segments.append(used)
            used = 0
        used += cost
    segments.append(used)
    return SmsInfo(enc, units, len(segments))


_ALPHABET = st.sampled_from([*sorted(GSM7_BASIC | GSM7_EXTENSION), "ç", "😀", "你"])


@given(st.text(alphabet=_ALPHABET, max_size=500))
def test_matches_reference(text: str) -> None:
    assert sms_info(text) == _reference(text)


@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    assert sms_info(text) == _reference(text)
