"""The README's QA reference is the code's: the ``qa:`` block shows the real defaults and the
table of codes lists exactly the registered codes with their default levels."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel

from brandloom.documents.qa import ISSUE_CODES, QAConfig, config_model, settings_reference

README = Path(__file__).resolve().parents[3] / "README.md"
_QA_BLOCK = re.compile(r"^qa: .*\n(?:  .*\n)*", re.MULTILINE)
_CODE_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| (fail|warn) \|", re.MULTILINE)


def test_the_qa_block_is_the_defaults() -> None:
    found = _QA_BLOCK.search(README.read_text(encoding="utf-8"))
    assert found is not None, "README.md has no qa: block"
    assert found.group() == settings_reference(), (
        "README.md's qa: block differs from the defaults; replace it with:\n" + settings_reference()
    )


def test_the_rendered_defaults_validate_as_the_defaults() -> None:
    block = yaml.safe_load(settings_reference())["qa"]
    assert QAConfig.model_validate(block) == QAConfig()
    # every setting is shown; a check without settings (filters) has no entry
    fields = config_model().model_fields
    settable = {
        name
        for name, info in fields.items()
        if not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel))
        or info.annotation.model_fields
    }
    assert set(block) == settable


def test_the_table_lists_every_registered_code() -> None:
    rows = dict(_CODE_ROW.findall(README.read_text(encoding="utf-8")))
    assert rows == ISSUE_CODES
