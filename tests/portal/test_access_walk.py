"""Deny by default, walked: every URL pattern of portal.urls_tenant, its path filled with real object ids, as
anonymous, as a member of another company and as each role. Who may open each page is written below from
what the page is for (not read from its decorators), so a page that opens or closes by accident fails, and so
does a new page nobody added here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, include, path, reverse
from django.utils.http import urlencode

import backend.urls_tenant
import portal.urls_public
import portal.urls_tenant
from portal.access import PUBLIC, access_of
from tenants.db import connection
from tests.backend.api.scoped_world import (
    Company,
    build_company,
    module_world,
    personal_objects,
    scoped_staff,
    write_files,
)
from tests.conftest import host_of
from tests.factories import MemberFactory

ADMIN = frozenset({"company_admin"})
STAFF = frozenset({"company_admin", "finance", "customer_service", "engineer", "security"})
RESIDENT = frozenset({"resident"})
EVERYONE = STAFF | RESIDENT
WRITERS = frozenset({"company_admin", "customer_service"})  # the registry; announcements
MONEY = frozenset({"company_admin", "finance"})
BILLING = MONEY | {"customer_service"}  # fees, statements, waivers, arrears and dunning, reports
RECORDERS = BILLING | {"engineer"}  # meter readings import
CHECKIN = WRITERS | {"security"}  # the club's calendar and bookings (writes there: WRITERS)
DESK_QUEUE = WRITERS | {"engineer"}  # the service desk's work queue and tickets (dispatch: WRITERS)
GATE_DESK = WRITERS | {"security"}  # the gate: passes checked, parcels logged and handed over
RENOVATION = MONEY | DESK_QUEUE  # renovation's queue and applications (steps checked per permission)
GATE = DESK_QUEUE | {"security"}  # renovation permits checked at the gate
CLASS_DESK = WRITERS  # training classes: teachers, classes, sessions, attendance
ROLES = ["company_admin", "finance", "customer_service", "engineer", "security", "resident"]
CALLERS = ["anonymous", "member_of_other_company", *ROLES]


@dataclass(frozen=True)
class Page:
    roles: frozenset[str] | None  # None: public
    # path parameter -> a key of the resident's home's ids (or of the caller's own objects), or "=literal"
    params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # the same, for the query string


def public(**params: str) -> Page:
    return Page(None, params)


def page(roles: frozenset[str], query: dict[str, str] | None = None, **params: str) -> Page:
    return Page(roles, params, query or {})


PAGES: dict[str, Page] = {
    # signing in, signing up, invitations, password reset: open to anyone
    "root": public(),
    "login": public(),
    "logout": public(),
    "resident-signup": public(),
    "privacy": public(),
    "handoff": public(token="=no-such-ticket"),
    "invitation": public(token="=no-such-invitation"),
    "password-reset": public(),
    "password-reset-done": public(),
    "password-reset-confirm": public(uidb64="=MQ", token="=set-password"),
    "password-reset-complete": public(),
    # staff home, members, audit
    "staff-home": page(STAFF),
    "staff-members": page(ADMIN),
    "staff-member": page(ADMIN, pk="membership"),
    "staff-invitation-withdraw": page(ADMIN, pk="invitation"),
    "staff-audit": page(ADMIN),
    # residents' home and binding
    "resident-home": page(RESIDENT),
    "resident-bind": page(RESIDENT),
    # the registry
    "registry": page(STAFF),
    "registry-generate": page(WRITERS, pk="building"),
    "units": page(STAFF),
    "units-export": page(STAFF),
    "residents-export": page(STAFF),
    "unit": page(STAFF, pk="unit"),
    "people": page(STAFF),
    "person": page(STAFF, pk="person"),
    "bindings": page(STAFF),
    "binding-document": page(WRITERS, pk="binding"),
    "imports": page(WRITERS),
    "import-status": page(WRITERS, pk="import_job"),
    "import-template": page(WRITERS, kind="=units"),
    "search": page(STAFF),
    # notifications and announcements
    "notifications": page(EVERYONE),
    "notification-open": page(EVERYONE, pk="notification"),
    "notification-preferences": page(EVERYONE),
    "notifications-read-all": page(EVERYONE),
    "announcements": page(EVERYONE),
    "announcement": page(EVERYONE, pk="announcement_to_all"),
    "announcement-image": page(EVERYONE, pk="announcement_to_all"),
    "staff-announcements": page(WRITERS),
    "staff-announcement": page(WRITERS, pk="announcement"),
    "deliveries": page(ADMIN),
    "holidays": page(WRITERS),
    # billing: fees, runs, statements
    "billing-fees": page(BILLING),
    "billing-fee": page(BILLING, pk="fee_item"),
    "billing-runs": page(MONEY),
    "billing-run": page(MONEY, pk="bill_run"),
    "billing-run-progress": page(MONEY, pk="bill_run"),
    "billing-statement": page(BILLING, pk="unit"),
    # meters and readings
    "billing-meters": page(STAFF),
    "billing-meter": page(STAFF, pk="meter"),
    "billing-readings": page(STAFF),
    "billing-readings-import": page(RECORDERS),
    "billing-readings-template": page(RECORDERS),
    # money at the unit: payments, deposits, one-off charges, waivers, settings
    "billing-payment-record": page(MONEY, pk="unit"),
    "billing-deposits": page(MONEY, pk="unit"),
    "billing-adhoc": page(MONEY, pk="unit"),
    "billing-waiver-request": page(BILLING, pk="bill_line"),
    "billing-waivers": page(MONEY),
    "billing-settings": page(MONEY),
    # arrears and dunning, reports and notices
    "billing-arrears": page(BILLING),
    "billing-dunning-unit": page(BILLING, pk="unit"),
    "billing-demand-letter": page(BILLING, pk="unit"),
    "billing-reports": page(BILLING),
    "billing-reports-export": page(BILLING),
    "billing-notice": page(BILLING | RESIDENT, pk="unit", period="=2026-01"),
    "billing-building-notices": page(BILLING, pk="building", period="=2026-01"),
    # residents' bills, online payment and autopay
    "resident-bills": page(RESIDENT),
    "resident-statement": page(RESIDENT, pk="unit"),
    "resident-pay": page(RESIDENT, query={"unit": "unit"}),
    "resident-pay-start": page(RESIDENT),
    "resident-card-setup": page(RESIDENT),
    "resident-pay-result": page(RESIDENT, pk="online_payment"),
    "resident-pay-confirm": page(RESIDENT, pk="online_payment"),
    "resident-pay-refresh": page(RESIDENT, pk="online_payment"),
    "resident-pay-redirect": page(RESIDENT, pk="online_payment"),
    "resident-receipt-pdf": page(RESIDENT, pk="receipt"),
    "resident-autopay": page(RESIDENT),
    "resident-autopay-enable": page(RESIDENT),
    # the counter, receipts, day close; finance
    "payments-counter": page(MONEY),
    "payments-receipts": page(MONEY),
    "payments-receipt": page(MONEY, pk="receipt"),
    "payments-receipt-pdf": page(MONEY, pk="receipt"),
    "payments-day-close": page(MONEY),
    "payments-list": page(MONEY),
    "payments-detail": page(MONEY, pk="payment"),
    "payments-followup": page(MONEY),
    "payments-report": page(MONEY),
    "payments-settings": page(MONEY),
    "payments-bank-collection": page(MONEY),
    "payments-bank-collection-detail": page(MONEY, pk="bank_collection"),
    "payments-bank-collection-template": page(MONEY),
    # the club (会所): residents book, staff set up and run it
    "resident-facilities": page(RESIDENT),
    "resident-facility": page(RESIDENT, pk="facility"),
    "club-photo": page(EVERYONE, pk="photo"),
    "resident-bookings": page(RESIDENT),
    "resident-booking": page(RESIDENT, pk="booking"),
    "resident-booking-cancel": page(RESIDENT, pk="booking"),
    "resident-booking-charge": page(RESIDENT, pk="booking"),
    "resident-series-end": page(RESIDENT, pk="series"),
    "resident-waitlist": page(RESIDENT),
    "resident-waitlist-entry": page(RESIDENT, pk="waitlist_entry"),
    "staff-club-facilities": page(WRITERS),
    "staff-club-facility-new": page(WRITERS),
    "staff-club-facility": page(WRITERS, pk="facility"),
    "staff-club-photo-add": page(WRITERS, pk="facility"),
    "staff-club-photo-remove": page(WRITERS, pk="photo"),
    "staff-club-closures": page(WRITERS, pk="facility"),
    "staff-club-closure-lift": page(WRITERS, pk="closure"),
    "staff-club-book": page(WRITERS, pk="facility"),
    "staff-club-calendar": page(CHECKIN),
    "staff-club-bookings": page(CHECKIN),
    "club-reports": page(BILLING),
    "club-reports-export": page(BILLING),
    "staff-club-booking": page(CHECKIN, pk="booking"),
    # training classes: the staff pages, the teacher's statement, the residents' pages
    "classes-list": page(CLASS_DESK),
    "classes-create": page(CLASS_DESK),
    "classes-detail": page(CLASS_DESK, pk="class"),
    "classes-edit": page(CLASS_DESK, pk="class"),
    "classes-publish": page(CLASS_DESK, pk="class"),
    "classes-close": page(CLASS_DESK, pk="class"),
    "classes-cancel": page(CLASS_DESK, pk="class"),
    "classes-session-add": page(CLASS_DESK, pk="class"),
    "classes-enrolments": page(CLASS_DESK, pk="class"),
    "classes-session-cancel": page(CLASS_DESK, pk="session"),
    "classes-attendance": page(CLASS_DESK, pk="session"),
    "classes-teachers": page(CLASS_DESK),
    "classes-teacher-create": page(CLASS_DESK),
    "classes-teacher": page(CLASS_DESK, pk="teacher"),
    "classes-statement": page(BILLING),
    "classes-statement-pdf": page(BILLING, query={"teacher": "teacher", "month": "=2026-01"}),
    "classes-statement-xlsx": page(BILLING, query={"teacher": "teacher", "month": "=2026-01"}),
    "resident-classes": page(RESIDENT),
    "resident-shop": page(RESIDENT),
    "resident-shop-search": page(RESIDENT),
    "resident-shop-category": page(RESIDENT, code="=fresh"),
    "resident-shop-listing": page(RESIDENT, pk="listing"),
    "resident-shop-merchant": page(RESIDENT, pk="shop_merchant"),
    "resident-shop-cart": page(RESIDENT),
    "resident-shop-cart-add": page(RESIDENT),
    "resident-shop-cart-quantity": page(RESIDENT, pk="cart_item"),
    "resident-shop-checkout": page(RESIDENT),
    "resident-shop-orders": page(RESIDENT),
    "resident-shop-order": page(RESIDENT, pk="shop_order"),
    "resident-shop-order-cancel": page(RESIDENT, pk="shop_order"),
    "resident-shop-order-confirm": page(RESIDENT, pk="shop_order"),
    "shop-photo": page(RESIDENT, pk="shop_photo"),
    "resident-shop-refund-new": page(RESIDENT, pk="shop_delivered"),
    "resident-shop-review": page(RESIDENT, pk="shop_delivered"),
    "resident-shop-refund-withdraw": page(RESIDENT, pk="shop_refund"),
    "resident-shop-refund-escalate": page(RESIDENT, pk="shop_refund"),
    "resident-shop-deals": page(RESIDENT),
    "resident-shop-deal": page(RESIDENT, pk="shop_deal"),
    "resident-shop-deal-join": page(RESIDENT, pk="shop_deal"),
    "resident-shop-deal-leave": page(RESIDENT, pk="shop_deal"),
    "resident-shop-complaints": page(RESIDENT),
    "resident-shop-complaint-new": page(RESIDENT),
    "resident-shop-complaint": page(RESIDENT, pk="shop_complaint"),
    "resident-shop-aftersale-photo": page(RESIDENT, pk="shop_aftersale_photo"),
    "resident-class": page(RESIDENT, pk="class"),
    "resident-enrolments": page(RESIDENT),
    "resident-enrolment-withdraw": page(RESIDENT, pk="enrolment"),
    "staff-club-checkin": page(CHECKIN),
    "staff-club-week": page(CHECKIN, pk="facility"),
    "staff-club-waitlist": page(CHECKIN, pk="facility"),
    "staff-club-no-shows": page(WRITERS),
    "staff-club-series": page(WRITERS),
    "staff-club-series-new": page(WRITERS, pk="facility"),
    "staff-club-series-detail": page(WRITERS, pk="series"),
    "staff-club-settings": page(ADMIN),
    # the community marketplace, company side: vetting, categories, moderation
    "staff-marketplace-applications": page(WRITERS),
    "staff-marketplace-application": page(WRITERS, pk="merchant_application"),
    "staff-marketplace-licence": page(WRITERS, pk="merchant_application"),
    "staff-marketplace-merchants": page(WRITERS),
    "staff-marketplace-categories": page(WRITERS),
    "staff-marketplace-listings": page(WRITERS),
    # settlement with merchants (finance) and the marketplace reports
    "staff-marketplace-settlement": page(MONEY),
    "staff-marketplace-settlement-build": page(MONEY),
    "staff-marketplace-statement": page(MONEY, pk="statement"),
    "staff-marketplace-statement-pdf": page(MONEY, pk="statement"),
    "staff-marketplace-statement-xlsx": page(MONEY, pk="statement"),
    "staff-marketplace-payout-account": page(MONEY, merchant_id="merchant"),
    "staff-marketplace-reports": page(BILLING),
    "staff-marketplace-reports-export": page(BILLING),
    "staff-marketplace-refunds": page(WRITERS),
    "staff-marketplace-refund": page(WRITERS, pk="shop_refund"),
    "staff-marketplace-complaints": page(WRITERS),
    "staff-marketplace-complaint": page(WRITERS, pk="shop_complaint"),
    "staff-marketplace-aftersale-photo": page(WRITERS, pk="shop_aftersale_photo"),
    # the service desk (客户服务): residents report and follow repairs, staff work and dispatch them
    "resident-repairs": page(RESIDENT),
    "resident-repair-new": page(RESIDENT),
    "resident-repair": page(RESIDENT, pk="ticket"),
    "resident-repair-confirm": page(RESIDENT, pk="ticket"),
    "resident-repair-cancel": page(RESIDENT, pk="ticket"),
    "staff-desk-queue": page(DESK_QUEUE),
    "staff-desk-board": page(WRITERS),
    "staff-desk-intake": page(WRITERS),
    "staff-desk-ticket": page(DESK_QUEUE, pk="ticket"),
    "staff-desk-step": page(DESK_QUEUE, pk="ticket", step="=accept"),
    "staff-desk-photo": page(DESK_QUEUE, pk="ticket_photo"),
    "resident-repair-photo": page(RESIDENT, pk="ticket_photo"),
    "staff-desk-settings": page(ADMIN),
    "staff-desk-sla": page(WRITERS),
    "staff-desk-reports": page(WRITERS),
    "staff-desk-reports-export": page(WRITERS),
    # the gate (门岗): residents invite visitors and follow their parcels, security checks and hands over
    "staff-gate": page(GATE_DESK),
    "staff-gate-log": page(GATE_DESK),
    "staff-gate-settings": page(ADMIN),
    "staff-gate-parcels": page(GATE_DESK),
    "staff-gate-parcel-new": page(GATE_DESK),
    "staff-gate-parcel-units": page(GATE_DESK, query={"q": "=101"}),
    "staff-gate-pickup": page(GATE_DESK),
    "staff-gate-parcel-return": page(GATE_DESK, pk="parcel"),
    "staff-gate-signature": page(GATE_DESK, pk="parcel_collected"),
    "resident-visitors": page(RESIDENT),
    "resident-visitor-new": page(RESIDENT),
    "resident-visitor": page(RESIDENT, pk="visitor_pass"),
    "resident-visitor-cancel": page(RESIDENT, pk="visitor_pass"),
    "resident-parcels": page(RESIDENT),
    "visitor-pass-share": public(token="=no-such-pass"),
    # renovation (装修): owners apply and follow; staff review, inspect, settle; security checks permits
    "resident-renovations": page(RESIDENT),
    "resident-renovation-new": page(RESIDENT),
    "resident-renovation": page(RESIDENT, pk="renovation"),
    "resident-renovation-cancel": page(RESIDENT, pk="renovation"),
    "resident-renovation-document": page(RESIDENT, pk="renovation_document"),
    "staff-renovation-queue": page(RENOVATION),
    "staff-renovation": page(RENOVATION, pk="renovation"),
    "staff-renovation-step": page(RENOVATION, pk="renovation", step="=inspect"),
    "staff-renovation-document": page(RENOVATION, pk="renovation_document"),
    "staff-renovation-photo": page(RENOVATION, pk="renovation_photo"),
    "staff-renovation-permit-check": page(GATE),
    # personal information (PIPL): a resident's own data; erasure requests processed by the company's admin
    "resident-my-data": page(RESIDENT),
    "resident-my-data-download": page(RESIDENT),
    "staff-erasure-requests": page(ADMIN),
    "staff-erasure-process": page(ADMIN, pk="=1"),
    # complaints (投诉) and satisfaction (满意度): residents complain and answer surveys, customer service runs them
    "staff-complaints": page(WRITERS),
    "staff-complaint-new": page(WRITERS),
    "staff-complaint-analysis": page(WRITERS),
    "staff-complaint": page(WRITERS, pk="complaint"),
    "staff-complaint-step": page(WRITERS, pk="complaint", step="=take"),
    "staff-satisfaction": page(WRITERS),
    "staff-surveys": page(WRITERS),
    "staff-survey-new": page(WRITERS),
    "staff-survey": page(WRITERS, pk="survey"),
    "staff-survey-step": page(WRITERS, pk="survey", step="=open"),
    "resident-complaints": page(RESIDENT),
    "resident-complaint-new": page(RESIDENT),
    "resident-complaint": page(RESIDENT, pk="complaint"),
    "resident-complaint-step": page(RESIDENT, pk="complaint", step="=rate"),
    "resident-surveys": page(RESIDENT),
    "resident-survey": page(RESIDENT, pk="survey"),
}


def tenant_patterns() -> list[URLPattern]:
    return [p for p in portal.urls_tenant.urlpatterns if isinstance(p, URLPattern)]


@dataclass
class Walk:
    company: Company
    clients: dict[str, Client]
    own: dict[str, dict[str, int]]  # caller -> ids of their own objects (notifications, import jobs)
    media_root: Any


@pytest.fixture(scope="module")
def walk(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Walk]:
    from tenants.models import Tenant

    with module_world(django_db_blocker):
        tenant, other = Tenant.objects.get(slug="alpha"), Tenant.objects.get(slug="beta")
        company = build_company(tenant, "阿尔法", second_office=True)
        assert company.office_a is not None
        users = {"resident": company.users["resident"], "scoped_staff": scoped_staff(tenant, company.office_a)}
        for role in ROLES[:-1]:
            users[role] = MemberFactory(tenant=tenant, roles=[role]).user
        users["member_of_other_company"] = MemberFactory(tenant=other, roles=ROLES).user
        connection.set_tenant(tenant)
        own = personal_objects(company, {c: u for c, u in users.items() if c != "member_of_other_company"})
        clients = {"anonymous": Client(HTTP_HOST=host_of(tenant))}
        for caller, user in users.items():
            client = Client(HTTP_HOST=host_of(tenant))
            connection.set_tenant(other if caller == "member_of_other_company" else tenant)
            client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
            clients[caller] = client
        connection.set_schema_to_public()
        media_root = tmp_path_factory.mktemp("walk-media")
        write_files(media_root)
        yield Walk(company, clients, own, media_root)


def url_for(walk: Walk, name: str, caller: str, place: str = "mine") -> str:
    """The page's URL with the ids of the objects of `place` (the resident's home unless said otherwise)."""
    home = walk.company.places[place]
    own = walk.own.get(caller, walk.own["company_admin"]) if place == "mine" else {}

    def value(source: str) -> Any:
        return source[1:] if source.startswith("=") else own.get(source) or home[source]

    url = reverse(f"portal:{name}", kwargs={param: value(source) for param, source in PAGES[name].params.items()})
    query = {param: value(source) for param, source in PAGES[name].query.items()}
    return f"{url}?{urlencode(query)}" if query else url


def to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_every_portal_url_is_in_the_walk() -> None:
    names = [p.name for p in tenant_patterns()]
    assert len(names) == len(set(names)), "two portal URLs share a name"
    assert set(names) == set(PAGES), (
        f"not walked: {sorted(set(names) - set(PAGES))}; gone: {sorted(set(PAGES) - set(names))}"
    )


def test_every_portal_view_declares_who_may_open_it() -> None:
    for pattern in [*tenant_patterns(), *portal.urls_public.urlpatterns]:
        access = access_of(pattern.callback)
        assert access is not None, f"{pattern.name}: mark it @public_view or give it a role decorator"
        expected = PAGES[pattern.name].roles if pattern in tenant_patterns() else None
        if expected is None:
            assert access == PUBLIC, pattern.name
        else:
            assert access.roles == expected, (pattern.name, sorted(access.roles), sorted(expected))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_opens_only_to_whom_it_is_for(walk: Walk, name: str, db: None, settings: Any) -> None:
    settings.MEDIA_ROOT = str(walk.media_root)
    expected = PAGES[name]
    wrong = []
    for caller in CALLERS:
        response = walk.clients[caller].get(url_for(walk, name, caller))
        status = response.status_code
        if expected.roles is None:
            ok = status < 500 and status not in (401, 403)
        elif caller in ("anonymous", "member_of_other_company"):
            ok = to_sign_in(response)
        elif caller in expected.roles:
            # in: the page (or its redirect onwards), or 405 where it only takes POST
            ok = status in (200, 405) or (status == 302 and not to_sign_in(response))
        else:
            ok = status == 403
        if not ok:
            wrong.append((caller, status, response.get("Location", "")))
    assert not wrong, f"{name}: {wrong}"


def test_the_platform_pages_are_public(platform_client: Client, db: None) -> None:
    for pattern in portal.urls_public.urlpatterns:
        url = reverse(f"platform:{pattern.name}", urlconf="backend.urls_public")
        assert platform_client.get(url).status_code == 200, url


def forgotten_page(request: Any) -> HttpResponse:
    return HttpResponse("the secret")


# The company URLconf with one more portal page that somebody forgot to mark (the next test serves it).
urlpatterns = [
    *(p for p in backend.urls_tenant.urlpatterns if getattr(p, "app_name", None) != "portal"),
    path("", include(([*portal.urls_tenant.urlpatterns, path("forgotten/", forgotten_page)], "portal"))),
]


def test_a_page_that_declares_nobody_is_closed_to_everyone(
    settings: Any, tenant_a: Any, member: Any, client_for: Any
) -> None:
    settings.ROOT_URLCONF = __name__
    anonymous = client_for(tenant_a).get("/forgotten/")
    assert to_sign_in(anonymous)
    everything = client_for(tenant_a, member(tenant_a, ROLES)).get("/forgotten/")
    assert everything.status_code == 403 and b"the secret" not in everything.content


# Objects not tied to an office or a home: a person's own (their notifications, import jobs, what was sent to
# everyone), and the company's members and invitations.
NOT_PLACED = {
    "notification",
    "import_job",
    "announcement_to_all",
    "membership",
    "invitation",
    "teacher",
    "merchant_application",  # merchants apply to the company, not to an office
    "statement",  # a company settles with a merchant, not an office
    "merchant",
}
# Objects the homes of one estate share (its facilities' classes): the neighbour's is the resident's too.
ESTATE_SHARED = {"class"}
# Pages about one object that take only POST (the walk's GET gets 405 there, before any lookup).
POST_ONLY = {
    "staff-invitation-withdraw",
    "resident-pay-confirm",
    "resident-pay-refresh",
    "resident-pay-redirect",
    "staff-club-photo-add",
    "staff-club-photo-remove",
    "staff-club-closure-lift",
    "classes-publish",
    "classes-close",
    "classes-session-add",
    "resident-booking-charge",
    "resident-series-end",
    "resident-shop-cart-quantity",
    "resident-shop-order-cancel",
    "resident-shop-order-confirm",
    "resident-shop-refund-withdraw",
    "resident-shop-refund-escalate",
    "resident-shop-deal-join",
    "resident-shop-deal-leave",
    "resident-repair-confirm",
    "resident-repair-cancel",
    "staff-desk-step",
    "staff-gate-parcel-return",
    "resident-visitor-cancel",
    "resident-renovation-cancel",
    "staff-renovation-step",
    "staff-complaint-step",
    "staff-survey-step",
    "resident-complaint-step",
}
# Objects of an estate that every home of it shares (the neighbour's gym is the resident's gym too, and the
# estate's facilities' classes).
SHARED_BY_NEIGHBOURS = {
    "facility",
    "closure",
    "photo",
    "listing",
    "shop_merchant",
    "shop_photo",
    "shop_deal",
    "survey",
    *ESTATE_SHARED,
}
# way -> (who asks, where the object lives, the roles that make a page concern them)
WAYS = {
    "office": ("scoped_staff", "office_b", STAFF),
    "neighbour": ("resident", "neighbour", RESIDENT),
}
OBJECT_CASES = [
    (name, way)
    for name, page_ in sorted(PAGES.items())
    for way, (_caller, _place, concerned) in WAYS.items()
    if page_.roles is not None
    and page_.roles & concerned
    and any(
        not source.startswith("=")
        and source not in NOT_PLACED
        and not (way == "neighbour" and source in SHARED_BY_NEIGHBOURS)
        for source in page_.params.values()
    )
]


@pytest.mark.parametrize(("name", "way"), OBJECT_CASES, ids=[f"{n}-{w}" for n, w in OBJECT_CASES])
def test_a_page_about_another_offices_or_a_neighbours_object_is_not_found(
    walk: Walk, name: str, way: str, db: None, settings: Any
) -> None:
    """The portal finds objects through the same scoped selectors as the API: staff scoped to office A get 404
    for office B's objects, a resident for their neighbour's; their own they reach."""
    settings.MEDIA_ROOT = str(walk.media_root)
    caller, place, _concerned = WAYS[way]
    client = walk.clients[caller]
    ask = client.post if name in POST_ONLY else client.get
    response = ask(url_for(walk, name, caller, place=place))
    assert response.status_code == 404, (caller, response.status_code)
    assert "乙" not in response.content.decode(errors="replace")  # office B's names are 乙…
    reached = ask(url_for(walk, name, caller))
    # past the lookup: the page, a redirect, a refusal of the input, or the payment gateway's answer (502/503)
    assert reached.status_code not in (403, 404, 500), (caller, reached.status_code)
