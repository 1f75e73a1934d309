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
REPORT_READERS = MANAGERS | {"finance"}

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
    "club-booking-guest-paid": ("post", "/api/v1/club/bookings/0/guest-paid/", {"method": "cash"}, MANAGERS),
    "club-suspensions": ("get", "/api/v1/club/suspensions/", None, MANAGERS),
    "club-suspension-lift": ("post", "/api/v1/club/suspensions/0/lift/", {}, MANAGERS),
    "club-settings": ("get", "/api/v1/club/settings/", None, MANAGERS),
    "club-settings-update": ("put", "/api/v1/club/settings/", {"charge_to_account": "x"}, {"company_admin"}),
    "club-reports": ("get", "/api/v1/club/reports/", None, REPORT_READERS),
    "club-reports-xlsx": ("get", "/api/v1/club/reports.xlsx", None, REPORT_READERS),
    "club-waitlist": ("get", "/api/v1/club/waitlist/", None, BOOKINGS_READERS),
    "club-waitlist-join": ("post", "/api/v1/club/waitlist/", {"facility": 0}, {"resident"}),
    "club-waitlist-entry": ("get", "/api/v1/club/waitlist/0/", {}, BOOKINGS_READERS),
    "club-waitlist-leave": ("post", "/api/v1/club/waitlist/0/leave/", {}, {"resident"}),
    "club-waitlist-accept": ("post", "/api/v1/club/waitlist/0/accept/", {}, {"resident"}),
    "club-waitlist-decline": ("post", "/api/v1/club/waitlist/0/decline/", {}, {"resident"}),
    "club-check-in": ("post", "/api/v1/club/check-in/", {"code": "x"}, MANAGERS | {"security"}),
    "club-no-shows": ("get", "/api/v1/club/no-shows/", None, MANAGERS),
    "club-series": ("get", "/api/v1/club/series/", None, BOOKINGS_READERS),
    "club-series-create": ("post", "/api/v1/club/series/", {"facility": 0}, BOOKERS),
    "club-series-detail": ("get", "/api/v1/club/series/0/", {}, BOOKINGS_READERS),
    "club-series-end": ("post", "/api/v1/club/series/0/end/", {}, BOOKERS),
    "club-booking-payment": ("get", "/api/v1/club/bookings/0/payment/", {}, BOOKINGS_READERS),
    "club-booking-charge-to-account": ("post", "/api/v1/club/bookings/0/charge-to-account/", {}, BOOKERS),
    "club-booking-deposit-release": ("post", "/api/v1/club/bookings/0/deposit/release/", {}, MANAGERS),
    "club-booking-deposit-forfeit": ("post", "/api/v1/club/bookings/0/deposit/forfeit/", {"reason": "x"}, MANAGERS),
}
