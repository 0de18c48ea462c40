"""One ASGI middleware for every HTTP request: request id, latency histogram, access log.

It is a plain ASGI callable (no ``BaseHTTPMiddleware``), so it adds a few microseconds and
leaves streaming responses streaming.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brandloom.observability.metrics import HTTP_REQUEST_DURATION

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"
# Probes and scrapes arrive every few seconds; their access lines are debug-level noise.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")

access_log = structlog.stdlib.get_logger("brandloom.access")
error_log = structlog.stdlib.get_logger("brandloom.api")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-ID`` if it is a sane token, else a fresh one."""
    for name, value in headers:
        if name.lower() == _HEADER_KEY:
            try:
                candidate = value.decode("latin-1").strip()
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                break
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/jobs/{job_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Plain Starlette routes (the OpenAPI pages) leave only their endpoint in the scope.
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is not None and app is not None:
        for candidate in getattr(app, "routes", ()):
            if getattr(candidate, "endpoint", None) is endpoint:
                found = getattr(candidate, "path_format", None)
                if isinstance(found, str):
                    return found
    return UNMATCHED_ROUTE


class ObservabilityMiddleware:
    """Request id in and out, ``brandloom_http_request_duration_seconds``, ``http.request`` log."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers") or [])
        started = time.perf_counter()
        header_value = request_id.encode("latin-1")
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                # A new list: the response object may reuse its own header list.
                message["headers"] = [*message.get("headers", ()), (_HEADER_KEY, header_value)]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                status = 500
                error_log.exception("http.unhandled_error", route=route_template(scope))
                if response_started:
                    raise  # the client already has a partial response; let the server abort it
                # Logged here with its request id; the client gets the API's one error shape.
                response = JSONResponse(
                    {"error": {"code": "internal_error", "message": "internal server error"}},
                    status_code=500,
                )
                await response(scope, receive, send_with_id)
            finally:
                self._observe(scope, status, time.perf_counter() - started, request_id)

    def _observe(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = route_template(scope)
        method = str(scope.get("method", ""))
        if method not in KNOWN_METHODS:
            method = "OTHER"  # a client must not be able to invent label values
        HTTP_REQUEST_DURATION.labels(method=method, route=route, status=str(status)).observe(
            seconds
        )
        if not self.access_log and status < 500:
            return
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000.0, 3),
            "request_id": request_id,
        }
        state = scope.get("state")
        workspace_id = state.get("workspace_id") if isinstance(state, dict) else None
        if workspace_id is not None:
            fields["workspace_id"] = str(workspace_id)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        access_log.log(level, "http.request", **fields)
