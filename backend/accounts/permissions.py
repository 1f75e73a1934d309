"""The permission catalogue: the one place that says which roles may do what in a company.

Everything that checks a role asks for a permission from here instead: the API (a view declares
`required_permission`, see backend/api/permissions.py), the portal (`@permission_required(...)` in
portal/access.py), the navigation, the templates (`{% if can.payment_record %}`: the `can` object of the
portal's context processor), the services that refuse a write, and the notifications addressed to "whoever
handles this" (`Recipients(roles=PAYMENT_ALERTS.roles)`). A new module adds its permissions here, grouped by
area, and never spells a role set anywhere else.

A permission is granted to a membership holding any one of its roles. Scope (which estates and buildings a
membership covers) is a separate question, answered by each app's scoped selectors.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .roles import ALL_ROLES, STAFF_ROLES, Role


@dataclass(frozen=True)
class Permission:
    code: str
    roles: frozenset[str]
    label: str | Promise

    def granted_to(self, membership: Any) -> bool:
        """Whether an (active) membership holds one of the roles. None (no membership) holds none."""
        return membership is not None and bool(set(membership.roles) & self.roles)

    def __str__(self) -> str:
        return self.code


CATALOGUE: dict[str, Permission] = {}


def _permission(code: str, roles: frozenset[str] | set[str], label: str | Promise) -> Permission:
    if code in CATALOGUE:
        raise ValueError(f"permission {code!r} is defined twice")
    unknown = set(roles) - ALL_ROLES
    if unknown or not roles:
        raise ValueError(f"permission {code!r}: unknown or no roles {sorted(unknown)}")
    permission = Permission(code=code, roles=frozenset(roles), label=label)
    CATALOGUE[code] = permission
    return permission


ADMIN = frozenset({Role.COMPANY_ADMIN})
FRONT_DESK = frozenset({Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})
FINANCE = frozenset({Role.COMPANY_ADMIN, Role.FINANCE})
BILLING_DESK = frozenset({Role.COMPANY_ADMIN, Role.FINANCE, Role.CUSTOMER_SERVICE})
FIELD = frozenset({Role.COMPANY_ADMIN, Role.FINANCE, Role.CUSTOMER_SERVICE, Role.ENGINEER})

# Everyone ------------------------------------------------------------------------------------------------
MEMBER = _permission("member", ALL_ROLES, _("Use the company's portal: notifications, announcements"))
STAFF_AREA = _permission("staff_area", STAFF_ROLES, _("Open the staff pages: dashboard, registry, units, people"))
RESIDENT_AREA = _permission("resident_area", {Role.RESIDENT}, _("Open the resident pages: my homes, my bills"))

# The company: members, audit, deliveries -----------------------------------------------------------------
MEMBERS_MANAGE = _permission("members_manage", ADMIN, _("Invite colleagues and change their roles and scope"))
AUDIT_READ = _permission("audit_read", ADMIN, _("Read the audit log"))
DELIVERIES_READ = _permission("deliveries_read", ADMIN, _("See messages that could not be delivered"))
# Personal information (PIPL): a resident's own data; erasure requests processed by the company's admin.
MY_DATA = _permission("my_data", {Role.RESIDENT}, _("Download my personal data and ask for its erasure"))
ERASURE_PROCESS = _permission("erasure_process", ADMIN, _("Process residents' requests to erase their data"))
COMPANY_ALERTS = _permission("company_alerts", ADMIN, _("Receive the company's operational alerts"))

# Property registry (房产档案) -------------------------------------------------------------------------------
REGISTRY_READ = _permission("registry_read", STAFF_ROLES, _("Read estates, buildings, units and people"))
REGISTRY_WRITE = _permission("registry_write", FRONT_DESK, _("Change units, owners and occupants"))
OFFICE_CREATE = _permission("office_create", ADMIN, _("Add a management office"))
PERSONAL_DATA_FULL = _permission("personal_data_full", BILLING_DESK, _("See phone and ID numbers unmasked"))
BINDING_REVIEW = _permission("binding_review", FRONT_DESK, _("Approve or refuse residents' binding requests"))
REGISTRY_IMPORT = _permission("registry_import", FRONT_DESK, _("Import and export the registry"))
BINDING_REQUEST = _permission("binding_request", {Role.RESIDENT}, _("Ask to be linked to a home"))
REGISTRY_OR_OWN_HOMES = _permission(
    "registry_or_own_homes", ALL_ROLES, _("Read units: staff within their scope, residents their own homes")
)

# Announcements and holidays --------------------------------------------------------------------------------
ANNOUNCEMENT_PUBLISH = _permission("announcement_publish", FRONT_DESK, _("Publish and withdraw announcements"))
HOLIDAYS_MANAGE = _permission("holidays_manage", FRONT_DESK, _("Keep the holiday calendar"))

# Billing (收费管理) ------------------------------------------------------------------------------------------
BILLING_READ = _permission("billing_read", BILLING_DESK, _("Read fee items, bills, arrears and collection reports"))
FEE_ITEMS_READ = _permission("fee_items_read", STAFF_ROLES, _("Read fee items and standards through the API"))
BILLS_OR_OWN_HOMES = _permission(
    "bills_or_own_homes",
    BILLING_DESK | {Role.RESIDENT},
    _("Read bills, statements, payments, receipts, deposits: staff within their scope, residents their own homes"),
)
BILLING_MANAGE = _permission("billing_manage", FINANCE, _("Set up fee items, standards and billing settings"))
BILL_RUN = _permission("bill_run", FINANCE, _("Start, review and post bill runs"))
METER_READ = _permission("meter_read", STAFF_ROLES, _("Read meters and meter readings"))
READING_RECORD = _permission("reading_record", FIELD, _("Record meter readings"))
METER_MANAGE = _permission("meter_manage", FINANCE, _("Set up meters; confirm or reject readings"))
DUNNING = _permission("dunning", BILLING_DESK, _("Follow up arrears: reminders, letters, contact notes"))
WAIVER_REQUEST = _permission("waiver_request", BILLING_DESK, _("Ask for a waiver (减免)"))
WAIVER_APPROVE = _permission("waiver_approve", FINANCE, _("Approve or refuse waivers"))
NOTICE_READ = _permission("notice_read", BILLING_DESK, _("Print payment notices (缴费通知单)"))
NOTICE_OR_OWN_HOMES = _permission(
    "notice_or_own_homes",
    BILLING_DESK | {Role.RESIDENT},
    _("Print a unit's payment notice: staff within their scope, residents their own homes"),
)

# Payments (收费) -------------------------------------------------------------------------------------------
PAYMENT_RECORD = _permission("payment_record", FINANCE, _("Take payments at the counter, refund, adjust"))
PAYMENTS_READ = _permission("payments_read", FINANCE, _("Read payments, receipts, day closes and reports"))
PAYMENT_SETTINGS = _permission("payment_settings", FINANCE, _("Change payment settings"))
STRIPE_ACCOUNT = _permission("stripe_account", ADMIN, _("Connect the company's Stripe account"))
PAYMENT_ALERTS = _permission("payment_alerts", FINANCE, _("Receive alerts about payments and refunds"))
PAY_ONLINE = _permission("pay_online", {Role.RESIDENT}, _("Pay one's own bills online; autopay"))
PAY_FOR_UNIT = _permission(
    "pay_for_unit", FINANCE | {Role.RESIDENT}, _("Start a payment: staff for any unit, residents for their own")
)

# Club (会所) ------------------------------------------------------------------------------------------------
CLUB_FACILITIES = _permission(
    "club_facilities",
    ALL_ROLES,
    _("See facilities and their availability: staff within their scope, residents those their homes may book"),
)
CLUB_MANAGE = _permission(
    "club_manage", FRONT_DESK, _("Set up facilities, hours, closures and prices; book for guests; approve, cancel")
)
CLUB_SETTINGS = _permission(
    "club_settings", ADMIN, _("Change the club's settings: whether bookings may be charged to a home's account")
)
CLUB_CHECKIN = _permission("club_checkin", FRONT_DESK | {Role.SECURITY}, _("Check bookings in at the door"))
CLUB_BOOK = _permission("club_book", {Role.RESIDENT}, _("Book club facilities for one's home; cancel one's bookings"))
CLUB_BOOKINGS = _permission(
    "club_bookings",
    FRONT_DESK | {Role.SECURITY, Role.RESIDENT},
    _("List bookings: staff within their scope, residents their own"),
)
CLUB_BOOKING_WRITE = _permission(
    "club_booking_write",
    FRONT_DESK | {Role.RESIDENT},
    _("Make and cancel bookings: residents for their homes, staff for homes and guests (with a reason)"),
)

CLUB_REPORTS = _permission(
    "club_reports",
    FRONT_DESK | FINANCE,
    _("Read the club's reports: utilisation, income by facility and month, no-shows"),
)
CLUB_CLASSES = _permission(
    "club_classes", FRONT_DESK, _("Run training classes: teachers, classes, sessions, enrolments, attendance")
)
CLUB_CLASS_STATEMENTS = _permission(
    "club_class_statements", BILLING_DESK, _("Read teachers' monthly statements (教师结算单) of training classes")
)
CLUB_CLASS_ENROL = _permission(
    "club_class_enrol", {Role.RESIDENT}, _("Enrol in training classes for one's home; withdraw")
)
CLUB_CLASS_ENROLMENTS = _permission(
    "club_class_enrolments",
    FRONT_DESK | {Role.RESIDENT},
    _("List class enrolments: staff within their scope, residents their own"),
)

# Service desk (客户服务) ------------------------------------------------------------------------------------
DESK_TICKETS = _permission(
    "desk_tickets",
    FRONT_DESK | {Role.ENGINEER, Role.RESIDENT},
    _("See repairs: staff within their scope, residents their homes' and their own"),
)
DESK_REPORT = _permission(
    "desk_report", FRONT_DESK | {Role.RESIDENT}, _("Report a repair: residents for their homes, staff for a caller")
)
DESK_DISPATCH = _permission(
    "desk_dispatch", FRONT_DESK, _("Dispatch repairs to engineers, revisit and close them; the dispatch board")
)
DESK_WORK = _permission("desk_work", {Role.ENGINEER}, _("Take and carry out repairs (the engineer's pages)"))
DESK_QUEUE = _permission(
    "desk_queue", FRONT_DESK | {Role.ENGINEER}, _("Open the repair pages: work queue, tickets and their steps")
)
DESK_RESIDENT = _permission(
    "desk_resident", {Role.RESIDENT}, _("Report repairs for one's homes; follow, confirm, rate and pay them")
)
DESK_MANAGE = _permission("desk_manage", ADMIN, _("Set up repair categories, time limits and business hours"))
DESK_REPORTS = _permission(
    "desk_reports", FRONT_DESK, _("Read the service desk's SLA dashboard and reports (volume, SLA, revisits, ratings)")
)
COMPLAINTS = _permission(
    "desk_complaints",
    FRONT_DESK,
    _("Handle complaints: record, take, escalate, answer, resolve and revisit them; the monthly cause analysis"),
)
COMPLAIN = _permission(
    "desk_complain",
    {Role.RESIDENT},
    _("Complain about one's home or estate; follow, rate and withdraw one's complaints"),
)
SURVEYS = _permission(
    "desk_surveys", FRONT_DESK, _("Run satisfaction surveys and read their results and the ratings by estate")
)
SURVEY_ANSWER = _permission("desk_survey_answer", {Role.RESIDENT}, _("Answer the surveys sent to one's homes"))
COMPLAINTS_SEE = _permission(
    "desk_complaints_see",
    FRONT_DESK | {Role.RESIDENT},
    _("See complaints: staff within their scope, residents those they filed"),
)
SURVEYS_SEE = _permission(
    "desk_surveys_see",
    FRONT_DESK | {Role.RESIDENT},
    _("See surveys: staff those to their estates, residents those sent to their homes"),
)

# Gate: visitors and parcels (访客与快递) ----------------------------------------------------------------------
GATE_DESK = FRONT_DESK | {Role.SECURITY}
GATE_CHECK = _permission("gate_check", GATE_DESK, _("Check visitor passes at the gate: let visitors in, cars out"))
GATE_PARCELS = _permission(
    "gate_parcels", GATE_DESK, _("Log parcels for homes and hand them over by pickup code and signature")
)
GATE_READ = _permission(
    "gate_read",
    GATE_DESK | {Role.RESIDENT},
    _("See visitor passes, gate entries and parcels: staff within their scope, residents their homes'"),
)
GATE_RESIDENT = _permission(
    "gate_resident", {Role.RESIDENT}, _("Issue visitor passes for one's homes; see one's parcels and pickup codes")
)
GATE_MANAGE = _permission("gate_manage", ADMIN, _("Change the gate's settings: parcel reminders, free parking"))
# Renovation (装修) ----------------------------------------------------------------------------------------------
RENOVATION_APPLY = _permission(
    "renovation_apply", {Role.RESIDENT}, _("Apply to renovate one's home (owners); follow, pay and cancel it")
)
RENOVATION_READ = _permission(
    "renovation_read",
    FIELD | {Role.RESIDENT},
    _("See renovation applications: staff within their scope, residents their homes'"),
)
RENOVATION_QUEUE = _permission(
    "renovation_queue", FIELD, _("Open the renovation pages: the queue and an application with its timeline")
)
RENOVATION_REVIEW_DESK = _permission(
    "renovation_review_desk", FRONT_DESK, _("Approve or reject renovation applications for customer service")
)
RENOVATION_REVIEW_ENGINEERING = _permission(
    "renovation_review_engineering",
    {Role.COMPANY_ADMIN, Role.ENGINEER},
    _("Approve or reject renovation applications for engineering; the completion check"),
)
RENOVATION_INSPECT = _permission(
    "renovation_inspect", FRONT_DESK | {Role.ENGINEER}, _("Record renovation inspections with photos")
)
RENOVATION_DEPOSIT = _permission(
    "renovation_deposit", BILLING_DESK, _("Refund or forfeit a renovation deposit after the completion check")
)
RENOVATION_PERMIT_CHECK = _permission(
    "renovation_permit_check",
    FRONT_DESK | {Role.ENGINEER, Role.SECURITY},
    _("Check renovation permits (出入证) at the gate"),
)
RENOVATION_MANAGE = _permission("renovation_manage", ADMIN, _("Set the renovation deposit and debris fee"))

# Community shop (社区商城), the residents' side ------------------------------------------------------------
SHOP = _permission(
    "shop", {Role.RESIDENT}, _("Browse the community shop: the listings of merchants approved for one's estates")
)


# Community marketplace (社区商城) ------------------------------------------------------------------------------
MARKETPLACE_MANAGE = _permission(
    "marketplace_manage",
    FRONT_DESK,
    _(
        "Run the marketplace: vet merchants (approve, reject, suspend, resume), switch categories and set "
        "commission rates, hide listings"
    ),
)

# Marketplace settlement (结算): merchants' statements and payouts, and the marketplace reports.
MARKETPLACE_SETTLEMENT = _permission(
    "marketplace_settlement",
    FINANCE,
    _("Settle with merchants: payables, monthly statements, payout accounts, payouts (bank or Stripe)"),
)
MARKETPLACE_REPORTS = _permission(
    "marketplace_reports", FRONT_DESK | FINANCE, _("Read the marketplace reports: sales and commission")
)


def permission(code: str) -> Permission:
    """The permission with this code (KeyError for a code the catalogue does not define)."""
    return CATALOGUE[code]


def permissions_of(membership: Any) -> frozenset[str]:
    """The codes of every permission a membership holds."""
    if membership is None:
        return frozenset()
    return _permissions_of_roles(frozenset(membership.roles), len(CATALOGUE))


@functools.lru_cache(maxsize=256)
def _permissions_of_roles(roles: frozenset[str], catalogue_size: int) -> frozenset[str]:
    # Every page asks (the `can` of its templates); a role set's answer is fixed once the catalogue is loaded.
    # The catalogue's size is in the key so a permission defined later (a module imported late) is not missed.
    return frozenset(code for code, p in CATALOGUE.items() if roles & p.roles)


class Can:
    """What templates ask: `{% if can.payment_record %}`. Looking up a code the catalogue does not define is
    a KeyError; templates swallow it, so tests/backend/accounts/test_permissions.py checks that every
    `can.<code>` in a template names a permission of the catalogue."""

    def __init__(self, membership: Any) -> None:
        self._held = permissions_of(membership)

    def __getitem__(self, code: str) -> bool:
        if code not in CATALOGUE:
            raise KeyError(f"no permission {code!r} in backend/accounts/permissions.py")
        return code in self._held

    def __contains__(self, code: str) -> bool:
        return self[code]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._held))
