"""brandloom.kit.validation: pydantic errors as messages naming the field, where it is, and the
field that was probably meant; never a Python class name."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from brandloom.documents.spec import JobSpec
from brandloom.kit.validation import closest, validation_messages

SPEC = {"name": "x", "audience": {"path": "c.csv"}, "template": {"html": "<p>x</p>"}}


def _messages(raw: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        JobSpec.model_validate(raw)
    return validation_messages(caught.value, model=JobSpec)


def test_unknown_fields_are_named_with_their_place_and_the_closest_known_field() -> None:
    lines = _messages({**SPEC, "outptus": ["html"], "audience": {"path": "c.csv", "kye": "email"}})
    assert "outptus: unknown field `outptus`; did you mean `outputs`?" in lines
    assert "audience.kye: unknown field `kye`; did you mean `key`?" in lines
    assert not any("Extra inputs" in line for line in lines)


def test_aliases_are_suggested_as_a_spec_spells_them() -> None:
    lines = _messages({**SPEC, "email": {"form": "a@example.com"}})
    assert lines == ["email.form: unknown field `form`; did you mean `from`?"]


def test_composed_qa_section_suggests_its_registered_keys() -> None:
    lines = _messages({**SPEC, "qa": {"banned_phrase": ["x"]}})
    assert lines == [
        "qa.banned_phrase: unknown field `banned_phrase`; did you mean `banned_phrases`?"
    ]


def test_no_close_field_lists_the_known_ones() -> None:
    lines = _messages({**SPEC, "audience": {"path": "c.csv", "zzzzzz": 1}})
    assert lines[0].startswith("audience.zzzzzz: unknown field `zzzzzz` (known fields: path, key,")


def test_no_class_names_and_no_union_tags() -> None:
    lines = _messages(
        {**SPEC, "audience": "contacts.csv", "seed": [1], "template": {"messages": {"de": 5}}}
    )
    text = "\n".join(lines)
    assert "audience: expected a mapping of fields, got text" in lines
    assert "seed: Input should be a valid integer or Input should be a valid string" in lines
    assert "template.messages.de: Input should be a valid string or expected a mapping" in text
    for leak in ("AudienceSpec", "instance of", "dict[str", ".str:", ".int:", "Value error"):
        assert leak not in text


def test_variant_typos_suggest_the_part() -> None:
    lines = _messages({**SPEC, "variants": [{"name": "B", "subjetc": "Hi"}]})
    assert len(lines) == 1 and lines[0].startswith("variants.0: unknown field `subjetc`; ")
    assert "did you mean `subject`?" in lines[0]


def test_any_model_and_case_slips() -> None:
    class Inner(BaseModel):
        model_config = ConfigDict(extra="forbid")
        threshold: int = 1

    class Outer(BaseModel):
        model_config = ConfigDict(extra="forbid")
        inner: list[Inner] = []

    with pytest.raises(ValidationError) as caught:
        Outer.model_validate({"inner": [{}, {"treshold": 2}]})
    assert validation_messages(caught.value, model=Outer) == [
        "inner.1.treshold: unknown field `treshold`; did you mean `threshold`?"
    ]
    assert closest("OUTPUTS", ["outputs", "sink"]) == "outputs"
    assert closest("zzz", ["outputs", "sink"]) is None
