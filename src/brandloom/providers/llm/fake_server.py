"""A scripted LLM server on 127.0.0.1 that speaks two real wire protocols.

A paid LLM is the one thing the tests and benchmarks cannot run, so this server stands in for it
over a real socket: the official SDKs send their real requests (``POST /v1/chat/completions``,
OpenAI's chat completions; ``POST /v1/messages``, Anthropic's Messages) and parse real answers,
plain or streamed as server-sent events. Tests script what each request gets (an answer with
given JSON and usage, a 429 with ``Retry-After``, a 500, a hang past the client's timeout,
malformed or schema-breaking JSON) and read back the requests it received::

    with FakeLLMServer() as server:
        server.script(rate_limited(retry_after=2), reply({"subject": "Hi"}))
        ...  # point a provider at server.base_url
        assert len(server.requests) == 2

Unscripted requests go to the ``responder`` (by default :func:`auto_answer`: an instance of the
requested schema, or a line of text). The server is a bare asyncio protocol over ``httptools``
(no framework) on its own event loop in a background thread: the LLM benchmark drives 10,000
calls through it. ``python -m brandloom.providers.llm.fake_server --latency 0.05`` serves it in
the foreground, so a benchmark can keep it off the client's process (and its GIL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httptools
import orjson

Wire = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one request gets. ``data`` is sent as the structured output (JSON content on the
    OpenAI wire, a ``tool_use`` block on the Anthropic one when the request offered a tool);
    ``text`` is sent as the content verbatim (free text, or broken JSON); ``delay`` holds the
    answer back (past a client's timeout it is a hang)."""

    status: int = 200
    data: Any = None
    text: str | None = None
    input_tokens: int = 12
    output_tokens: int = 34
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    message: str = ""
    fence: bool = False


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as the server received it (``body`` parsed from JSON, None if it was not)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any

    @property
    def wire(self) -> Wire:
        return "anthropic" if self.path.endswith("/messages") else "openai"

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def schema(self) -> Mapping[str, Any] | None:
        """The JSON schema the request asks the answer to match, on either wire."""
        if not isinstance(self.body, dict):
            return None
        if self.wire == "anthropic":
            tools = self.body.get("tools") or []
            return tools[0].get("input_schema") if tools else None
        fmt = self.body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            schema: Mapping[str, Any] | None = fmt.get("json_schema", {}).get("schema")
            return schema
        return None

    @property
    def tool_name(self) -> str:
        tools = self.body.get("tools") if isinstance(self.body, dict) else None
        return str(tools[0].get("name", "output")) if tools else "output"


Responder = Callable[[RecordedRequest], Answer]


# -- behaviours -----------------------------------------------------------------------------


def reply(
    data: Any = None,
    *,
    text: str | None = None,
    input_tokens: int = 12,
    output_tokens: int = 34,
    fence: bool = False,
    delay: float = 0.0,
) -> Answer:
    """200 with ``data`` as structured output (or ``text`` as the content)."""
    return Answer(
        data=data,
        text=text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        fence=fence,
        delay=delay,
    )


def malformed(text: str = '{"subject": "unterminated') -> Answer:
    """200 whose content is not JSON."""
    return Answer(text=text)


def rate_limited(retry_after: float | str | None = 1) -> Answer:
    """429, with ``Retry-After`` (seconds, or an HTTP date given as a string) unless None."""
    headers = {} if retry_after is None else {"retry-after": _header_value(retry_after)}
    return Answer(status=429, headers=headers, message="rate limit reached")


def server_error(
    status: int = 500, *, retry_after: float | str | None = None, message: str = "server error"
) -> Answer:
    """A 5xx (503 with ``retry_after`` is an overloaded server asking for a pause)."""
    headers = {} if retry_after is None else {"retry-after": _header_value(retry_after)}
    return Answer(status=status, headers=headers, message=message)


def refuse(status: int, message: str = "request refused") -> Answer:
    """A 4xx: 400 (bad request), 401/403 (key refused), 404 (unknown model)..."""
    return Answer(status=status, message=message)


def hang(seconds: float) -> Answer:
    """Answer only after ``seconds``: past the client's timeout, the client gives up first."""
    return Answer(text="too late", delay=seconds)


