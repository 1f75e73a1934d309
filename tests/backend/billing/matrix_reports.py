"""Role-matrix rows for the billing reports endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed)."""

from __future__ import annotations

from typing import Any

REPORT_READERS = {"finance", "company_admin", "customer_service"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "reports-collection": ("get", "/api/v1/reports/collection/", None, REPORT_READERS),
    "reports-collection-estates": (
        "get",
        "/api/v1/reports/collection/?group=estate&period=2026-06",
        None,
        REPORT_READERS,
    ),
    "reports-trend": ("get", "/api/v1/reports/trend/", None, REPORT_READERS),
    "reports-payments": ("get", "/api/v1/reports/payments/", None, REPORT_READERS),
}
