"""Role-matrix rows for the gate (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Writes send invalid input (400) or codes that do not exist (404)."""

from __future__ import annotations

from typing import Any

DESK = {"company_admin", "customer_service", "security"}
READERS = DESK | {"resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "gate-passes": ("get", "/api/v1/gate/passes/", None, READERS),
    "gate-passes-create": ("post", "/api/v1/gate/passes/", {"unit": 0}, {"resident"}),
    "gate-scan": ("post", "/api/v1/gate/scan/", {"code": "NOSUCHCODE"}, DESK),
    "gate-entries": ("get", "/api/v1/gate/entries/", None, READERS),
    "gate-parcels": ("get", "/api/v1/gate/parcels/", None, READERS),
    "gate-parcels-create": ("post", "/api/v1/gate/parcels/", {"unit": 0}, DESK),
    "gate-pickup": ("post", "/api/v1/gate/parcels/pickup/", {"code": "000000"}, DESK),
}
