"""brandloom benchmarks: throughput, per-document latency and peak memory. Prints figures.

    python benchmarks/run.py                 # the full set (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick         # smaller sizes, for a smoke run
    python benchmarks/run.py --only render   # one of: micro, import, render, language, brand,
                                             # latency, pdf, pdf-layout, docx, million, api,
                                             # import-pg, workers, upload
    python benchmarks/run.py --only api --database-url postgresql://user@host/db

api and import-pg also run on PostgreSQL when BRANDLOOM_TEST_DATABASE_URL (or --database-url) is
set, each in a throwaway schema that is dropped afterwards. workers (the same job on 1 and 2 Celery
worker processes) needs a broker: --broker-url or BRANDLOOM_TEST_REDIS_URL.

Memory is the peak of the summed RSS of the generate process and all its worker processes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = (ROOT / "benchmarks" / "email.html").read_text(encoding="utf-8")
# A branded letter (Typst layout: letterhead with a logo, columns, a table) and its logo.
LETTER = (ROOT / "benchmarks" / "letter.typ").read_text(encoding="utf-8")
LOGO = (ROOT / "benchmarks" / "logo.png").read_bytes()
LOCALES = ["en-US", "de-DE", "es-ES", "fr-FR", "pt-BR", "zh-CN", "ja-JP", "ar-SA", "hi-IN", "it-IT"]
FIRST = ["Ann", "Jürgen", "José", "Chloé", "João", "王芳", "花子", "محمد", "प्रिया", "Giulia"]


def write_audience(path: Path, rows: int, *, seed: int = 1, locales: list[str] = LOCALES) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "email",
                "first_name",
                "last_name",
                "locale",
                "city",
                "points",
                "tier",
                "last_order",
                "consent",
                "customer_id",
            ]
        )
        for i in range(rows):
            w.writerow(
                [
                    f"c{i:08d}@example.com",
                    FIRST[i % 10],
                    f"Last{i % 997}",
                    locales[i % len(locales)],
                    f"City{i % 311}",
                    rng.randint(0, 50_000),
                    ("gold", "silver", "bronze")[i % 3],
                    f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "yes",
                    str(10_000_000 + i),
                ]
            )


def write_spec(
    folder: Path,
    *,
    outputs: list[str],
    sink: str,
    chunk_size: int = 1000,
    qa: dict[str, Any] | None = None,
    brand: str | None = None,
) -> Path:
    (folder / "email.html").write_text(HTML, encoding="utf-8")
    spec: dict[str, Any] = {
        "name": "bench",
        "seed": 1,
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {
            "subject": "{{ first_name | default('Hi') }}, your {{ tier }} rewards are here",
            "preheader": "{{ points | number }} points waiting in {{ city }}",
            "html": "email.html",
        },
        "variants": [
            {"name": "a", "weight": 1},
            {"name": "b", "weight": 1, "subject": "{{ first_name }}: points inside"},
        ],
        "outputs": outputs,
        "sink": sink,
        "chunk_size": chunk_size,
        "qa": {
            "banned_phrases": ["risk-free", "act now", "guaranteed winner", "100% free"],
            **(qa or {}),
        },
        "email": {
            "from": "news@shop.example.com",
            "from_name": "Example Shop",
            "unsubscribe_url": "https://shop.example.com/u?c={{ customer_id }}",
            "date": "2026-11-01T09:00:00+00:00",
        },
    }
    if brand is not None:
        spec["brand"] = brand
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


# The brand the brand-check benchmark lints and scores against: guidelines and a small library
# in the voice of the benchmark e-mail (rewards, points, picks).
BRAND_GUIDELINES = {
    "brand_name": "Example Shop",
    "banned_terms": ["guaranteed", "act now", "cheap"],
    "glossary": {"e-mail": "email", "sign in": "log in"},
    "emoji": "max_1",
    "exclamation": "max_2",
    "reading_level": {"max_grade": 10},
}
BRAND_LIBRARY = [
    "Your rewards are here: points waiting for you in your account.",
    "Fresh picks for you this week, with points on every order.",
    "Thanks for shopping with Example Shop. Your points keep growing.",
    "Your gold rewards unlock early access to new arrivals.",
    "Spend your points on the season's favourites before they go.",
    "A little thank-you: double points on everything this weekend.",
    "New in: picks chosen for you, delivered to your door.",
    "Your points balance is ready. Treat yourself to something new.",
    "Members get more: free delivery and points on every order.",
    "See what's new near you and collect points as you shop.",
]


def setup_brand(folder: Path) -> None:
    """Create the benchmark brand (guidelines + voice) in the job's database, via the CLI."""
    env = dict(os.environ, BRANDLOOM_DATA_DIR=str(folder / "data"))
    env.pop("BRANDLOOM_DATABASE_URL", None)
    (folder / "guidelines.yaml").write_text(yaml.safe_dump(BRAND_GUIDELINES), encoding="utf-8")
    (folder / "library.txt").write_text("\n".join(BRAND_LIBRARY) + "\n", encoding="utf-8")
    cli = [sys.executable, "-m", "brandloom.cli.app"]
    for args in (
        ["brand", "create", "Example Shop", "--guidelines", str(folder / "guidelines.yaml")],
        ["voice", "train", "Example Shop", "--input", str(folder / "library.txt")],
    ):
        subprocess.run([*cli, *args], env=env, check=True, stdout=subprocess.DEVNULL)


