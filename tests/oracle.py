"""Hypothesis settings for the oracle tests (hand-written code checked against a library).

Derandomized: every run draws the same examples (the seed comes from the test's name), so a
failure reproduces and a green run stays green; no example database is written.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

ORACLE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
