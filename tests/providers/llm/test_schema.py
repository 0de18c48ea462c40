"""Structured output: text -> JSON -> the schema, with errors that name the JSON path."""

from __future__ import annotations

import pytest

from brandloom.providers.llm import InvalidOutput, Usage
from brandloom.providers.llm.schema import check, json_path, parse, strip_fence

SCHEMA = {
    "type": "object",
    "properties": {
        "content": {
            "type": "object",
            "properties": {
                "subject": {"type": "string", "maxLength": 60},
                "bullets": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["subject"],
            "additionalProperties": False,
        }
    },
    "required": ["content"],
}


def test_valid_json_is_returned_parsed() -> None:
    assert parse('{"content": {"subject": "Hi"}}', SCHEMA) == {"content": {"subject": "Hi"}}


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"content": {"subject": "Hi"}}\n```',
        '```\n{"content": {"subject": "Hi"}}\n```\n',
        '  ```JSON\r\n{"content": {"subject": "Hi"}}\r\n```  ',
    ],
)
def test_a_markdown_fence_is_stripped(text: str) -> None:
    assert parse(text, SCHEMA) == {"content": {"subject": "Hi"}}


def test_text_without_a_fence_is_left_alone() -> None:
    assert strip_fence('{"a": "```"}') == '{"a": "```"}'


def test_the_error_names_the_json_path() -> None:
    with pytest.raises(InvalidOutput) as caught:
        parse('{"content": {"subject": "x", "bullets": ["ok", 3]}}', SCHEMA)
    assert "content.bullets[1]: 3 is not of type 'string'" in str(caught.value)
    assert caught.value.details["errors"] == ["content.bullets[1]: 3 is not of type 'string'"]


def test_several_errors_are_listed_shallowest_first() -> None:
    data = {"content": {"subject": "y" * 61, "extra": 1, "bullets": [1, 2, 3, 4]}}
    with pytest.raises(InvalidOutput) as caught:
        check(data, SCHEMA)
    message = str(caught.value)
    assert message.startswith("output does not match the schema: content: Additional properties")
    assert "(and 3 more)" in message  # six in all, three shown


def test_a_missing_root_property() -> None:
    with pytest.raises(InvalidOutput, match=r"\(root\): 'content' is a required property"):
        parse("{}", SCHEMA)


def test_not_json_is_invalid_output_carrying_the_usage() -> None:
    usage = Usage(1, 10, 20, 0.001)
    with pytest.raises(InvalidOutput, match="not JSON") as caught:
        parse('{"content": {"subject": "unterminated', SCHEMA, usage=usage)
    assert caught.value.usage == usage


def test_json_path() -> None:
    assert json_path([]) == "(root)"
    assert json_path(["a", 0, "b", 12]) == "a[0].b[12]"
