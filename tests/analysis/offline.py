"""Run a snippet in a fresh interpreter with the network refused and some modules unimportable:
what a shipped model needs at run time, and only that."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

_PRELUDE = """
import socket, sys

def refuse(*args, **kwargs):
    raise OSError("network is blocked in this test")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
for blocked in {blocked!r}:
    sys.modules[blocked] = None  # any import of them raises ImportError
"""


def run_offline(code: str, *, blocked: Sequence[str]) -> str:
    """The snippet's stripped stdout; the test fails with its stderr when it exits non-zero."""
    program = _PRELUDE.format(blocked=tuple(blocked)) + textwrap.dedent(code)
    out = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()