def _header_value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def example_for(schema: Mapping[str, Any]) -> Any:
    """A small instance of a (simple) JSON schema: what a well-behaved model would answer."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for(schema[key][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props: Mapping[str, Any] = schema.get("properties", {})
        return {name: example_for(sub) for name, sub in props.items()}
    if kind == "array":
        item = example_for(schema.get("items", {"type": "string"}))
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, 4)))
        return ("text " * (low // 5 + 1))[: max(low, min(4, high))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return None


def auto_answer(request: RecordedRequest) -> Answer:
    """The default responder: an instance of the requested schema, or a line of text."""
    schema = request.schema
    if schema is not None:
        return reply(example_for(schema))
    return reply(text="A fine line of copy from the fake server.")


# -- wire formats ---------------------------------------------------------------------------

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
_PIECE = 24  # characters per streamed delta


def _http(
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        f"content-type: {content_type}",
        f"content-length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _pieces(text: str) -> list[str]:
    return [text[i : i + _PIECE] for i in range(0, len(text), _PIECE)] or [""]


def _content(answer: Answer) -> str:
    if answer.text is not None:
        return answer.text
    if answer.data is None:
        return ""
    text = orjson.dumps(answer.data).decode()
    return f"```json\n{text}\n```" if answer.fence else text


def _sse(events: list[tuple[str | None, Any]]) -> bytes:
    out = bytearray()
    for name, data in events:
        if name is not None:
            out += b"event: " + name.encode() + b"\n"
        out += b"data: " + (data if isinstance(data, bytes) else orjson.dumps(data)) + b"\n\n"
    return bytes(out)


def _error_body(wire: Wire, answer: Answer) -> bytes:
    kind = _ERROR_TYPES.get(answer.status, "api_error")
    message = answer.message or _REASONS.get(answer.status, "error")
    if wire == "anthropic":
        return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})
    return orjson.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}})


def _openai(request: RecordedRequest, answer: Answer) -> bytes:
    model = request.body.get("model", "fake")
    content = _content(answer)
    usage = {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }
    if not request.stream:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
        return _http(200, orjson.dumps(body), headers=answer.headers)
    head = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> tuple[str | None, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return None, {**head, "choices": [choice]}

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in _pieces(content)]
    events.append(chunk({}, "stop"))
    if (request.body.get("stream_options") or {}).get("include_usage"):
        events.append((None, {**head, "choices": [], "usage": usage}))
    events.append((None, b"[DONE]"))
    return _http(200, _sse(events), content_type="text/event-stream", headers=answer.headers)


def _anthropic(request: RecordedRequest, answer: Answer) -> bytes:
    model = request.body.get("model", "fake")
    as_tool = request.schema is not None and answer.text is None
    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_sequence": None,
    }
    if not request.stream:
        block: dict[str, Any]
        if as_tool:
            name = request.tool_name
            block = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": answer.data}
        else:
            block = {"type": "text", "text": _content(answer)}
        body = {
            **message,
            "content": [block],
            "stop_reason": "tool_use" if as_tool else "end_turn",
            "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
        }
        return _http(200, orjson.dumps(body), headers=answer.headers)
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": 1},
    }
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    if request.schema is not None:  # streamed tool input: valid data, or broken text as-is
        text = orjson.dumps(answer.data).decode() if as_tool else _content(answer)
        first = {"type": "tool_use", "id": "toolu_fake", "name": request.tool_name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in _pieces(text)]
    else:
        first = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in _pieces(_content(answer))]
    events.append(
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": first})
    )
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        for delta in deltas
    ]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    stop = "tool_use" if as_tool else "end_turn"
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": answer.output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return _http(200, _sse(events), content_type="text/event-stream", headers=answer.headers)


def render(request: RecordedRequest, answer: Answer) -> bytes:
    """The full HTTP response for ``answer`` on the request's wire."""
    if answer.status != 200:
        return _http(answer.status, _error_body(request.wire, answer), headers=answer.headers)
    if request.wire == "anthropic":
        return _anthropic(request, answer)
    return _openai(request, answer)


# -- the server -----------------------------------------------------------------------------


