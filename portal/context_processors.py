"""What every page needs: the company, the signed-in person's roles and the navigation they allow."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from backend.accounts import permissions as perms
from backend.accounts.permissions import Can, Permission


@dataclass(frozen=True)
class NavItem:
    """A link of the navigation, shown to whoever holds the permission its page asks for."""

    label: Any
    url_name: str
    icon: str
    permission: Permission


STAFF_NAV = [
    NavItem(_("Dashboard"), "portal:staff-home", "home", perms.STAFF_AREA),
    NavItem(_("Property registry"), "portal:registry", "building", perms.REGISTRY_READ),
    NavItem(_("Units"), "portal:units", "grid", perms.REGISTRY_READ),
    NavItem(_("People"), "portal:people", "users", perms.REGISTRY_READ),
    NavItem(_("Binding requests"), "portal:bindings", "link", perms.BINDING_REVIEW),
    NavItem(_("Import / export"), "portal:imports", "upload", perms.REGISTRY_IMPORT),
    NavItem(_("Publish announcements"), "portal:staff-announcements", "megaphone", perms.ANNOUNCEMENT_PUBLISH),
    NavItem(_("Holidays"), "portal:holidays", "calendar", perms.HOLIDAYS_MANAGE),
    NavItem(_("Training classes"), "portal:classes-list", "users", perms.CLUB_CLASSES),
    NavItem(_("Members"), "portal:staff-members", "users", perms.MEMBERS_MANAGE),
    NavItem(_("Undelivered messages"), "portal:deliveries", "alert", perms.DELIVERIES_READ),
    NavItem(_("Audit log"), "portal:staff-audit", "log", perms.AUDIT_READ),
    NavItem(_("Erasure requests"), "portal:staff-erasure-requests", "alert", perms.ERASURE_PROCESS),
]
BILLING_NAV = [
    NavItem(_("Fee items and standards"), "portal:billing-fees", "yuan", perms.BILLING_READ),
    NavItem(_("Bill runs"), "portal:billing-runs", "play", perms.BILL_RUN),
    NavItem(_("Meters"), "portal:billing-meters", "gauge", perms.METER_READ),
    NavItem(_("Meter readings"), "portal:billing-readings", "gauge", perms.METER_READ),
    NavItem(_("Arrears and dunning"), "portal:billing-arrears", "alert", perms.DUNNING),
    NavItem(_("Waivers to approve"), "portal:billing-waivers", "check", perms.WAIVER_APPROVE),
    NavItem(_("Counter (收费窗口)"), "portal:payments-counter", "cash", perms.PAYMENT_RECORD),
    NavItem(_("Receipts (收费票据)"), "portal:payments-receipts", "receipt", perms.PAYMENTS_READ),
    NavItem(_("Day close (日结)"), "portal:payments-day-close", "calendar", perms.PAYMENTS_READ),
    NavItem(_("Payments"), "portal:payments-list", "yuan", perms.PAYMENTS_READ),
    NavItem(_("Online payments to follow up"), "portal:payments-followup", "alert", perms.PAYMENTS_READ),
    NavItem(_("Payment report"), "portal:payments-report", "chart", perms.PAYMENTS_READ),
    NavItem(_("Bank collection (银行托收)"), "portal:payments-bank-collection", "upload", perms.PAYMENT_RECORD),
    NavItem(_("Collection reports"), "portal:billing-reports", "chart", perms.BILLING_READ),
    NavItem(_("Billing settings"), "portal:billing-settings", "settings", perms.BILLING_MANAGE),
    NavItem(_("Payment settings"), "portal:payments-settings", "settings", perms.PAYMENT_SETTINGS),
]
CLUB_NAV = [
    NavItem(_("Facilities"), "portal:staff-club-facilities", "building", perms.CLUB_MANAGE),
    NavItem(_("Day calendar"), "portal:staff-club-calendar", "calendar", perms.CLUB_CHECKIN),
    NavItem(_("Bookings"), "portal:staff-club-bookings", "check", perms.CLUB_CHECKIN),
    NavItem(_("Check-in"), "portal:staff-club-checkin", "camera", perms.CLUB_CHECKIN),
    NavItem(_("Club report"), "portal:club-reports", "chart", perms.CLUB_REPORTS),
    NavItem(_("Weekly series"), "portal:staff-club-series", "calendar", perms.CLUB_MANAGE),
    NavItem(_("No-shows"), "portal:staff-club-no-shows", "check", perms.CLUB_MANAGE),
    NavItem(_("Club settings"), "portal:staff-club-settings", "settings", perms.CLUB_SETTINGS),
]
DESK_NAV = [
    NavItem(_("Work queue"), "portal:staff-desk-queue", "tool", perms.DESK_WORK),
    NavItem(_("Repairs"), "portal:staff-desk-queue", "tool", perms.DESK_DISPATCH),
    NavItem(_("Dispatch board"), "portal:staff-desk-board", "users", perms.DESK_DISPATCH),
    NavItem(_("Record a repair"), "portal:staff-desk-intake", "upload", perms.DESK_DISPATCH),
    NavItem(_("SLA dashboard"), "portal:staff-desk-sla", "chart", perms.DESK_REPORTS),
    NavItem(_("Repairs reports"), "portal:staff-desk-reports", "chart", perms.DESK_REPORTS),
    NavItem(_("Complaints"), "portal:staff-complaints", "alert", perms.COMPLAINTS),
    NavItem(_("Complaint cause analysis"), "portal:staff-complaint-analysis", "chart", perms.COMPLAINTS),
    NavItem(_("Satisfaction"), "portal:staff-satisfaction", "chart", perms.SURVEYS),
    NavItem(_("Surveys"), "portal:staff-surveys", "check", perms.SURVEYS),
    NavItem(_("Service desk settings"), "portal:staff-desk-settings", "settings", perms.DESK_MANAGE),
    NavItem(_("Renovation (装修)"), "portal:staff-renovation-queue", "building", perms.RENOVATION_QUEUE),
    NavItem(
        _("Permit check (出入证)"), "portal:staff-renovation-permit-check", "camera", perms.RENOVATION_PERMIT_CHECK
    ),
]
GATE_NAV = [
    NavItem(_("Gate check"), "portal:staff-gate", "camera", perms.GATE_CHECK),
    NavItem(_("Log a parcel"), "portal:staff-gate-parcel-new", "bag", perms.GATE_PARCELS),
    NavItem(_("Hand over a parcel"), "portal:staff-gate-pickup", "check", perms.GATE_PARCELS),
    NavItem(_("Parcel shelf"), "portal:staff-gate-parcels", "grid", perms.GATE_PARCELS),
    NavItem(_("Gate log"), "portal:staff-gate-log", "log", perms.GATE_CHECK),
    NavItem(_("Gate settings"), "portal:staff-gate-settings", "settings", perms.GATE_MANAGE),
]
MARKETPLACE_NAV = [
    NavItem(_("Merchant applications"), "portal:staff-marketplace-applications", "check", perms.MARKETPLACE_MANAGE),
    NavItem(_("Merchants"), "portal:staff-marketplace-merchants", "users", perms.MARKETPLACE_MANAGE),
    NavItem(_("Categories and commission"), "portal:staff-marketplace-categories", "yuan", perms.MARKETPLACE_MANAGE),
    NavItem(_("Listing moderation"), "portal:staff-marketplace-listings", "alert", perms.MARKETPLACE_MANAGE),
    NavItem(_("Settlement and payouts"), "portal:staff-marketplace-settlement", "yuan", perms.MARKETPLACE_SETTLEMENT),
    NavItem(_("Marketplace reports"), "portal:staff-marketplace-reports", "check", perms.MARKETPLACE_REPORTS),
    NavItem(_("Refund disputes"), "portal:staff-marketplace-refunds", "yuan", perms.MARKETPLACE_MANAGE),
    NavItem(_("Complaints"), "portal:staff-marketplace-complaints", "alert", perms.MARKETPLACE_MANAGE),
]
RESIDENT_NAV = [
    NavItem(_("Home"), "portal:resident-home", "home", perms.RESIDENT_AREA),
    NavItem(_("My bills"), "portal:resident-bills", "yuan", perms.RESIDENT_AREA),
    NavItem(_("Autopay"), "portal:resident-autopay", "card", perms.PAY_ONLINE),
    NavItem(_("Book facilities"), "portal:resident-facilities", "calendar", perms.CLUB_BOOK),
    NavItem(_("My bookings"), "portal:resident-bookings", "check", perms.CLUB_BOOK),
    NavItem(_("Classes"), "portal:resident-classes", "calendar", perms.CLUB_CLASS_ENROL),
    NavItem(_("Community shop"), "portal:resident-shop", "bag", perms.SHOP),
    NavItem(_("My repairs"), "portal:resident-repairs", "tool", perms.DESK_RESIDENT),
    NavItem(_("Visitor passes"), "portal:resident-visitors", "users", perms.GATE_RESIDENT),
    NavItem(_("My parcels"), "portal:resident-parcels", "bag", perms.GATE_RESIDENT),
    NavItem(_("Renovation"), "portal:resident-renovations", "building", perms.RENOVATION_APPLY),
    NavItem(_("My complaints"), "portal:resident-complaints", "alert", perms.COMPLAIN),
    NavItem(_("Surveys"), "portal:resident-surveys", "check", perms.SURVEY_ANSWER),
    NavItem(_("Link my home"), "portal:resident-bind", "link", perms.BINDING_REQUEST),
    NavItem(_("My data"), "portal:resident-my-data", "settings", perms.MY_DATA),
]
COMMON_NAV = [
    NavItem(_("Notifications"), "portal:notifications", "bell", perms.MEMBER),
    NavItem(_("Announcements"), "portal:announcements", "megaphone", perms.MEMBER),
    NavItem(_("Notification settings"), "portal:notification-preferences", "settings", perms.MEMBER),
]
NAV_SECTIONS = [
    (_("Staff"), STAFF_NAV),
    (_("Billing"), BILLING_NAV),
    (_("Club"), CLUB_NAV),
    (_("Service desk"), DESK_NAV),
    (_("Gate (门岗)"), GATE_NAV),
    (_("Marketplace"), MARKETPLACE_NAV),
    (_("Resident"), RESIDENT_NAV),
    (_("Me"), COMMON_NAV),
]


@dataclass(frozen=True)
class Navigation:
    """The navigation one set of roles sees in one language: its sections (title, items with label, url and
    icon) and their HTML, built once per process for each (roles, language, URLconf) and reused by every page.
    Behaves as the list of sections in templates (`{% if nav_sections %}`, `{% for section in nav_sections %}`)."""

    sections: tuple[dict[str, Any], ...]
    # Per section: its title's HTML, then per link (url, the <li> as shown, the <li> of the current page).
    _html: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]

    def __bool__(self) -> bool:
        return bool(self.sections)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.sections)

    def __len__(self) -> int:
        return len(self.sections)

    def html(self, current_path: str) -> SafeString:
        """The sections' markup, the link to `current_path` marked aria-current."""
        parts = []
        for title, links in self._html:
            parts.append(title)
            parts.append("<ul>")
            parts.extend(current if url == current_path else plain for url, plain, current in links)
            parts.append("</ul>")
        return mark_safe("".join(parts))  # noqa: S308 - built with format_html from our own labels


