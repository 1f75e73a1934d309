"""Role-matrix rows for the billing meters endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed)."""

from __future__ import annotations

from typing import Any

STAFF = {"company_admin", "finance", "customer_service", "engineer", "security"}
RECORDERS = {"company_admin", "finance", "customer_service", "engineer"}
MANAGERS = {"company_admin", "finance"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "meters": ("get", "/api/v1/meters/", None, STAFF),
    "meters-create": ("post", "/api/v1/meters/", {"kind": "water", "number": "M-1", "unit": 0}, MANAGERS),
    "meter": ("get", "/api/v1/meters/0/", {}, STAFF),  # no such meter: 404 for the allowed
    "meter-update": ("patch", "/api/v1/meters/0/", {"multiplier": "2"}, MANAGERS),
    "readings": ("get", "/api/v1/readings/?status=flagged", None, STAFF),
    "readings-create": ("post", "/api/v1/readings/", {"meter": 0, "period": "2026-07", "reading": "1"}, RECORDERS),
    "readings-import": ("post", "/api/v1/readings/import/", {}, RECORDERS),
    "reading-confirm": ("post", "/api/v1/readings/0/confirm/", {}, MANAGERS),
    "reading-reject": ("post", "/api/v1/readings/0/reject/", {"reason": "x"}, MANAGERS),
}
