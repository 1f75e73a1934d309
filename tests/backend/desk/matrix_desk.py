"""Role-matrix rows for the service desk (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Writes send invalid input (400) or ids that do not exist (404)."""

from __future__ import annotations

from typing import Any

READERS = {"company_admin", "customer_service", "engineer", "resident"}
REPORTERS = {"company_admin", "customer_service", "resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "desk-categories": ("get", "/api/v1/desk/categories/", None, READERS),
    "desk-tickets": ("get", "/api/v1/desk/tickets/", None, READERS),
    "desk-tickets-create": ("post", "/api/v1/desk/tickets/", {"category": 0, "description": "x"}, REPORTERS),
    "desk-ticket": ("get", "/api/v1/desk/tickets/0/", {}, READERS),
    "desk-ticket-steps": ("post", "/api/v1/desk/tickets/0/steps/", {}, READERS),
}
