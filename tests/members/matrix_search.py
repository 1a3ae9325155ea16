"""Permission-matrix rows for the register's search pages (merged by
tests/core/test_permission_matrix.py): who may open each URL name, the URL kwargs it needs,
and a payload the page accepts."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

EXPECTED: dict[str, dict[str, Any]] = {}
POST_ONLY: set[str] = set()


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    return None
