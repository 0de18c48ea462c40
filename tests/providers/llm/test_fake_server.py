"""The scripted server itself: routing, scripting, recording, many concurrent clients."""

from __future__ import annotations

import asyncio

import httpx

from brandloom.providers.llm.fake_server import (
    Answer,
    FakeLLMServer,
    RecordedRequest,
    example_for,
    reply,
    server_error,
)


def test_example_for_a_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "subject": {"type": "string", "minLength": 10},
            "tone": {"enum": ["warm", "formal"]},
            "score": {"type": "number", "minimum": 0.5},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "note": {"type": ["null", "integer"]},
        },
    }
    data = example_for(schema)
    assert data["tone"] == "warm" and data["score"] == 0.5 and data["note"] == 1
    assert len(data["subject"]) >= 10 and len(data["tags"]) == 2


def test_script_order_responder_and_recording() -> None:
    seen: list[RecordedRequest] = []

    def responder(request: RecordedRequest) -> Answer:
        seen.append(request)
        return reply(text=f"echo {request.body['n']}")

    with FakeLLMServer(responder=responder) as server:
        server.script(server_error(503), reply(text="scripted"))
        with httpx.Client(base_url=server.base_url) as client:
            statuses = [
                client.post("/v1/chat/completions", json={"n": n, "model": "m"}).status_code
                for n in range(3)
            ]
            third = client.post("/v1/chat/completions", json={"n": 3, "model": "m"}).json()
            missing = client.get("/v1/models").status_code
        assert statuses == [503, 200, 200]
        assert third["choices"][0]["message"]["content"] == "echo 3"
        assert missing == 404
        assert [r.body["n"] for r in seen] == [2, 3]  # the script answered the first two
        assert [r.path for r in server.requests][-1] == "/v1/models"
        assert len(server.requests) == 5
        server.reset()
        assert server.requests == [] and server.pending == 0


def test_many_concurrent_clients_with_latency() -> None:
    async def go(base_url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base_url) as client:
            responses = await asyncio.gather(
                *[client.post("/v1/messages", json={"model": "m", "n": n}) for n in range(100)]
            )
        return [r.status_code for r in responses]

    with FakeLLMServer(latency=0.02, record=False) as server:
        assert asyncio.run(go(server.base_url)) == [200] * 100
        assert server.requests == []