NO_NAVIGATION = Navigation((), ())
LINK = '<li><a href="{}"{}>{} {}</a></li>'
CURRENT = mark_safe(' aria-current="page"')


def navigation_for(membership: Any) -> Navigation:
    if membership is None:
        return NO_NAVIGATION
    return _navigation(frozenset(membership.roles), get_language() or "", get_urlconf() or "", get_script_prefix())


def _nav_for(membership: Any) -> list[dict[str, Any]]:
    """The sections a membership sees (none without one)."""
    return list(navigation_for(membership).sections)


@functools.lru_cache(maxsize=256)
def _navigation(roles: frozenset[str], language: str, urlconf: str, script_prefix: str) -> Navigation:
    # The key names everything the result depends on: which links (the roles), their labels (the active
    # language) and their URLs (the URLconf and script prefix reverse() reads, both per request).
    from portal.templatetags.portal_extras import icon

    sections = []
    markup = []
    for title, items in NAV_SECTIONS:
        allowed = [
            {"label": str(i.label), "url": reverse(i.url_name), "icon": i.icon}
            for i in items
            if roles & i.permission.roles
        ]
        if not allowed:
            continue
        sections.append({"title": str(title), "items": tuple(allowed)})
        links = tuple(
            (
                link["url"],
                format_html(LINK, link["url"], "", icon(link["icon"]), link["label"]),
                format_html(LINK, link["url"], CURRENT, icon(link["icon"]), link["label"]),
            )
            for link in allowed
        )
        markup.append((format_html('<p class="nav-title">{}</p>', str(title)), links))
    return Navigation(tuple(sections), tuple(markup))


def portal(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    is_company = bool(tenant is not None and tenant.is_company)
    unread = 0
    if membership is not None:
        from backend.notifications.selectors import notification_unread_count

        unread = notification_unread_count(user_id=membership.user_id)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "tenant": tenant if is_company else None,
        "membership": membership,
        "can": Can(membership),
        "nav_sections": navigation_for(membership),
        "unread_count": unread,
        "is_company_site": is_company,
    }
