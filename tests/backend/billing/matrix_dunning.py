"""Role-matrix rows for the billing dunning endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed)."""

from __future__ import annotations

from typing import Any

DUNNING = {"finance", "customer_service", "company_admin"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "arrears": ("get", "/api/v1/arrears/", None, DUNNING),
    "dunning-contacts": ("get", "/api/v1/dunning-contacts/", None, DUNNING),
    # unit 0 does not exist: allowed roles get past the permission check and then a 404
    "dunning-contacts-create": (
        "post",
        "/api/v1/dunning-contacts/",
        {"unit": 0, "channel": "phone", "summary": "矩阵", "category": "other"},
        DUNNING,
    ),
}
