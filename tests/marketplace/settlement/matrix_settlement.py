"""Role-matrix rows for settlement and the marketplace reports (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed). Ids that do not exist (0) keep an allowed caller at a 404."""

from __future__ import annotations

from typing import Any

SETTLERS = {"company_admin", "finance"}  # perms.MARKETPLACE_SETTLEMENT
REPORTERS = {"company_admin", "customer_service", "finance"}  # perms.MARKETPLACE_REPORTS

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "marketplace-statements": ("get", "/api/v1/marketplace/statements/", None, SETTLERS),
    "marketplace-statement": ("get", "/api/v1/marketplace/statements/0/", {}, SETTLERS),
    "marketplace-statement-payout": (
        "post",
        "/api/v1/marketplace/statements/0/payout/",
        {"method": "bank_transfer", "reference": "矩阵"},
        SETTLERS,
    ),
    "marketplace-payout-account": ("get", "/api/v1/marketplace/payout-accounts/0/", {}, SETTLERS),
    "marketplace-payout-account-put": (
        "put",
        "/api/v1/marketplace/payout-accounts/0/",
        {"stripe_account_id": ""},
        SETTLERS,
    ),
    "marketplace-reports-sales": ("get", "/api/v1/marketplace/reports/sales/", None, REPORTERS),
}
