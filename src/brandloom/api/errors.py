"""Every error leaves the API as ``{"error": {"code", "message"}}`` with a fitting status.

An error that carries structured ``details`` (the QA findings of a document, the line and
column of a template error, the missing scope) adds them as ``error.details``, so a client
need not parse the message.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from brandloom.errors import BrandloomError
from brandloom.kit.validation import describe_errors


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = jsonable_encoder(details)
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BrandloomError)
    async def _brandloom(_: Request, exc: BrandloomError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lines = describe_errors(
            exc.errors(), model=_body_model(request), skip=("body", "query", "path", "header")
        )
        return error_response(422, "request.invalid", "; ".join(lines) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))


def _body_model(request: Request) -> type[BaseModel] | None:
    """The model a route's JSON body is validated as (to name the fields known at a typo)."""
    route: Any = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    params = route.dependant.body_params
    if len(params) != 1:
        return None  # several bodies are embedded under their names: no one model to walk
    annotation = params[0].field_info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
