"""What our LLM stack costs on top of the SDK, and how many calls it carries at once.

    python benchmarks/llm.py [--calls 2000] [--bulk 10000] [--concurrency 200] [--latency 0.05]
                             [--server process|thread] [--uvloop]

Against the scripted FakeLLMServer (the real OpenAI wire protocol over a local socket):

(a) per-call overhead: ``--calls`` sequential calls to a zero-latency server, mean µs per call,
    for the raw SDK call (``AsyncOpenAI.chat.completions.create``), our OpenAIProvider alone,
    and ProviderChain + OpenAIProvider (circuit check, budget reservation, usage accounting),
    each for free text and for structured output (JSON schema parsed and validated);
(b) throughput: ``--bulk`` calls at ``--concurrency`` (an asyncio semaphore) to a server that
    answers after ``--latency`` seconds, calls per second, raw SDK vs the chain. The ceiling is
    concurrency / latency (4,000 calls/s for 200 and 50 ms); below it, the client's CPU is the
    limit.

By default the server runs in its own process (``python -m
brandloom.providers.llm.fake_server``), so it does not share the client's interpreter lock;
``--server thread`` runs it in a thread of this process, as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from openai import AsyncOpenAI

from brandloom.providers.llm import (
    Budget,
    ChainEntry,
    LLMRequest,
    ProviderChain,
    messages,
)
from brandloom.providers.llm.fake_server import FakeLLMServer
from brandloom.providers.llm.openai_compat import OpenAIProvider

SCHEMA = {
    "type": "object",
    "properties": {
        "subject": {"type": "string", "maxLength": 80},
        "preheader": {"type": "string"},
        "body": {"type": "string"},
    },
    "required": ["subject", "preheader", "body"],
    "additionalProperties": False,
}
SYSTEM = "You write on-brand marketing copy for a Scandinavian outdoor-gear shop."
PROMPT = "Write the subject line, preheader and body of the spring-sale email."


@contextlib.contextmanager
def fake_server(mode: str, latency: float) -> Iterator[str]:
    """The server's base URL, for as long as the block runs."""
    if mode == "thread":
        with FakeLLMServer(latency=latency, record=False) as server:
            yield server.base_url
        return
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "brandloom.providers.llm.fake_server",
            "--latency",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def request(schema: bool) -> LLMRequest:
    return LLMRequest(
        model="gpt-4o-mini",
        system=SYSTEM,
        messages=messages(PROMPT),
        schema=SCHEMA if schema else None,
        schema_name="email",
        max_output_tokens=400,
    )


def raw_call(client: AsyncOpenAI, schema: bool) -> Callable[[], Awaitable[Any]]:
    extra: dict[str, Any] = {}
    if schema:
        extra["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "email", "schema": SCHEMA, "strict": True},
        }

    async def call() -> Any:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
            max_tokens=400,
            temperature=0.7,
            **extra,
        )
        return completion.choices[0].message.content

    return call


async def sequential(
    calls: dict[str, Callable[[], Awaitable[Any]]], n: int, rounds: int = 5
) -> dict[str, float]:
    """Mean µs per call of each variant over ``n`` calls: interleaved rounds (so drift in the
    machine's speed hits every variant alike), the median round per variant, after a warm-up."""
    per_round = max(1, n // rounds)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        for _ in range(min(200, n)):
            await call()
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(per_round):
                await call()
            times[name].append((time.perf_counter() - start) / per_round * 1e6)
    return {name: statistics.median(values) for name, values in times.items()}


async def concurrent(call: Callable[[], Awaitable[Any]], n: int, width: int) -> float:
    """Calls per second for ``n`` calls, at most ``width`` in flight."""
    gate = asyncio.Semaphore(width)

    async def one() -> None:
        async with gate:
            await call()

    await asyncio.gather(*[one() for _ in range(min(n, width))])  # open the connections
    start = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(n)])
    return n / (time.perf_counter() - start)


def clients(base_url: str) -> tuple[AsyncOpenAI, OpenAIProvider, ProviderChain]:
    raw = AsyncOpenAI(api_key="sk-bench", base_url=base_url + "/v1", max_retries=0, timeout=30)
    provider = OpenAIProvider(api_key="sk-bench", base_url=base_url + "/v1", timeout=30)
    chain = ProviderChain(
        [ChainEntry(provider, "gpt-4o-mini")],
        budget=Budget(limit_usd=1_000_000.0),  # exercised (reserve, settle), never reached
    )
    return raw, provider, chain


async def overhead(base_url: str, n: int) -> None:
    raw, provider, chain = clients(base_url)
    print(f"(a) per-call time, {n} sequential calls, zero-latency server (mean µs per call)")
    print(f"    {'':22}{'raw SDK':>10}{'provider':>10}{'chain':>10}{'chain - SDK':>13}")
    for schema in (False, True):
        req = request(schema)
        means = await sequential(
            {
                "sdk": raw_call(raw, schema),
                "provider": lambda req=req: provider.complete(req),  # type: ignore[misc]
                "chain": lambda req=req: chain.complete(req),  # type: ignore[misc]
            },
            n,
        )
        sdk, alone, ours = means["sdk"], means["provider"], means["chain"]
        label = "structured output" if schema else "free text"
        print(f"    {label:22}{sdk:10.0f}{alone:10.0f}{ours:10.0f}{ours - sdk:+13.0f}")
    await raw.close()
    await chain.aclose()


async def throughput(base_url: str, n: int, width: int, latency: float) -> None:
    raw, _, chain = clients(base_url)
    req = request(True)
    ceiling = width / latency if latency else float("inf")
    print(
        f"(b) {n} calls at concurrency {width}, server latency {latency * 1000:.0f} ms "
        f"(ceiling {ceiling:,.0f} calls/s), structured output"
    )
    sdk = await concurrent(raw_call(raw, True), n, width)
    print(f"    raw SDK               {sdk:8,.0f} calls/s")
    ours = await concurrent(lambda: chain.complete(req), n, width)
    print(f"    ProviderChain         {ours:8,.0f} calls/s")
    print(f"    chain usage: {chain.usage.calls} calls, ${chain.usage.cost_usd:.4f}")
    await raw.close()
    await chain.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--server", choices=["process", "thread"], default="process")
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    args = parser.parse_args()

    run: Callable[[Awaitable[None]], None] = asyncio.run  # type: ignore[assignment]
    if args.uvloop:
        import uvloop

        run = uvloop.run  # type: ignore[assignment]
    loop_name = "uvloop" if args.uvloop else "asyncio"
    print(
        f"brandloom LLM stack — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"client on {loop_name}, server in a {args.server}"
    )
    with fake_server(args.server, 0.0) as base_url:
        run(overhead(base_url, args.calls))
    with fake_server(args.server, args.latency) as base_url:
        run(throughput(base_url, args.bulk, args.concurrency, args.latency))


if __name__ == "__main__":
    main()
