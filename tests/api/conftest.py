"""Fixtures shared by the API tests."""

from tests.api.test_lists_and_previews import api  # noqa: F401  (the fixture)
