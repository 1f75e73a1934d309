"""Role-matrix rows for the training-class endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Writes carry invalid input, so an allowed caller gets a 400."""

from __future__ import annotations

from typing import Any

from .matrix_club import EVERYONE, MANAGERS

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "club-teachers": ("get", "/api/v1/club/teachers/", None, MANAGERS),
    "club-teachers-create": ("post", "/api/v1/club/teachers/", {"name": ""}, MANAGERS),
    "club-classes": ("get", "/api/v1/club/classes/", None, EVERYONE),
    "club-classes-create": ("post", "/api/v1/club/classes/", {"facility": 0}, MANAGERS),
    "club-enrolments": ("get", "/api/v1/club/enrolments/", None, MANAGERS | {"resident"}),
}
