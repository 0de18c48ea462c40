"""SMS length accounting: GSM 03.38 (GSM-7) vs UCS-2 encoding, units and segment count.

A message is sent in GSM-7 when every character is in the GSM 03.38 default alphabet or its
extension table (extension characters take two septets: ESC + code). Otherwise it is sent in
UCS-2/UTF-16, counted in UTF-16 code units (an emoji outside the BMP takes two).

One segment holds 160 septets / 70 UTF-16 units. Concatenated messages carry a 6-byte user
data header, leaving 153 septets / 67 units per segment. An escape sequence or a surrogate pair
is never split across two segments, so segments are counted by packing greedily, exactly as
phones and gateways do.

National language shift tables (Turkish, Spanish, Portuguese, Indian languages) are not used:
they are rarely supported end to end, so text needing them is counted as UCS-2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "SmsInfo", "sms_info"]

# GSM 03.38 default alphabet, in code order 0x00-0x7F. 0x1B (ESC) is not a character itself.
_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_BASIC_TABLE) == 128

#: Characters of the GSM 03.38 default alphabet (one septet each).
GSM7_BASIC: frozenset[str] = frozenset(_BASIC_TABLE) - {"\x1b"}
#: Characters of the GSM 03.38 extension table (ESC + code: two septets each).
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

_GSM_SINGLE, _GSM_MULTI = 160, 153
_UCS_SINGLE, _UCS_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """How an SMS text will be encoded and how many segments it takes."""

    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def _pack(costs: list[int], per_segment: int) -> int:
    """Greedy segment count where each item (1 or 2 units) must stay within one segment."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = cost
        else:
            used += cost
    return segments


def sms_info(text: str) -> SmsInfo:
    """Encoding, length in units and number of segments of ``text`` sent as one SMS.

    An empty text still costs one (empty) segment.
    """
    chars = set(text)
    if chars <= _GSM7_ALL:
        extended = chars & GSM7_EXTENSION
        if not extended:
            units = len(text)
            if units <= _GSM_SINGLE:
                return SmsInfo("GSM-7", units, 1)
            return SmsInfo("GSM-7", units, -(-units // _GSM_MULTI))
        units = len(text) + sum(text.count(ch) for ch in extended)
        if units <= _GSM_SINGLE:
            return SmsInfo("GSM-7", units, 1)
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsInfo("GSM-7", units, _pack(costs, _GSM_MULTI))

    astral = sum(1 for ch in chars if ord(ch) > 0xFFFF)
    if not astral:
        units = len(text)
        if units <= _UCS_SINGLE:
            return SmsInfo("UCS-2", units, 1)
        return SmsInfo("UCS-2", units, -(-units // _UCS_MULTI))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    units = sum(costs)
    if units <= _UCS_SINGLE:
        return SmsInfo("UCS-2", units, 1)
    return SmsInfo("UCS-2", units, _pack(costs, _UCS_MULTI))
