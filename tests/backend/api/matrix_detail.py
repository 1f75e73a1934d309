"""Every API operation on one object (each method of each tenant pattern with a path parameter), asked for an
object the caller may not see, in three ways (tests/backend/api/test_object_scope.py):

    office     staff scoped to office A ask for office B's object                      -> 404
    neighbour  a resident asks for the object of a neighbour's home                   -> 404
    company    company beta's object id is asked for on alpha's domain                 -> 404, none of its data

Each way names who asks ("scoped_staff": every staff role, scope office A; "resident"; "admin": every staff
role, company-wide), or says why it does not apply (`Skip`). test_role_matrix.py fails when an operation has
no row here. `key` is the kind of object in tests/backend/api/scoped_world.py; `body` is what is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Skip:
    reason: str


Way = str | Skip

STAFF_ONLY = Skip("residents are refused by role (403) before any lookup")
RESIDENTS_ONLY = Skip("only residents may call it: staff are refused by role (403)")
SAME_ESTATE = Skip("a neighbour's home books the same facilities: facilities belong to the estate, not a home")
TEACHERS = Skip("teachers belong to the company, not to an office (their statements cover the caller's scope)")
MARKETPLACE = Skip("merchants apply to the company, not to an office; company-wide decisions")
PLATFORM_CATEGORY = Skip(
    "categories are the platform's, the same in every company; each company's switch lives in its own schema"
)
SAME_SHOP = Skip("a neighbour's home shops from the same merchants: what a resident may buy is the estate's")
SAME_ESTATE_SURVEY = Skip("a survey goes to an estate (or its buildings): the neighbour's home gets the same one")
SETTLEMENT = Skip("a company settles with a merchant, not an office: finance works company-wide")
COMPANY_LEVEL = Skip("invitations and members belong to the company, not to an office; company admins only")


@dataclass(frozen=True)
class Detail:
    path: str  # with {id}
    key: str
    office: Way
    neighbour: Way
    company: Way = "admin"
    body: Any = None


STAFF_ASK = {"office": "scoped_staff", "neighbour": STAFF_ONLY}
EVERYONE_ASKS = {"office": "scoped_staff", "neighbour": "resident"}

# (URL name, method) -> row
DETAIL: dict[tuple[str, str], Detail] = {
    ("api-invitation-revoke", "post"): Detail(
        "/api/v1/invitations/{id}/revoke/", "invitation", COMPANY_LEVEL, STAFF_ONLY, body={}
    ),
    ("api-member", "patch"): Detail("/api/v1/members/{id}/", "membership", COMPANY_LEVEL, STAFF_ONLY, body={}),
    ("api-notification-read", "post"): Detail("/api/v1/notifications/{id}/read/", "notification", **EVERYONE_ASKS),
    ("api-announcement-read", "post"): Detail("/api/v1/announcements/{id}/read/", "announcement", **EVERYONE_ASKS),
    ("api-building-generate", "post"): Detail(
        "/api/v1/buildings/{id}/generate-units/",
        "building",
        **STAFF_ASK,
        body={"first_floor": 9, "last_floor": 9, "units_per_floor": 1, "area": "80"},
    ),
    ("api-unit", "get"): Detail("/api/v1/units/{id}/", "unit", **EVERYONE_ASKS),
    ("api-person", "get"): Detail("/api/v1/people/{id}/", "person", **STAFF_ASK),
    ("api-person", "patch"): Detail("/api/v1/people/{id}/", "person", **STAFF_ASK, body={"name": "王改名"}),
    ("api-person-reveal", "post"): Detail(
        "/api/v1/people/{id}/reveal/", "person", **STAFF_ASK, body={"field": "phone"}
    ),
    ("api-move-out", "post"): Detail(
        "/api/v1/occupancies/{id}/move-out/", "occupancy", **STAFF_ASK, body={"end_date": "2026-11-30"}
    ),
    ("api-binding-approve", "post"): Detail(
        "/api/v1/binding-requests/{id}/approve/", "binding", **STAFF_ASK, body={"note": ""}
    ),
    ("api-binding-reject", "post"): Detail(
        "/api/v1/binding-requests/{id}/reject/", "binding", **STAFF_ASK, body={"note": "证件不清"}
    ),
    ("api-fee-item", "get"): Detail("/api/v1/fee-items/{id}/", "fee_item", **STAFF_ASK),
    ("api-fee-item", "patch"): Detail("/api/v1/fee-items/{id}/", "fee_item", **STAFF_ASK, body={"name": "改名"}),
    ("api-fee-item-assign", "post"): Detail(
        "/api/v1/fee-items/{id}/assign/", "fee_item", **STAFF_ASK, body={"start_date": "2026-12-01"}
    ),
    ("api-fee-item-unassign", "post"): Detail(
        "/api/v1/fee-items/{id}/unassign/", "fee_item", **STAFF_ASK, body={"end_date": "2026-12-31"}
    ),
    ("api-bill-run", "get"): Detail("/api/v1/bill-runs/{id}/", "bill_run", **STAFF_ASK),
    ("api-bill-run-start", "post"): Detail("/api/v1/bill-runs/{id}/start/", "bill_run", **STAFF_ASK, body={}),
    ("api-bill", "get"): Detail("/api/v1/bills/{id}/", "bill_line", **EVERYONE_ASKS),
    ("api-waiver-approve", "post"): Detail("/api/v1/waivers/{id}/approve/", "waiver", **STAFF_ASK, body={"note": ""}),
    ("api-waiver-reject", "post"): Detail(
        "/api/v1/waivers/{id}/reject/", "waiver", **STAFF_ASK, body={"note": "不符合"}
    ),
    ("api-deposit-release", "post"): Detail(
        "/api/v1/deposits/{id}/release/",
        "deposit",
        **STAFF_ASK,
        body={"refund": 1000, "forfeit": 0, "reason": "退房"},
    ),
    ("api-meter", "get"): Detail("/api/v1/meters/{id}/", "meter", **STAFF_ASK),
    ("api-meter", "patch"): Detail("/api/v1/meters/{id}/", "meter", **STAFF_ASK, body={"multiplier": "2"}),
    ("api-reading-confirm", "post"): Detail("/api/v1/readings/{id}/confirm/", "reading", **STAFF_ASK, body={}),
    ("api-reading-reject", "post"): Detail(
        "/api/v1/readings/{id}/reject/", "reading", **STAFF_ASK, body={"reason": "读错"}
    ),
    ("api-arrears-letter", "get"): Detail("/api/v1/arrears/{id}/letter/", "unit", **STAFF_ASK),
    ("api-online-payment", "get"): Detail("/api/v1/payments/online/{id}/", "online_payment", **EVERYONE_ASKS),
    ("api-online-payment-confirm", "post"): Detail(
        "/api/v1/payments/online/{id}/confirm/",
        "online_payment",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={"payment_method": "pm_card_visa"},
    ),
    ("api-online-payment-refresh", "post"): Detail(
        "/api/v1/payments/online/{id}/refresh/", "online_payment", **EVERYONE_ASKS, body={}
    ),
    ("api-bank-collection", "get"): Detail("/api/v1/payments/bank-collections/{id}/", "bank_collection", **STAFF_ASK),
    ("api-bank-collection-apply", "post"): Detail(
        "/api/v1/payments/bank-collections/{id}/apply/", "bank_collection", **STAFF_ASK, body={}
    ),
    ("api-receipt", "get"): Detail("/api/v1/receipts/{id}/", "receipt", **EVERYONE_ASKS),
    ("api-receipt-pdf", "get"): Detail("/api/v1/receipts/{id}/pdf/", "receipt", **EVERYONE_ASKS),
    ("api-receipt-void", "post"): Detail(
        "/api/v1/receipts/{id}/void/", "receipt", **STAFF_ASK, body={"reason": "录入错误"}
    ),
    ("api-club-facility", "get"): Detail("/api/v1/club/facilities/{id}/", "facility", "scoped_staff", SAME_ESTATE),
    ("api-club-facility", "patch"): Detail(
        "/api/v1/club/facilities/{id}/", "facility", **STAFF_ASK, body={"description": "新说明"}
    ),
    ("api-club-availability", "get"): Detail(
        "/api/v1/club/facilities/{id}/availability/", "facility", "scoped_staff", SAME_ESTATE
    ),
    ("api-club-closures", "get"): Detail(
        "/api/v1/club/facilities/{id}/closures/", "facility", "scoped_staff", SAME_ESTATE
    ),
    ("api-club-closures", "post"): Detail(
        "/api/v1/club/facilities/{id}/closures/",
        "facility",
        **STAFF_ASK,
        body={
            "kind": "weekly",
            "reason": "保洁",
            "weekday": 6,
            "start_minute": 0,
            "end_minute": 60,
            "first_date": "2099-01-04",
        },
    ),
    ("api-club-closure", "delete"): Detail("/api/v1/club/closures/{id}/", "closure", **STAFF_ASK),
    ("api-club-booking", "get"): Detail("/api/v1/club/bookings/{id}/", "booking", **EVERYONE_ASKS),
    ("api-club-booking-cancel", "post"): Detail(
        "/api/v1/club/bookings/{id}/cancel/", "booking", **EVERYONE_ASKS, body={"reason": "临时有事"}
    ),
    ("api-club-booking-approve", "post"): Detail(
        "/api/v1/club/bookings/{id}/approve/", "booking", **STAFF_ASK, body={}
    ),
    ("api-club-waitlist-entry", "get"): Detail("/api/v1/club/waitlist/{id}/", "waitlist_entry", **EVERYONE_ASKS),
    ("api-club-waitlist-leave", "post"): Detail(
        "/api/v1/club/waitlist/{id}/leave/", "waitlist_entry", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-club-waitlist-accept", "post"): Detail(
        "/api/v1/club/waitlist/{id}/accept/", "waitlist_entry", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-club-waitlist-decline", "post"): Detail(
        "/api/v1/club/waitlist/{id}/decline/", "waitlist_entry", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-club-series-detail", "get"): Detail("/api/v1/club/series/{id}/", "series", **EVERYONE_ASKS),
    ("api-club-series-end", "post"): Detail("/api/v1/club/series/{id}/end/", "series", **EVERYONE_ASKS, body={}),
    ("api-club-booking-reject", "post"): Detail(
        "/api/v1/club/bookings/{id}/reject/", "booking", **STAFF_ASK, body={"reason": "不符合"}
    ),
    # Training classes (tests/backend/club/test_classes_api.py covers them end to end).
    ("api-club-teacher", "get"): Detail("/api/v1/club/teachers/{id}/", "teacher", TEACHERS, STAFF_ONLY),
    ("api-club-teacher", "patch"): Detail(
        "/api/v1/club/teachers/{id}/", "teacher", TEACHERS, STAFF_ONLY, body={"phone": "13900000000"}
    ),
    ("api-club-teacher-statement", "get"): Detail(
        "/api/v1/club/teachers/{id}/statement/", "teacher", TEACHERS, STAFF_ONLY
    ),
    ("api-club-class", "get"): Detail("/api/v1/club/classes/{id}/", "class", "scoped_staff", SAME_ESTATE),
    ("api-club-class", "patch"): Detail("/api/v1/club/classes/{id}/", "class", **STAFF_ASK, body={"title": "新"}),
    ("api-club-class-publish", "post"): Detail("/api/v1/club/classes/{id}/publish/", "class", **STAFF_ASK, body={}),
    ("api-club-class-close", "post"): Detail("/api/v1/club/classes/{id}/close/", "class", **STAFF_ASK, body={}),
    ("api-club-class-cancel", "post"): Detail(
        "/api/v1/club/classes/{id}/cancel/", "class", **STAFF_ASK, body={"reason": "停办"}
    ),
    ("api-club-class-sessions", "get"): Detail(
        "/api/v1/club/classes/{id}/sessions/", "class", "scoped_staff", SAME_ESTATE
    ),
    ("api-club-class-sessions", "post"): Detail(
        "/api/v1/club/classes/{id}/sessions/", "class", **STAFF_ASK, body={"starts_at": "x"}
    ),
    ("api-club-class-enrol", "post"): Detail(
        "/api/v1/club/classes/{id}/enrol/", "class", RESIDENTS_ONLY, SAME_ESTATE, company="resident", body={"unit": 0}
    ),
    ("api-club-session-cancel", "post"): Detail(
        "/api/v1/club/sessions/{id}/cancel/", "session", **STAFF_ASK, body={"reason": "停课"}
    ),
    ("api-club-session-attendance", "get"): Detail("/api/v1/club/sessions/{id}/attendance/", "session", **STAFF_ASK),
    ("api-club-session-attendance", "post"): Detail(
        "/api/v1/club/sessions/{id}/attendance/", "session", **STAFF_ASK, body={"marks": []}
    ),
    ("api-club-enrolment-withdraw", "post"): Detail(
        "/api/v1/club/enrolments/{id}/withdraw/", "enrolment", **EVERYONE_ASKS, body={}
    ),
    ("api-club-booking-payment", "get"): Detail("/api/v1/club/bookings/{id}/payment/", "booking", **EVERYONE_ASKS),
    ("api-club-booking-charge-to-account", "post"): Detail(
        "/api/v1/club/bookings/{id}/charge-to-account/", "booking", **EVERYONE_ASKS, body={}
    ),
    ("api-club-booking-deposit-release", "post"): Detail(
        "/api/v1/club/bookings/{id}/deposit/release/", "booking", **STAFF_ASK, body={"reason": "使用完毕"}
    ),
    ("api-club-booking-deposit-forfeit", "post"): Detail(
        "/api/v1/club/bookings/{id}/deposit/forfeit/", "booking", **STAFF_ASK, body={"reason": "损坏"}
    ),
    ("api-club-booking-guest-paid", "post"): Detail(
        "/api/v1/club/bookings/{id}/guest-paid/", "booking", **STAFF_ASK, body={"method": "cash"}
    ),
    ("api-club-suspension-lift", "post"): Detail(
        "/api/v1/club/suspensions/{id}/lift/", "suspension", **STAFF_ASK, body={"reason": "误判"}
    ),
    # The community shop, residents' side: another company's listing or merchant is a 404 on this domain.
    ("api-shop-listing", "get"): Detail(
        "/api/v1/shop/listings/{id}/", "listing", RESIDENTS_ONLY, SAME_SHOP, company="resident"
    ),
    # Shop orders: a neighbour's cart line or order, and another company's, are 404s.
    ("api-shop-cart-item", "patch"): Detail(
        "/api/v1/shop/cart/items/{id}/",
        "cart_item",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={"quantity": 2},
    ),
    ("api-shop-order", "get"): Detail(
        "/api/v1/shop/orders/{id}/", "shop_order", RESIDENTS_ONLY, "resident", company="resident"
    ),
    ("api-shop-order-cancel", "post"): Detail(
        "/api/v1/shop/orders/{id}/cancel/", "shop_order", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-shop-order-confirm", "post"): Detail(
        "/api/v1/shop/orders/{id}/confirm/", "shop_order", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    # Group-buy: a deal belongs to the estates that may see its listing (a neighbour sees the same deals);
    # another company's deal is a 404.
    ("api-shop-deal", "get"): Detail("/api/v1/shop/deals/{id}/", "shop_deal", RESIDENTS_ONLY, SAME_SHOP, "resident"),
    ("api-shop-deal-join", "post"): Detail(
        "/api/v1/shop/deals/{id}/join/", "shop_deal", RESIDENTS_ONLY, SAME_SHOP, "resident", body={"unit": 0}
    ),
    ("api-shop-deal-leave", "post"): Detail(
        "/api/v1/shop/deals/{id}/leave/", "shop_deal", RESIDENTS_ONLY, SAME_SHOP, "resident", body={}
    ),
    # Shop after-sale: a neighbour's order, refund request or complaint, and another company's, are 404s;
    # the company's staff find escalated refunds and complaints within their scope (the home's office).
    ("api-shop-order-refunds", "get"): Detail(
        "/api/v1/shop/orders/{id}/refunds/", "shop_delivered", RESIDENTS_ONLY, "resident", company="resident"
    ),
    ("api-shop-order-refunds", "post"): Detail(
        "/api/v1/shop/orders/{id}/refunds/",
        "shop_delivered",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={"line": 0, "amount_fen": 1, "reason": "坏了"},
    ),
    ("api-shop-order-review", "get"): Detail(
        "/api/v1/shop/orders/{id}/review/", "shop_delivered", RESIDENTS_ONLY, "resident", company="resident"
    ),
    ("api-shop-order-review", "post"): Detail(
        "/api/v1/shop/orders/{id}/review/",
        "shop_delivered",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={"stars": 5},
    ),
    ("api-shop-refund-withdraw", "post"): Detail(
        "/api/v1/shop/refunds/{id}/withdraw/", "shop_refund", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-shop-refund-escalate", "post"): Detail(
        "/api/v1/shop/refunds/{id}/escalate/",
        "shop_refund",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={"note": "请评理"},
    ),
    ("api-shop-complaint", "get"): Detail(
        "/api/v1/shop/complaints/{id}/", "shop_complaint", RESIDENTS_ONLY, "resident", company="resident"
    ),
    ("api-marketplace-refund", "get"): Detail("/api/v1/marketplace/refunds/{id}/", "shop_refund", **STAFF_ASK),
    ("api-marketplace-refund-decide", "post"): Detail(
        "/api/v1/marketplace/refunds/{id}/decide/",
        "shop_refund",
        **STAFF_ASK,
        body={"approve": False, "note": "证据不足"},
    ),
    ("api-marketplace-complaint", "get"): Detail("/api/v1/marketplace/complaints/{id}/", "shop_complaint", **STAFF_ASK),
    ("api-marketplace-complaint-take", "post"): Detail(
        "/api/v1/marketplace/complaints/{id}/take/", "shop_complaint", **STAFF_ASK, body={}
    ),
    ("api-marketplace-complaint-decide", "post"): Detail(
        "/api/v1/marketplace/complaints/{id}/decide/",
        "shop_complaint",
        **STAFF_ASK,
        body={"upheld": False, "outcome": "不成立"},
    ),
    ("api-shop-merchant", "get"): Detail(
        "/api/v1/shop/merchants/{id}/", "shop_merchant", RESIDENTS_ONLY, SAME_SHOP, company="resident"
    ),
    # The community marketplace, company side (tests/marketplace/company/test_api.py covers it end to end).
    ("api-marketplace-application", "get"): Detail(
        "/api/v1/marketplace/applications/{id}/", "merchant_application", MARKETPLACE, STAFF_ONLY
    ),
    ("api-marketplace-application-approve", "post"): Detail(
        "/api/v1/marketplace/applications/{id}/approve/",
        "merchant_application",
        MARKETPLACE,
        STAFF_ONLY,
        body={"estate_ids": [], "category_codes": []},
    ),
    ("api-marketplace-application-reject", "post"): Detail(
        "/api/v1/marketplace/applications/{id}/reject/",
        "merchant_application",
        MARKETPLACE,
        STAFF_ONLY,
        body={"reason": "执照不清"},
    ),
    ("api-marketplace-application-suspend", "post"): Detail(
        "/api/v1/marketplace/applications/{id}/suspend/",
        "merchant_application",
        MARKETPLACE,
        STAFF_ONLY,
        body={"reason": "投诉"},
    ),
    ("api-marketplace-application-resume", "post"): Detail(
        "/api/v1/marketplace/applications/{id}/resume/", "merchant_application", MARKETPLACE, STAFF_ONLY, body={}
    ),
    ("api-marketplace-application-licence", "get"): Detail(
        "/api/v1/marketplace/applications/{id}/licence/", "merchant_application", MARKETPLACE, STAFF_ONLY
    ),
    ("api-marketplace-category", "get"): Detail(
        "/api/v1/marketplace/categories/{id}/", "category", PLATFORM_CATEGORY, STAFF_ONLY, PLATFORM_CATEGORY
    ),
    ("api-marketplace-category", "patch"): Detail(
        "/api/v1/marketplace/categories/{id}/", "category", PLATFORM_CATEGORY, STAFF_ONLY, PLATFORM_CATEGORY
    ),
    ("api-marketplace-listing-hide", "delete"): Detail(
        "/api/v1/marketplace/listing-hides/{id}/", "listing_hide", MARKETPLACE, STAFF_ONLY
    ),
    # Settlement with merchants (tests/marketplace/settlement/ covers it end to end).
    ("api-marketplace-statement", "get"): Detail(
        "/api/v1/marketplace/statements/{id}/", "statement", SETTLEMENT, STAFF_ONLY
    ),
    ("api-marketplace-statement-payout", "post"): Detail(
        "/api/v1/marketplace/statements/{id}/payout/",
        "statement",
        SETTLEMENT,
        STAFF_ONLY,
        body={"method": "bank_transfer", "reference": "矩阵"},
    ),
    ("api-marketplace-payout-account", "get"): Detail(
        "/api/v1/marketplace/payout-accounts/{id}/", "merchant", SETTLEMENT, STAFF_ONLY
    ),
    ("api-marketplace-payout-account", "put"): Detail(
        "/api/v1/marketplace/payout-accounts/{id}/", "merchant", SETTLEMENT, STAFF_ONLY, body={"stripe_account_id": ""}
    ),
    ("api-gate-pass", "get"): Detail("/api/v1/gate/passes/{id}/", "visitor_pass", **EVERYONE_ASKS),
    ("api-gate-pass-cancel", "post"): Detail(
        "/api/v1/gate/passes/{id}/cancel/", "visitor_pass", RESIDENTS_ONLY, "resident", company="resident", body={}
    ),
    ("api-gate-parcel", "get"): Detail("/api/v1/gate/parcels/{id}/", "parcel", **EVERYONE_ASKS),
    ("api-desk-ticket", "get"): Detail("/api/v1/desk/tickets/{id}/", "ticket", **EVERYONE_ASKS),
    ("api-desk-ticket-steps", "post"): Detail(
        "/api/v1/desk/tickets/{id}/steps/", "ticket", **EVERYONE_ASKS, body={"step": "cancel", "reason": "不修了"}
    ),
    ("api-renovation-application", "get"): Detail(
        "/api/v1/renovation/applications/{id}/", "renovation", **EVERYONE_ASKS
    ),
    ("api-renovation-review", "post"): Detail(
        "/api/v1/renovation/applications/{id}/review/",
        "renovation",
        **STAFF_ASK,
        body={"side": "desk", "approve": False, "note": "不符合规定"},
    ),
    ("api-renovation-cancel", "post"): Detail(
        "/api/v1/renovation/applications/{id}/cancel/",
        "renovation",
        RESIDENTS_ONLY,
        "resident",
        company="resident",
        body={},
    ),
    ("api-renovation-inspections", "post"): Detail(
        "/api/v1/renovation/applications/{id}/inspections/", "renovation", **STAFF_ASK, body={"passed": True}
    ),
    ("api-renovation-deposit", "post"): Detail(
        "/api/v1/renovation/applications/{id}/deposit/", "renovation", **STAFF_ASK, body={"refund_fen": 0}
    ),
    # complaints: the complainant's own (a neighbour's is theirs alone); surveys go to an estate
    ("api-desk-complaint", "get"): Detail("/api/v1/desk/complaints/{id}/", "complaint", **EVERYONE_ASKS),
    ("api-desk-complaint-steps", "post"): Detail(
        "/api/v1/desk/complaints/{id}/steps/", "complaint", **EVERYONE_ASKS, body={"step": "withdraw", "reason": ""}
    ),
    ("api-desk-survey", "get"): Detail("/api/v1/desk/surveys/{id}/", "survey", "scoped_staff", SAME_ESTATE_SURVEY),
    ("api-desk-survey-steps", "post"): Detail(
        "/api/v1/desk/surveys/{id}/steps/", "survey", **STAFF_ASK, body={"step": "open"}
    ),
    ("api-desk-survey-answers", "post"): Detail(
        "/api/v1/desk/surveys/{id}/answers/",
        "survey",
        "resident",
        SAME_ESTATE_SURVEY,
        company="resident",
        body={"unit": 0, "answers": []},
    ),
    ("api-desk-survey-results", "get"): Detail("/api/v1/desk/surveys/{id}/results/", "survey", **STAFF_ASK),
}
