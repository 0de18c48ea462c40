"""Channel shapes and limits, counted in code points (SMS in GSM-7 septets or UCS-2 units)."""

from __future__ import annotations

import jsonschema
import pytest

from brandloom.generation.channels import CHANNELS, channel, check_content, content_schema


def codes(name: str, content: dict[str, object]) -> list[tuple[str, str]]:
    return [(f.code, f.part) for f in check_content(channel(name), content)]


def test_email_limits_count_code_points() -> None:
    assert codes("email", {"subject": "ä" * 60, "preheader": "p", "body": "b"}) == []
    assert codes("email", {"subject": "ä" * 61, "preheader": "p", "body": "b"}) == [
        ("channel.too_long", "subject")
    ]
    assert codes("email", {"subject": "s", "body": "b"}) == [("channel.missing_part", "preheader")]


def test_ads_need_enough_short_items() -> None:
    ok = {"headlines": ["a", "b", "c"], "descriptions": ["d", "e"]}
    assert codes("ad:google_search", ok) == []
    assert codes("ad:google_search", {**ok, "headlines": ["a", "b"]}) == [
        ("channel.too_few", "headlines")
    ]
    assert codes("ad:google_search", {**ok, "descriptions": ["d", "x" * 91]}) == [
        ("channel.too_long", "descriptions[1]")
    ]
    assert codes("ad:google_search", {**ok, "headlines": "a, b, c"}) == [
        ("channel.bad_part", "headlines")
    ]


def test_sms_is_one_segment_gsm_or_ucs2() -> None:
    assert codes("sms", {"text": "a" * 160}) == []
    assert codes("sms", {"text": "a" * 161}) == [("channel.too_long", "text")]
    assert codes("sms", {"text": "ü" * 70}) == []  # ü is in the GSM alphabet
    assert codes("sms", {"text": "ł" * 71}) == [("channel.too_long", "text")]  # UCS-2
    assert check_content(channel("sms"), {"text": "a" * 300}, sms_segments=2) == []
    # other channels with a `text` part are not SMS
    assert check_content(channel("social:x"), {"text": "ł" * 200}, sms_segments=1) == []


def test_unknown_parts_and_channels_are_named() -> None:
    assert ("channel.unknown_part", "title") in codes("social:x", {"text": "t", "title": "x"})
    with pytest.raises(ValueError, match="unknown channel 'fax'; known: email"):
        channel("fax")


@pytest.mark.parametrize("name", list(CHANNELS))
def test_each_schema_is_closed_and_accepts_its_shape(name: str) -> None:
    schema = content_schema(CHANNELS[name])
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"]) == set(CHANNELS[name].part_names)
    sample = {
        p.name: (["x"] * max(p.min_items, 1) if p.is_list else "x") for p in CHANNELS[name].parts
    }
    jsonschema.validate(sample, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**sample, "extra": "x"}, schema)
