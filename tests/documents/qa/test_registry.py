"""The QA check registry: a new check module (codes, settings sub-model, check) plugs into the
spec's ``qa:`` section, ``severity:`` and QAChecker without touching anything else."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brandloom.documents.qa import (
    ISSUE_CODES,
    NO_ISSUES,
    IssueLevel,
    QACheckDefinition,
    QAChecker,
    QAConfig,
    QADocument,
    QAInput,
    QAIssue,
    Severity,
    levels,
    register_check,
    registered_checks,
    registry,
)
from brandloom.documents.schemas import JobCreate
from brandloom.documents.spec import SpecError, parse_spec


# --- a check module, the way documents/qa/<name>.py declares one -----------------------------
class ShoutConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_exclamations: int = Field(default=1, ge=0)


SHOUT_CODES: dict[str, IssueLevel] = {"shout.too_loud": "warn"}


class ShoutCheck:
    def __init__(self, config: ShoutConfig, level: str) -> None:
        self.limit = config.max_exclamations
        self.level = level

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        count = doc.parts.get("subject", "").count("!")
        if count <= self.limit:
            return NO_ISSUES
        return (QAIssue("shout.too_loud", self.level, f"{count} exclamation marks"),)


def build_shout(config: ShoutConfig, overrides: Mapping[str, Severity]) -> ShoutCheck | None:
    level = levels(SHOUT_CODES, overrides)["shout.too_loud"]
    return ShoutCheck(config, level) if level != "off" else None


SHOUT = QACheckDefinition(name="shout", codes=SHOUT_CODES, config=ShoutConfig, build=build_shout)
# ------------------------------------------------------------------------------------------------

SPEC = {"name": "n", "audience": {"path": "a.csv"}, "template": {"subject": "s", "text": "t"}}
LOUD = QAInput(parts={"subject": "Sale!!!", "text": "Hello"})


@pytest.fixture
def restore_registry() -> Iterator[None]:
    checks, codes = list(registry._checks), dict(ISSUE_CODES)
    try:
        yield
    finally:
        registry._checks[:] = checks
        ISSUE_CODES.clear()
        ISSUE_CODES.update(codes)
        registry._model = None


def test_builtin_checks_run_in_their_order() -> None:
    names = [d.name for d in registered_checks()]
    assert names == [
        "variables", "filters", "consent", "contacts", "envelope", "sms", "phrases", "links",
        "images", "unsubscribe", "spam", "text", "brand_rules", "voice",
    ]  # fmt: skip
    assert {code for d in registered_checks() for code in d.codes} == set(ISSUE_CODES)


def test_unknown_check_settings_are_errors_before_registration() -> None:
    with pytest.raises(SpecError, match=r"qa\.shout: unknown field `shout`"):
        parse_spec({**SPEC, "qa": {"shout": {"max_exclamations": 2}}})
    with pytest.raises(SpecError, match="unknown QA issue code"):
        parse_spec({**SPEC, "qa": {"severity": {"shout.too_loud": "fail"}}})
    assert QAChecker(QAConfig()).check(LOUD).issues == ()


@pytest.mark.usefixtures("restore_registry")
def test_registered_check_composes_into_spec_severity_and_results() -> None:
    register_check(SHOUT)
    assert ISSUE_CODES["shout.too_loud"] == "warn"

    # Its defaults apply without any qa: settings; its issues come after the built-in ones.
    result = QAChecker(parse_spec(SPEC).qa).check(LOUD)
    assert result.issues == (QAIssue("shout.too_loud", "warn", "3 exclamation marks"),)
    assert result.status == "warn"
    unresolved = QAInput(parts=LOUD.parts, unresolved=["name"])
    assert [i.code for i in QAChecker(parse_spec(SPEC).qa).check(unresolved).issues] == [
        "variable.unresolved",
        "shout.too_loud",
    ]

    # qa: {shout: {...}} is valid, its own keys are validated, severity: knows its code.
    spec = parse_spec(
        {
            **SPEC,
            "qa": {
                "shout": {"max_exclamations": 2},
                "severity": {"shout.too_loud": "fail", "spam.score": "off"},
            },
        }
    )
    result = QAChecker(spec.qa).check(LOUD)
    assert result.issues == (QAIssue("shout.too_loud", "fail", "3 exclamation marks"),)
    assert result.status == "fail"
    assert QAChecker(spec.qa).check(QAInput(parts={"subject": "Sale!!", "text": "x"})).issues == ()
    assert spec.model_dump(mode="json")["qa"]["shout"] == {"max_exclamations": 2}
    assert parse_spec(spec.model_dump(mode="json", by_alias=True)).qa == spec.qa  # round trip

    with pytest.raises(
        SpecError,
        match=r"qa\.shout\.max_exclamation: unknown field `max_exclamation`; "
        r"did you mean `max_exclamations`\?",
    ):
        parse_spec({**SPEC, "qa": {"shout": {"max_exclamation": 2}}})
    with pytest.raises(SpecError, match=r"qa\.shout\.max_exclamations: Input should be greater"):
        parse_spec({**SPEC, "qa": {"shout": {"max_exclamations": -1}}})
    with pytest.raises(SpecError, match=r"qa\.shouts: unknown field `shouts`; did you mean"):
        parse_spec({**SPEC, "qa": {"shouts": {}}})
    off = QAConfig.model_validate({"severity": {"shout.too_loud": "off", "spam.score": "off"}})
    assert QAChecker(off).check(LOUD).issues == ()

    # The API's job shape and its JSON schema compose the same way.
    body = JobCreate.model_validate(
        {
            "name": "n",
            "audience_id": "a",
            "template_id": "t",
            "qa": {"shout": {"max_exclamations": 0}},
        }
    )
    assert body.qa.settings_for(SHOUT) == ShoutConfig(max_exclamations=0)
    schema = JobCreate.model_json_schema()
    qa_schema = schema["$defs"]["QAConfig"]
    assert {"shout", "banned_phrases", "severity"} <= set(qa_schema["properties"])
    assert qa_schema["additionalProperties"] is False


@pytest.mark.usefixtures("restore_registry")
def test_config_validated_before_a_registration_gets_the_new_checks_defaults() -> None:
    config = QAConfig(severity={"spam.score": "off"})
    register_check(SHOUT)
    assert config.settings_for(SHOUT) == ShoutConfig()
    assert QAChecker(config).check(LOUD).issues == (
        QAIssue("shout.too_loud", "warn", "3 exclamation marks"),
    )


@pytest.mark.usefixtures("restore_registry")
def test_registration_conflicts_are_refused() -> None:
    register_check(SHOUT)
    with pytest.raises(ValueError, match="already registered"):
        register_check(SHOUT)

    class Loose(BaseModel):
        x: int = 0

    class Flat(BaseModel):
        model_config = ConfigDict(extra="forbid")
        banned_phrases: list[str] = Field(default_factory=list)

    def nothing(config: BaseModel, overrides: Mapping[str, Severity]) -> None:
        return None

    cases = [
        (QACheckDefinition("other", {"shout.too_loud": "warn"}, ShoutConfig, nothing), "code"),
        (QACheckDefinition("severity", {"a.b": "warn"}, ShoutConfig, nothing), "key"),
        (QACheckDefinition("flat", {"c.d": "warn"}, Flat, nothing, flat=True), "key"),
        (QACheckDefinition("loose", {"e.f": "warn"}, Loose, nothing), "forbid extra keys"),
    ]
    for definition, reason in cases:
        with pytest.raises(ValueError, match=reason):
            register_check(definition)
    assert [d.name for d in registered_checks()][-1] == "shout"


def test_unknown_top_level_key_still_names_the_key() -> None:
    with pytest.raises(ValidationError) as info:
        QAConfig.model_validate({"subject_max_char": 10, "spam_threshold": 0})
    assert {(e["loc"], e["type"]) for e in info.value.errors()} == {
        (("subject_max_char",), "extra_forbidden"),
        (("spam_threshold",), "greater_than"),
    }
