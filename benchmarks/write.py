"""Copy from a brief: figures for `brandloom write` and single-query bulk. Prints figures.

    python benchmarks/write.py                  # both
    python benchmarks/write.py --only write     # brandloom write latency (offline writer)
    python benchmarks/write.py --only bulk      # LLM calls and tokens of a brief: bulk job

``write``: wall time of the whole command (`brandloom write brief.yaml --json`, a new process:
imports, database, models, writing, scoring) for 8 channels x 4 locales x n=3 with the offline
writer, the first run in a fresh cache directory and then warm runs (median).

``bulk``: a 10,000-contact job in 4 locales whose spec gives `brief:` instead of a template,
written by an OpenAI-compatible server (a local one speaking the wire protocol, answering at
once): LLM calls, tokens and documents per minute; then the same spec into another folder, which
reuses the stored template (0 calls).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from brandloom.generation.brief import EXAMPLE
from brandloom.providers.llm.fake_server import FakeLLMServer, RecordedRequest, reply

BRIEF: dict[str, Any] = {
    **{k: v for k, v in EXAMPLE.items() if k != "brand"},  # the brief of the documentation
    "url": "https://acme.example/trail-runner-2",
}
LOCALES = ["en-US", "de-DE", "es-ES", "fr-FR"]
CLI = [sys.executable, "-m", "brandloom.cli.app"]


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, BRANDLOOM_DATA_DIR=str(folder / "data"), **extra)
    for name in ("BRANDLOOM_DATABASE_URL", "BRANDLOOM_WORKSPACE"):
        env.pop(name, None)
    return env


def bench_write(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        brief = folder / "brief.yaml"
        brief.write_text(yaml.safe_dump(BRIEF, allow_unicode=True), encoding="utf-8")
        env = _env(folder, BRANDLOOM_CACHE_DIR=str(folder / "cache"))
        times: list[float] = []
        result: dict[str, Any] = {}
        for _ in range(runs + 1):
            started = time.perf_counter()
            done = subprocess.run(
                [*CLI, "write", str(brief), "--json"], env=env, capture_output=True, check=False
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode()[-2000:])
            result = json.loads(done.stdout)
        problems = sum(1 for c in result["candidates"] if c["problems"])
        print(
            f"write     8 channels x 4 locales x n=3 = {len(result['candidates'])} candidates "
            f"(offline writer, scored): first run {times[0]:.2f} s (fresh cache), warm median "
            f"{statistics.median(times[1:]):.2f} s (min {min(times[1:]):.2f}); "
            f"{problems} candidates with problems"
        )


def _catalogs(request: RecordedRequest) -> Any:
    """A schema-correct answer for the template request: one catalog per locale asked."""
    wanted = request.body["response_format"]["json_schema"]["schema"]["properties"]["catalogs"]
    copy = {
        "en": ("Lighter by 80 g, sure on wet rock", "Hi", "free returns"),
        "de": ("80 g leichter, sicher auf nassem Fels", "Hallo", "kostenlose Rücksendung"),
        "es": ("80 g más ligera, firme en roca mojada", "Hola", "devolución gratuita"),
        "fr": ("Plus légère de 80 g, sûre sur roche mouillée", "Bonjour", "retour gratuit"),
    }
    catalogs = {}
    for name in wanted["required"]:
        line, hello, extra = copy[name.split("-")[0]]
        catalogs[name] = {
            "subject": line,
            "subject_b": f"{line}!",
            "preheader": f"{line}. {extra}.",
            "headline": "Acme Trail Runner 2",
            "greeting": f"{hello},",
            "greeting_named": f"{hello} {{first_name}},",
            "body_1": f"{line}. Acme Trail Runner 2: 20% off until Sunday.",
            "body_2": f"{extra.capitalize()}.",
            "body_3": "",
            "cta": "Shop the Trail Runner",
            "url": BRIEF["url"],
            "sms": f"{line}: {BRIEF['url']}",
            "unsubscribe": "Unsubscribe",
        }
    return reply({"catalogs": catalogs}, input_tokens=1_800, output_tokens=1_200)


def bench_bulk(contacts: int, workers: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from run import write_audience  # the render benchmark's audience (same columns)

    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer(responder=_catalogs) as server:
        folder = Path(tmp)
        write_audience(folder / "contacts.csv", contacts, locales=LOCALES)
        brief = {k: v for k, v in BRIEF.items() if k not in ("channels", "n", "target_emotions")}
        (folder / "brief.yaml").write_text(yaml.safe_dump(brief, allow_unicode=True), "utf-8")
        spec = {
            "name": "brief-bench",
            "audience": {"path": "contacts.csv", "key": "email"},
            "brief": "brief.yaml",
            "provider": {"name": "openai", "model": "bench-model"},
            "outputs": ["html", "txt"],
            "sink": "dir",
            "chunk_size": 1000,
            "email": {
                "from": "news@shop.example.com",
                "unsubscribe_url": "https://shop.example.com/u?c={{ customer_id }}",
            },
        }
        (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        env = _env(folder, OPENAI_BASE_URL=f"{server.base_url}/v1", OPENAI_API_KEY="sk-bench")
        for label, out in (("written", "out1"), ("reused", "out2")):
            started = time.perf_counter()
            done = subprocess.run(
                [*CLI, "generate", str(folder / "spec.yaml"), "--out", str(folder / out),
                 "--workers", str(workers)],
                env=env, capture_output=True, check=False,
            )  # fmt: skip
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode()[-2000:])
            report = json.loads((folder / out / "report.json").read_text())
            docs = sum(report["documents"].values())
            print(
                f"bulk      {contacts:,} contacts, {len(LOCALES)} locales, brief: spec "
                f"({label}): {report['llm_calls']} LLM calls, {report['input_tokens']:,} + "
                f"{report['output_tokens']:,} tokens; {docs:,} docs at "
                f"{report['docs_per_minute']:,.0f} docs/min (wall {wall:.1f} s); "
                f"server saw {len(server.requests)} requests in all"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["write", "bulk"])
    parser.add_argument("--runs", type=int, default=5, help="warm runs of brandloom write")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"brandloom write benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.only in (None, "write"):
        bench_write(args.runs)
    if args.only in (None, "bulk"):
        bench_bulk(args.contacts, args.workers)


if __name__ == "__main__":
    main()
