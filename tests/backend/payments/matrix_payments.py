"""Role-matrix rows for the payments endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed).

Writes name ids that do not exist (0) or invalid input, so an allowed caller gets a 404 / 400 and nothing is
created or sent to a gateway. Reads by id pass an empty body (a GET body becomes the query string), so the
allowed callers' 404 for id 0 counts. Card setup has no input: an allowed resident reaches the gateway (400
"not set up" without Stripe keys, 201 against localstripe)."""

from __future__ import annotations

from typing import Any

MONEY = {"company_admin", "finance"}
RESIDENT = {"resident"}
PAYERS = MONEY | RESIDENT
READERS = {"company_admin", "finance", "customer_service", "resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "payments-online": ("get", "/api/v1/payments/online/", None, PAYERS),
    "payments-online-start": ("post", "/api/v1/payments/online/", {"unit": 0, "method_type": "card"}, RESIDENT),
    "payments-online-detail": ("get", "/api/v1/payments/online/0/", {}, PAYERS),
    "payments-online-confirm": (
        "post",
        "/api/v1/payments/online/0/confirm/",
        {"payment_method": "pm_matrix"},
        RESIDENT,
    ),
    "payments-online-refresh": ("post", "/api/v1/payments/online/0/refresh/", {}, PAYERS),
    "payments-card-setup": ("post", "/api/v1/payments/card-setup/", {}, RESIDENT),
    "payments-autopay": ("get", "/api/v1/payments/autopay/", {"unit": 0}, PAYERS),
    "payments-autopay-enable": (
        "put",
        "/api/v1/payments/autopay/",
        {"unit": 0, "payment_method": "pm_matrix", "monthly_max": 50000},
        RESIDENT,
    ),
    "payments-autopay-disable": ("delete", "/api/v1/payments/autopay/?unit=0", {}, RESIDENT),
    "payments-followup": ("get", "/api/v1/payments/followup/", None, MONEY),
    "receipts": ("get", "/api/v1/receipts/", None, READERS),
    "receipts-detail": ("get", "/api/v1/receipts/0/", {}, READERS),
    "receipts-pdf": ("get", "/api/v1/receipts/0/pdf/", {}, READERS),
    "receipts-void": ("post", "/api/v1/receipts/0/void/", {"reason": "录入错误"}, MONEY),
    "refunds": ("get", "/api/v1/refunds/", None, MONEY),
    "refunds-create": ("post", "/api/v1/refunds/", {"payment": 0, "amount": 100, "reason": "多收"}, MONEY),
    "day-closes": ("get", "/api/v1/day-closes/", None, MONEY),
    "day-closes-create": ("post", "/api/v1/day-closes/", {"day": "2026-13-01"}, MONEY),
    "day-closes-summary": ("get", "/api/v1/day-closes/summary/", None, MONEY),
    "bank-collections": ("get", "/api/v1/payments/bank-collections/", None, MONEY),
    "bank-collections-upload": ("post", "/api/v1/payments/bank-collections/", {}, MONEY),
}