# The kit of the branded PDF benchmark: a letterhead with the logo, a two-line footer.
BRAND_KIT = {
    "colors": {"primary": "#0A6E5C", "link": "#E76F51", "text": "#1D1D1B"},
    "font": "Noto Sans",
    "logo": "logo.png",
    "address": ["Example Shop Ltd", "1 Main Street", "London EC1A 1AA"],
    "legal_footer": [
        "Example Shop Ltd · Registered in England and Wales 01234567 · VAT GB123456789"
    ],
}


def setup_kit_brand(folder: Path) -> None:
    """Create the benchmark brand with a visual kit (no guidelines), via the CLI."""
    env = dict(os.environ, BRANDLOOM_DATA_DIR=str(folder / "data"))
    env.pop("BRANDLOOM_DATABASE_URL", None)
    (folder / "kit.yaml").write_text(yaml.safe_dump(BRAND_KIT), encoding="utf-8")
    (folder / "logo.png").write_bytes(LOGO)
    cli = [sys.executable, "-m", "brandloom.cli.app"]
    subprocess.run(
        [*cli, "brand", "create", "Example Shop", "--kit", str(folder / "kit.yaml")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def write_layout_spec(
    folder: Path, *, outputs: list[str], sink: str, qa: dict[str, Any] | None = None
) -> Path:
    """The spec of a letter job: a typst part and its logo, PDF output."""
    (folder / "letter.typ").write_text(LETTER, encoding="utf-8")
    (folder / "logo.png").write_bytes(LOGO)
    spec = {
        "name": "bench-letters",
        "seed": 1,
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {"typst": "letter.typ", "assets": ["logo.png"]},
        "outputs": outputs,
        "sink": sink,
        "chunk_size": 1000,
        "qa": qa or {},
        "email": {"date": "2026-11-01T09:00:00+00:00"},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


class TreeMemory:
    """Samples the summed RSS of a process and its children until stopped."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_generate(folder: Path, spec: Path, out: Path, workers: int) -> tuple[dict, float, int]:
    env = dict(os.environ, BRANDLOOM_DATA_DIR=str(folder / "data"))
    env.pop("BRANDLOOM_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "brandloom.cli.app",
        "generate",
        str(spec),
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with TreeMemory(proc.pid) as mem:
        _, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"generate failed: {err.decode()[-2000:]}")
    report = json.loads((out / "report.json").read_text())
    return report, wall, mem.peak


def import_file(factory: Any, path: Path) -> Any:
    """Import a benchmark audience (key: email) into the default workspace; the Audience."""
    from brandloom.audiences.reader import ImportOptions
    from brandloom.audiences.service import import_audience
    from brandloom.db.engine import unit_of_work
    from brandloom.workspaces.service import ensure_default_workspace

    with unit_of_work(factory) as session:
        ws = ensure_default_workspace(session)
        audience, _ = import_audience(session, ws, path=path, options=ImportOptions(key="email"))
    return audience


def bench_import(rows: int) -> None:
    from brandloom.audiences.reader import ImportOptions, open_audience
    from brandloom.db.engine import make_engine, make_session_factory
    from brandloom.db.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "contacts.csv"
        write_audience(path, rows)
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        count = sum(1 for _ in open_audience(path, ImportOptions(key="email")))
        read_s = time.perf_counter() - started
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        upgrade(engine)
        started = time.perf_counter()
        audience = import_file(make_session_factory(engine), path)
        total_s = time.perf_counter() - started
        print(
            f"import    {rows:>9,} rows ({size_mb:.0f} MB CSV): read+validate {read_s:6.2f} s "
            f"({count / read_s:,.0f} rows/s); full import into SQLite {total_s:6.2f} s "
            f"({audience.accepted:,} accepted)"
        )


def bench_render(
    contacts: int,
    *,
    outputs: list[str],
    sink: str,
    workers: int,
    label: str,
    qa: dict[str, Any] | None = None,
    locales: list[str] = LOCALES,
    spec_writer: Callable[..., Path] = write_spec,
    brand: str | None = None,
    brand_setup: Callable[[Path], None] = setup_brand,
) -> float:
    """Run one job and print its figures; returns its documents per minute."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_audience(folder / "contacts.csv", contacts, locales=locales)
        extra: dict[str, Any] = {}
        if brand is not None:
            brand_setup(folder)
            extra["brand"] = brand
        spec = spec_writer(folder, outputs=outputs, sink=sink, qa=qa, **extra)
        # docs/min comes from the job's own clock (rendering); wall time includes the import.
        report, wall, peak = run_generate(folder, spec, folder / "out", workers)
        docs = sum(report["documents"].values())
        print(
            f"{label:<12} {contacts:>9,} contacts -> {docs:>9,} docs ({'+'.join(outputs)}, {sink}, "
            f"{workers} workers): {docs / report['elapsed_s'] * 60:>10,.0f} docs/min "
            f"(job {report['elapsed_s']:.1f} s, wall {wall:.1f} s), peak RSS {peak / 2**20:,.0f} MB"
        )
        return docs / report["elapsed_s"] * 60


def bench_checks_pair(which: str, contacts: int, workers: int, rounds: int = 4) -> None:
    """The same html+txt job without and with a group of checks, alternated ``rounds`` times
    (a shared machine's noise is a few percent per run), each first in half the rounds; prints
    the median of each and the cost of the checks.

    ``language``: English copy to English-speaking contacts (every document passes and is
    written) with ``language_match`` on; detection runs once per distinct masked copy.
    ``brand``: the guidelines' lint on every part and the voice score of the body, both cached
    per distinct masked copy.
    """
    if which == "language":
        runs: list[tuple[dict[str, Any], str, str | None]] = [
            ({}, "html+txt en", None),
            ({"language_match": True}, "+language", None),
        ]
        locales = ["en-US", "en-GB"]
    else:
        runs = [
            ({}, "html+txt", None),
            ({"brand_rules": True, "voice": {"min_score": 10}}, "+brand", "Example Shop"),
        ]
        locales = LOCALES
    rates: list[list[float]] = [[] for _ in runs]
    for round_ in range(rounds):
        # Each job goes first in half the rounds: the second job of a pair ran measurably slower
        # (the first one's files are still being freed), which must not count as the checks' cost.
        order = list(zip(runs, rates, strict=True))
        for (qa, label, brand), rate in order if round_ % 2 == 0 else order[::-1]:
            rate.append(
                bench_render(
                    contacts,
                    outputs=["html", "txt"],
                    sink="dir",
                    workers=workers,
                    label=label,
                    qa=qa,
                    locales=locales,
                    brand=brand,
                )
            )
    without, with_checks = (statistics.median(rate) for rate in rates)
    print(
        f"{runs[1][1]:<12} median of {rounds}: {with_checks:,.0f} vs {without:,.0f} docs/min "
        f"without ({(with_checks / without - 1) * 100:+.1f}%)"
    )


def bench_latency(contacts: int, outputs: list[str]) -> None:
    """Per-document latency of the render path (template, QA, formats) in one process."""
    from brandloom.audiences.reader import ContactRow, ImportOptions, open_audience
    from brandloom.cli.generate import file_renderer
    from brandloom.cli.specfile import read_spec_file
    from brandloom.documents.pipeline import ContactData

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_audience(folder / "contacts.csv", contacts)
        renderer = file_renderer(read_spec_file(write_spec(folder, outputs=outputs, sink="dir")))
        rows = [
            ContactData(r.row, r.key, r.email, r.locale, r.consent, r.attributes)
            for r in open_audience(folder / "contacts.csv", ImportOptions(key="email"))
            if isinstance(r, ContactRow)
        ]
        renderer.render_chunk(rows[:200])  # warm caches
        times = []
        for contact in rows:
            t = time.perf_counter_ns()
            renderer.render_chunk([contact])
            times.append((time.perf_counter_ns() - t) / 1e6 / len(outputs))
        times.sort()
        p50 = statistics.median(times)
        p99 = times[int(len(times) * 0.99)]
        print(
            f"latency   {len(times):>9,} contacts ({'+'.join(outputs)}): per document "
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms (one core, no I/O)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--only",
        choices=[
            "micro",
            "import",
            "render",
            "language",
            "brand",
            "latency",
            "pdf",
            "pdf-layout",
            "docx",
            "million",
            "api",
            "import-pg",
            "workers",
            "upload",
        ],
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL for api, import-pg and workers (default: BRANDLOOM_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--broker-url",
        default=None,
        help="Celery broker for workers (default: BRANDLOOM_TEST_REDIS_URL)",
    )
    parser.add_argument(
        "--api-rounds",
        type=int,
        default=3,
        help="fixed-rate passes of the api benchmark per database (the tail moves between runs)",
    )
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(f"brandloom benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.only in (None, "micro"):
        from micro import bench_micro

        bench_micro(quick=args.quick)
    if args.only in (None, "import"):
        bench_import(1_000_000 // scale)
    if args.only in (None, "latency"):
        bench_latency(20_000 // scale, ["html", "txt"])
        bench_latency(20_000 // scale, ["md", "eml"])
        bench_latency(2_000 // scale, ["pdf"])
        bench_latency(5_000 // scale, ["docx"])
    if args.only in (None, "render"):
        bench_render(
            100_000 // scale,
            outputs=["html", "txt"],
            sink="dir",
            workers=args.workers,
            label="html+txt",
        )
        bench_render(
            20_000 // scale, outputs=["md", "eml"], sink="dir", workers=args.workers, label="md+eml"
        )
    if args.only in (None, "render", "language"):
        bench_checks_pair("language", 100_000 // scale, args.workers)
    if args.only in (None, "brand"):
        bench_checks_pair("brand", 100_000 // scale, args.workers)
    if args.only in (None, "pdf"):
        bench_render(
            10_000 // scale, outputs=["pdf"], sink="dir", workers=args.workers, label="pdf"
        )
        # the same job wearing a brand's kit: letterhead with the logo, footer on every page
        bench_render(
            10_000 // scale,
            outputs=["pdf"],
            sink="dir",
            workers=args.workers,
            label="pdf brand",
            brand="Example Shop",
            brand_setup=setup_kit_brand,
        )
    if args.only in (None, "pdf-layout"):
        bench_render(
            10_000 // scale,
            outputs=["pdf"],
            sink="dir",
            workers=args.workers,
            label="pdf layout",
            spec_writer=write_layout_spec,
        )
    if args.only in (None, "docx"):
        bench_render(
            10_000 // scale, outputs=["docx"], sink="dir", workers=args.workers, label="docx"
        )
    if args.only in (None, "million"):
        bench_render(
            1_000_000 // scale,
            outputs=["html", "txt"],
            sink="jsonl",
            workers=args.workers,
            label="million",
        )
    if args.only in (None, "import-pg"):
        from import_pg import bench_import_pg

        bench_import_pg(1_000_000 // scale, args.database_url)
    if args.only in (None, "upload"):
        from upload_latency import bench_upload

        bench_upload(150_000 // scale)
    if args.only in (None, "api"):
        from api_load import bench_api

        bench_api(args.database_url, quick=args.quick, rounds=args.api_rounds)
    if args.only in (None, "workers"):
        from distributed import bench_workers

        bench_workers(100_000 // scale, database_url=args.database_url, broker_url=args.broker_url)


if __name__ == "__main__":
    main()