class _Slot:
    """One response on a connection: written in request order, when ready."""

    __slots__ = ("close", "data", "timer")

    def __init__(self) -> None:
        self.data: bytes | None = None
        self.close = False
        self.timer: asyncio.TimerHandle | None = None


class _Connection(asyncio.Protocol):
    def __init__(self, server: FakeLLMServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._slots: deque[_Slot] = deque()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._server._connections.discard(self)
        for slot in self._slots:
            if slot.timer is not None:
                slot.timer.cancel()
        self._slots.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.write(_http(400, b'{"error": "bad request"}'))
                self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        slot = _Slot()
        slot.close = not self._parser.should_keep_alive()
        self._slots.append(slot)
        method = self._parser.get_method().decode("latin-1")
        data, delay = self._server._respond(
            method, self._url.decode("latin-1"), self._headers, b"".join(self._body)
        )
        if delay > 0:
            loop = asyncio.get_running_loop()
            slot.timer = loop.call_later(delay, self._fill, slot, data)
        else:
            self._fill(slot, data)

    def _fill(self, slot: _Slot, data: bytes) -> None:
        slot.data = data
        slot.timer = None
        while self._slots and self._slots[0].data is not None:
            ready = self._slots.popleft()
            if self._transport is None or self._transport.is_closing():
                return
            assert ready.data is not None
            self._transport.write(ready.data)
            if ready.close:
                self._transport.close()
                return

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class FakeLLMServer:
    """A scripted OpenAI- and Anthropic-compatible server on ``127.0.0.1`` (a free port).

    ``script(*answers)`` queues what the next requests get, in order; unscripted requests go
    to ``responder`` (called on the server's thread: keep it quick and thread-safe).
    ``latency`` (seconds) is added to every answer. ``requests`` lists what was received
    (``record=False`` keeps none, for long benchmarks). Use it as a context manager, or
    ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        *,
        responder: Responder = auto_answer,
        latency: float = 0.0,
        record: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.record = record
        self.host = host
        self.port = port
        self._script: deque[Answer] = deque()
        self._requests: list[RecordedRequest] = []
        self._connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def base_url(self) -> str:
        """The root both SDKs take as ``base_url`` (``/v1`` paths and bare ones both answer)."""
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self._requests)

    def script(self, *answers: Answer) -> None:
        self._script.extend(answers)

    @property
    def pending(self) -> int:
        """Scripted answers not yet used."""
        return len(self._script)

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        self._script.clear()
        self._requests.clear()

    # lifecycle

    def start(self) -> FakeLLMServer:
        self._thread = threading.Thread(target=self._run, name="fake-llm-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._failure is not None:
            raise RuntimeError("the fake LLM server did not start") from self._failure
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is absent on Windows
            return asyncio.new_event_loop()
        return uvloop.new_event_loop()

    def _run(self) -> None:
        loop = self._new_loop()
        self._loop = loop
        try:
            server = loop.run_until_complete(
                loop.create_server(lambda: _Connection(self), self.host, self.port, backlog=2048)
            )
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as err:
            self._failure = err
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for conn in list(self._connections):
                conn.abort()
            loop.run_until_complete(server.wait_closed())
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    # one request (on the server's loop)

    def _respond(
        self, method: str, url: str, headers: dict[str, str], raw: bytes
    ) -> tuple[bytes, float]:
        path = url.split("?", 1)[0]
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        request = RecordedRequest(method, path, headers, body)
        if self.record:
            self._requests.append(request)
        if method != "POST" or not path.endswith(("/chat/completions", "/messages")):
            return _http(404, b'{"error": {"message": "not found"}}'), 0.0
        if not isinstance(body, dict):
            return render(request, refuse(400, "the body is not a JSON object")), 0.0
        try:
            answer = self._script.popleft()
        except IndexError:
            try:
                answer = self.responder(request)
            except Exception as err:  # a broken responder is reported, not a hung client
                return render(request, server_error(500, message=f"responder: {err!r}")), 0.0
        return render(request, answer), answer.delay + self.latency


def main(argv: list[str] | None = None) -> None:
    """Serve in the foreground (for a benchmark's server process): every request gets
    :func:`auto_answer` after ``--latency`` seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    server = FakeLLMServer(latency=args.latency, record=False, host=args.host, port=args.port)
    with server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
