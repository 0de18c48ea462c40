"""The text-analysis service: ``POST /v1/analyze`` and ``brandloom analyze`` over the pure
:mod:`brandloom.analysis` package (limits, request and response schemas, the HTTP route)."""
