"""Role-matrix rows for the billing setup endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed).

Writes name ids that do not exist (0) or invalid input, so an allowed caller gets a 404 / 400 and nothing is
created. The ledger reads need ?unit=: their GET rows pass it as the body (the test client turns a GET body
into the query string) with unit 0, so an allowed caller gets 404 for the missing unit."""

from __future__ import annotations

from typing import Any

STAFF = {"company_admin", "finance", "customer_service", "engineer", "security"}
MONEY = {"company_admin", "finance"}
BILLING_STAFF = {"company_admin", "finance", "customer_service"}
READERS = BILLING_STAFF | {"resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "fee-items": ("get", "/api/v1/fee-items/", None, STAFF),
    "fee-items-create": (
        "post",
        "/api/v1/fee-items/",
        {"office": 0, "code": "m", "name": "物业费", "category": "management", "method": "area"},
        MONEY,
    ),
    "fee-standards": ("get", "/api/v1/fee-standards/", None, STAFF),
    "fee-standards-create": (
        "post",
        "/api/v1/fee-standards/",
        {"fee_item": 0, "effective_from": "2026-07-01", "rate": "2.50"},
        MONEY,
    ),
    "bill-runs": ("get", "/api/v1/bill-runs/", None, MONEY),
    "bill-runs-create": ("post", "/api/v1/bill-runs/", {"period": "2026-13"}, MONEY),
    "bills": ("get", "/api/v1/bills/", None, READERS),
    "bills-adhoc": (
        "post",
        "/api/v1/bills/adhoc/",
        {"unit": 0, "fee_item": 0, "amount": 5000, "description": "装修垃圾清运"},
        MONEY,
    ),
    "ledger": ("get", "/api/v1/ledger/", {"unit": 0}, READERS),
    "ledger-statement": ("get", "/api/v1/ledger/statement/", {"unit": 0}, READERS),
    "ledger-accounts": ("get", "/api/v1/ledger/accounts/", {"unit": 0}, READERS),
    "ledger-payments": ("get", "/api/v1/ledger/payments/", None, READERS),
    "ledger-payments-create": (
        "post",
        "/api/v1/ledger/payments/",
        {"unit": 0, "amount": 10000, "method": "cash"},
        MONEY,
    ),
    "waivers": ("get", "/api/v1/waivers/", None, BILLING_STAFF),
    "waivers-create": ("post", "/api/v1/waivers/", {"bill_line": 0, "amount": 100, "reason": "x"}, BILLING_STAFF),
    "deposits": ("get", "/api/v1/deposits/", None, READERS),
    "deposits-create": (
        "post",
        "/api/v1/deposits/",
        {"unit": 0, "amount": 200000, "purpose": "装修保证金", "method": "cash"},
        MONEY,
    ),
}
