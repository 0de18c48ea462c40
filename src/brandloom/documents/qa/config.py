"""The job spec's ``qa:`` section, validated by the model composed from the registered checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from brandloom.documents.qa.base import QACheckDefinition, Severity
from brandloom.documents.qa.registry import config_model

__all__ = ["QAConfig"]

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class QAConfig(BaseModel):
    """Per-job QA settings (the job spec's ``qa:`` section); unknown keys are errors.

    The keys are those of the registered checks (see
    :func:`~brandloom.documents.qa.registry.config_model`): the original checks' keys directly
    in ``qa:`` (``banned_phrases``, ``require_https``, ...), every other check's under its name
    (``qa: {language: {...}}``), and ``severity``. Values read as attributes
    (``config.banned_phrases``); a check gets its own typed settings from :meth:`settings_for`.
    """

    # The composed model validates; the validated values are kept as this model's extras, so a
    # check registered after this class was built (and after JobSpec embedded it) still counts.
    model_config = ConfigDict(extra="allow")

    @model_validator(mode="wrap")
    @classmethod
    def _compose(cls, value: Any, handler: ModelWrapValidatorHandler[QAConfig]) -> QAConfig:
        if isinstance(value, QAConfig):
            return value
        # A ValidationError raised here keeps its errors and their locations (qa.<key>: ...).
        validated = config_model().model_validate(value)
        return handler(dict(validated))

    @classmethod
    def validation_model(cls) -> type[BaseModel]:
        """The composed model that validates ``qa:`` (its fields are the known keys)."""
        return config_model()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(config_model().__pydantic_core_schema__)

    def settings_for(self, definition: QACheckDefinition[ConfigT]) -> ConfigT:
        """The settings of one registered check (its defaults for a check registered after this
        config was validated)."""
        values = self.__pydantic_extra__ or {}
        if definition.flat:
            # Already validated (the composed model has these very fields and validators).
            fields = {k: values[k] for k in definition.config.model_fields if k in values}
            return definition.config.model_construct(**fields)
        found = values.get(definition.name)
        return found if isinstance(found, definition.config) else definition.config()

    def overrides(self) -> Mapping[str, Severity]:
        """The ``severity:`` overrides: issue code -> fail | warn | off."""
        found: Mapping[str, Severity] = (self.__pydantic_extra__ or {}).get("severity", {})
        return found
