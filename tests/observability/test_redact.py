"""Secrets and contact e-mail addresses never reach a log line in clear."""

from __future__ import annotations

from brandloom.observability.redact import redact_event, redact_text, redact_value


def test_url_credentials_are_masked_keeping_the_user() -> None:
    assert redact_text("postgresql://app:s3cr3t@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact_text("redis://:pw@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact_text("amqp://guest:guest@mq//") == "amqp://guest:***@mq//"
    assert redact_text("https://example.com/path") == "https://example.com/path"


def test_tokens_and_api_keys_in_text() -> None:
    assert redact_text("Authorization: Bearer abc.def-123") == "Authorization: Bearer ***"
    assert "A1b2C3d4E5f6G7h8" not in redact_text("key bl_A1b2C3d4E5f6G7h8 rejected")
    assert redact_text("the table_name is fine") == "the table_name is fine"


def test_emails_in_text_keep_only_the_domain() -> None:
    assert redact_text("sent to ann.lee+x@mail.example.com.") == "sent to ***@mail.example.com."


def test_secret_and_pii_keys() -> None:
    assert redact_value("password", "pw") == "***"
    assert redact_value("db_password", "pw") == "***"
    assert redact_value("X-Api-Key", "abc") == "***"
    assert redact_value("authorization", "Bearer x") == "***"
    assert redact_value("refresh_token", "t") == "***"
    assert redact_value("email", "bob@example.com") == "***@example.com"
    assert redact_value("contact_email", "not an address") == "***"
    assert redact_value("phone", "+49 30 1234567") == "***"
    # Counts that merely mention tokens, and plain identifiers, pass.
    assert redact_value("prompt_tokens", 812) == 812
    assert redact_value("job_id", "job_01J9") == "job_01J9"
    assert redact_value("password", None) is None


def test_key_fields_mask_only_what_looks_like_a_credential() -> None:
    assert redact_value("key", "bl_" + "x" * 40) == "***"
    assert redact_value("key", "Zm9vYmFyYmF6cXV4cXV1eHp6eXl5") == "***"
    assert redact_value("key", "c-1042") == "c-1042"
    assert redact_value("key", "ann@example.com") == "***@example.com"


def test_nested_values_and_event_dict() -> None:
    event = {
        "event": "connect postgresql://u:p@h/db",
        "config": {"password": "pw", "hosts": ["redis://:x@r:6379"]},
        "_record": object(),
    }
    out = redact_event(None, "info", event)
    assert out["event"] == "connect postgresql://u:***@h/db"
    assert out["config"] == {"password": "***", "hosts": ["redis://:***@r:6379"]}
