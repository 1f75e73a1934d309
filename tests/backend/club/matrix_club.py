"""Role-matrix rows for the club endpoints (merged into tests/backend/api/test_role_matrix.py).
name: (method, path, body, roles allowed).

Writes name ids that do not exist (0) or invalid input, so an allowed caller gets a 404 / 400 and nothing is
created."""

from __future__ import annotations

from typing import Any

EVERYONE = {"company_admin", "finance", "customer_service", "engineer", "security", "resident"}
MANAGERS = {"company_admin", "customer_service"}
BOOKINGS_READERS = MANAGERS | {"security", "resident"}
BOOKERS = MANAGERS | {"resident"}

ROWS: dict[str, tuple[str, str, Any, set[str]]] = {
    "club-facilities": ("get", "/api/v1/club/facilities/", None, EVERYONE),
    "club-facilities-create": ("post", "/api/v1/club/facilities/", {"estate": 0, "name": "x", "kind": "gym"}, MANAGERS),
    "club-facility": ("get", "/api/v1/club/facilities/0/", {}, EVERYONE),
    "club-facility-update": ("patch", "/api/v1/club/facilities/0/", {"name": "x"}, MANAGERS),
    "club-availability": ("get", "/api/v1/club/facilities/0/availability/", {}, EVERYONE),
    "club-closures": ("get", "/api/v1/club/facilities/0/closures/", {}, EVERYONE),
    "club-closures-create": ("post", "/api/v1/club/facilities/0/closures/", {"kind": "one_off"}, MANAGERS),
    "club-closure-delete": ("delete", "/api/v1/club/closures/0/", {}, MANAGERS),
    "club-bookings": ("get", "/api/v1/club/bookings/", None, BOOKINGS_READERS),
    "club-bookings-create": ("post", "/api/v1/club/bookings/", {"facility": 0}, BOOKERS),
    "club-booking": ("get", "/api/v1/club/bookings/0/", {}, BOOKINGS_READERS),
    "club-booking-cancel": ("post", "/api/v1/club/bookings/0/cancel/", {}, BOOKERS),
    "club-booking-approve": ("post", "/api/v1/club/bookings/0/approve/", {}, MANAGERS),
    "club-booking-reject": ("post", "/api/v1/club/bookings/0/reject/", {"reason": "x"}, MANAGERS),
    "club-booking-payment": ("get", "/api/v1/club/bookings/0/payment/", {}, BOOKINGS_READERS),
    "club-booking-charge-to-account": ("post", "/api/v1/club/bookings/0/charge-to-account/", {}, BOOKERS),
    "club-booking-deposit-release": ("post", "/api/v1/club/bookings/0/deposit/release/", {}, MANAGERS),
    "club-booking-deposit-forfeit": ("post", "/api/v1/club/bookings/0/deposit/forfeit/", {"reason": "x"}, MANAGERS),
}
