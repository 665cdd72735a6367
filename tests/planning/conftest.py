"""Fixtures shared by the planning tests."""

from tests.planning.test_plan_page import planned  # noqa: F401 (a fixture)
