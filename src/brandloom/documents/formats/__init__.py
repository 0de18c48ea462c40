"""Output formats of documents: finished HTML email, .eml messages and SMS accounting."""

from __future__ import annotations

from brandloom.documents.formats.eml import (
    EmailBuildError,
    EmailSettings,
    build_eml,
    message_id_for,
)
from brandloom.documents.formats.html import HtmlFinisher, text_direction
from brandloom.documents.formats.sms import SmsInfo, sms_info

__all__ = [
    "EmailBuildError",
    "EmailSettings",
    "HtmlFinisher",
    "SmsInfo",
    "build_eml",
    "message_id_for",
    "sms_info",
    "text_direction",
]
