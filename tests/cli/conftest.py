"""Fixtures shared by the command-line tests."""

from tests.cli.test_cli import env  # noqa: F401  (the fixture)
