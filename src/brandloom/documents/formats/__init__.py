"""Output formats of documents: the format registry, finished HTML email, .eml messages, SMS
accounting (PDF and Word documents are in ``pdf`` and ``docx``, loaded when a job needs them)."""

from __future__ import annotations

# Importing builtin registers the built-in formats, so every reader of the registry sees them.
from brandloom.documents.formats.builtin import BUILTIN_FORMATS
from brandloom.documents.formats.eml import (
    EmailBuildError,
    EmailSettings,
    build_eml,
    message_id_for,
)
from brandloom.documents.formats.html import HtmlFinisher
from brandloom.documents.formats.registry import (
    MEDIA_TYPES,
    FormatDefinition,
    FormatInput,
    FormatJob,
    FormatWriter,
    OutputFormat,
    binary_formats,
    format_names,
    get_format,
    register_format,
)
from brandloom.documents.formats.sms import SmsInfo, sms_info

__all__ = [
    "BUILTIN_FORMATS",
    "MEDIA_TYPES",
    "EmailBuildError",
    "EmailSettings",
    "FormatDefinition",
    "FormatInput",
    "FormatJob",
    "FormatWriter",
    "HtmlFinisher",
    "OutputFormat",
    "SmsInfo",
    "binary_formats",
    "build_eml",
    "format_names",
    "get_format",
    "message_id_for",
    "register_format",
    "sms_info",
]
