"""Role-matrix rows for renovation (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Writes send invalid input (400)."""

from __future__ import annotations

from typing import Any

STAFF = {"company_admin", "finance", "customer_service", "engineer"}
GATE = {"company_admin", "customer_service", "engineer", "security"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "renovation-applications": ("get", "/api/v1/renovation/applications/", None, STAFF | {"resident"}),
    "renovation-applications-create": ("post", "/api/v1/renovation/applications/", {"unit": 0}, {"resident"}),
    "renovation-permit-check": ("post", "/api/v1/renovation/permits/check/", {}, GATE),
    "renovation-settings": ("get", "/api/v1/renovation/settings/", None, STAFF),
    "renovation-settings-update": ("put", "/api/v1/renovation/settings/", {"deposit_fen": -1}, {"company_admin"}),
}
