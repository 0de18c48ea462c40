"""Structured logs: structlog and the standard library write through one formatter.

``configure_logging(fmt="json")`` renders one JSON object per line with ``timestamp`` (ISO 8601,
UTC), ``level``, ``logger``, ``event``, any context bound with ``structlog.contextvars``
(``request_id``, ``job_id``, ``workspace_id``, ``chunk``) and the call's own fields. Records of
standard-library loggers (uvicorn, Celery, brandloom modules using ``logging.getLogger``) get
the same fields. Secrets and contact e-mail addresses are masked before anything is rendered.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor

from brandloom.observability.redact import redact_event

LogFormat = Literal["console", "json"]
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_lock = threading.Lock()


class BrandloomHandler(logging.StreamHandler[TextIO]):
    """The root handler ``configure_logging`` installs.

    It writes to whatever ``sys.stderr`` is at the time of the call (test runners swap it).
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        # StreamHandler.setStream assigns here; the target is always the current sys.stderr.
        pass


_LEADING_KEYS = ("timestamp", "level", "logger", "event")


def _leading_keys_first(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Put timestamp, level, logger and event first, so JSON lines read well by eye too."""
    ordered = {key: event_dict.pop(key) for key in _LEADING_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _renderer(fmt: LogFormat) -> list[Processor]:
    if fmt == "json":
        return [_leading_keys_first, structlog.processors.JSONRenderer(ensure_ascii=False)]
    return [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]


def _installed(root: logging.Logger) -> list[logging.Handler]:
    return [h for h in root.handlers if isinstance(h, BrandloomHandler)]


def is_configured() -> bool:
    """Whether the root logger has the handler ``configure_logging`` installs."""
    return bool(_installed(logging.getLogger()))


def configure_logging(*, fmt: str = "console", level: str = "INFO") -> None:
    """Route structlog and stdlib logging to stderr in ``fmt``; calling it again reconfigures."""
    if fmt not in ("console", "json"):
        raise ValueError(
            f"log format (BRANDLOOM_LOG_FORMAT): expected console or json, got {fmt!r}"
        )
    level_name = level.strip().upper()
    if level_name not in LEVELS:
        raise ValueError(
            f"log level (BRANDLOOM_LOG_LEVEL): expected one of {', '.join(LEVELS)}, got {level!r}"
        )

    # Applied to stdlib records before the shared tail; structlog calls get the same via
    # their own chain below.
    pre_chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become plain text so they pass through redaction, and no renderer
            # prints local variables (which may hold credentials) next to them.
            structlog.processors.format_exc_info,
            redact_event,
            *_renderer(fmt),  # type: ignore[arg-type]
        ],
    )
    with _lock:
        structlog.configure(
            processors=[
                structlog.stdlib.filter_by_level,
                *pre_chain,
                structlog.stdlib.PositionalArgumentsFormatter(),
                structlog.processors.StackInfoRenderer(),
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            # Not cached: reconfiguring (tests, a CLI command after import) must reach every
            # logger already handed out.
            cache_logger_on_first_use=False,
        )
        handler = BrandloomHandler()
        handler.setFormatter(formatter)
        root = logging.getLogger()
        for previous in _installed(root):
            root.removeHandler(previous)
        root.addHandler(handler)
        root.setLevel(level_name)
        # Servers that bring their own handlers would print twice or in another format: their
        # records go through the root handler instead.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
            server_logger = logging.getLogger(name)
            server_logger.handlers.clear()
            server_logger.propagate = True


def reset_logging() -> None:
    """Undo ``configure_logging``: remove its handler and restore structlog's defaults."""
    with _lock:
        root = logging.getLogger()
        for handler in _installed(root):
            root.removeHandler(handler)
        structlog.reset_defaults()
