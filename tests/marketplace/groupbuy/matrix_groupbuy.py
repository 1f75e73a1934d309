"""Role-matrix rows for group-buy's resident endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed)."""

from __future__ import annotations

from typing import Any

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "shop-deals": ("get", "/api/v1/shop/deals/", None, {"resident"}),
}
