"""Role-matrix rows for complaints and surveys (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Writes send invalid input (400)."""

from __future__ import annotations

from typing import Any

DESK = {"company_admin", "customer_service"}
SEE = DESK | {"resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "desk-complaints": ("get", "/api/v1/desk/complaints/", None, SEE),
    # residents: no home given; staff: no estate given → 400 either way
    "desk-complaints-create": ("post", "/api/v1/desk/complaints/", {"cause": "noise", "description": "吵"}, SEE),
    "desk-complaint-analysis": ("get", "/api/v1/desk/complaints/analysis/?month=2030-03", None, DESK),
    "desk-surveys": ("get", "/api/v1/desk/surveys/", None, SEE),
    "desk-surveys-create": (
        "post",
        "/api/v1/desk/surveys/",
        {"title": "满意度", "estates": [0], "questions": []},
        DESK,
    ),
}
