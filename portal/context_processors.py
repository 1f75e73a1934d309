"""What every page needs: the company, the signed-in person's roles and the navigation they allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backend.accounts.permissions import Can
from backend.accounts.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    icon: str
    roles: frozenset[str]


STAFF_NAV = [
    NavItem(_("Dashboard"), "portal:staff-home", "home", frozenset(STAFF_ROLES)),
    NavItem(_("Property registry"), "portal:registry", "building", frozenset(STAFF_ROLES)),
    NavItem(_("Units"), "portal:units", "grid", frozenset(STAFF_ROLES)),
    NavItem(_("People"), "portal:people", "users", frozenset(STAFF_ROLES)),
    NavItem(_("Binding requests"), "portal:bindings", "link", frozenset({Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})),
    NavItem(_("Import / export"), "portal:imports", "upload", frozenset({Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})),
    NavItem(
        _("Publish announcements"),
        "portal:staff-announcements",
        "megaphone",
        frozenset({Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE}),
    ),
    NavItem(_("Holidays"), "portal:holidays", "calendar", frozenset({Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})),
    NavItem(_("Members"), "portal:staff-members", "users", frozenset({Role.COMPANY_ADMIN})),
    NavItem(_("Undelivered messages"), "portal:deliveries", "alert", frozenset({Role.COMPANY_ADMIN})),
    NavItem(_("Audit log"), "portal:staff-audit", "log", frozenset({Role.COMPANY_ADMIN})),
]
MONEY = frozenset({Role.COMPANY_ADMIN, Role.FINANCE})
BILLING_READERS = frozenset({Role.COMPANY_ADMIN, Role.FINANCE, Role.CUSTOMER_SERVICE})
BILLING_NAV = [
    NavItem(_("Fee items and standards"), "portal:billing-fees", "yuan", BILLING_READERS),
    NavItem(_("Bill runs"), "portal:billing-runs", "play", MONEY),
    NavItem(_("Meters"), "portal:billing-meters", "gauge", frozenset(STAFF_ROLES)),
    NavItem(_("Meter readings"), "portal:billing-readings", "gauge", frozenset(STAFF_ROLES)),
    NavItem(_("Arrears and dunning"), "portal:billing-arrears", "alert", BILLING_READERS),
    NavItem(_("Waivers to approve"), "portal:billing-waivers", "check", MONEY),
    NavItem(_("Counter (收费窗口)"), "portal:payments-counter", "cash", MONEY),
    NavItem(_("Receipts (收费票据)"), "portal:payments-receipts", "receipt", MONEY),
    NavItem(_("Day close (日结)"), "portal:payments-day-close", "calendar", MONEY),
    NavItem(_("Payments"), "portal:payments-list", "yuan", MONEY),
    NavItem(_("Online payments to follow up"), "portal:payments-followup", "alert", MONEY),
    NavItem(_("Payment report"), "portal:payments-report", "chart", MONEY),
    NavItem(_("Collection reports"), "portal:billing-reports", "chart", BILLING_READERS),
    NavItem(_("Billing settings"), "portal:billing-settings", "settings", MONEY),
    NavItem(_("Payment settings"), "portal:payments-settings", "settings", MONEY),
]
RESIDENT_NAV = [
    NavItem(_("My homes"), "portal:resident-home", "home", frozenset({Role.RESIDENT})),
    NavItem(_("My bills"), "portal:resident-bills", "yuan", frozenset({Role.RESIDENT})),
    NavItem(_("Autopay"), "portal:resident-autopay", "card", frozenset({Role.RESIDENT})),
    NavItem(_("Link my home"), "portal:resident-bind", "link", frozenset({Role.RESIDENT})),
]
COMMON_NAV = [
    NavItem(_("Notifications"), "portal:notifications", "bell", frozenset(Role.values)),
    NavItem(_("Announcements"), "portal:announcements", "megaphone", frozenset(Role.values)),
    NavItem(_("Notification settings"), "portal:notification-preferences", "settings", frozenset(Role.values)),
]


def _nav_for(membership: Any) -> list[dict[str, Any]]:
    if membership is None:
        return []
    sections = []
    for title, items in (
        (_("Staff"), STAFF_NAV),
        (_("Billing"), BILLING_NAV),
        (_("Resident"), RESIDENT_NAV),
        (_("Me"), COMMON_NAV),
    ):
        allowed = [
            {"label": i.label, "url": reverse(i.url_name), "icon": i.icon}
            for i in items
            if membership.has_any_role(i.roles)
        ]
        if allowed:
            sections.append({"title": title, "items": allowed})
    return sections


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
        "nav_sections": _nav_for(membership),
        "unread_count": unread,
        "is_company_site": is_company,
    }
