"""The resident's home page (phone first): what is due, big entries to pay, book, shop and report a repair, then
the home's cards (upcoming bookings, the latest announcements, whatever other areas add), then my homes.

Cards are a registry, so an area adds its own without this module importing it: at import time of its views
module (which its urls.py imports, and portal/urls_tenant.py includes every package's urls.py, so that runs
before any request is routed), it calls

    home_section_add(HomeSection(key="parcels", title=_("Parcels"), provider=my_parcels, order=30))

where `my_parcels(viewer) -> list[HomeItem]` reads through its domain app's selectors, scoped to
`viewer.user_id` / `viewer.units` (the resident's current homes; nobody else's). The same key replaces a card:
the club's pages fill "upcoming-bookings" with `home_section_provide("upcoming-bookings", provider)`.

Entries appear once their page exists: each names a URL, and an entry whose name does not resolve yet
(NoReverseMatch: its module has not landed) is left out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.accounts import permissions as perms
from backend.accounts.permissions import Permission
from backend.billing.selectors import owed_by_unit
from backend.notifications.announcements import announcements_for
from backend.properties.models import Unit
from backend.properties.selectors import binding_requests_of, resident_units
from portal.access import permission_required
from portal.common.links import id_link
from tenants.company.selectors import company_settings_get
from tenants.http import CompanyRequest

Text = str | Promise
ANNOUNCEMENTS_SHOWN = 3


# --- the cards' registry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeViewer:
    """Who the home page is for: what a card's provider may read, and the only scope it may read in."""

    user_id: int
    membership: Any
    units: tuple[Unit, ...]  # the homes the resident lives in now (their current occupancies)
    now: dt.datetime


@dataclass(frozen=True)
class HomeItem:
    """One line of a card: a title, when (shown in the company's time zone), a detail, a link, a badge."""

    title: str
    url: str = ""
    when: dt.datetime | None = None
    detail: str = ""
    badge: str = ""  # a short state, e.g. "待确认" / "pinned"
    key: str = ""  # a stable id for the markup (data-home-item)


Provider = Callable[[HomeViewer], Sequence[HomeItem]]


@dataclass(frozen=True)
class HomeSection:
    """A card of the home page. `empty`: what it says when the provider has nothing ('' hides it then).
    `more_url_name`: a "see all" link, shown when that URL name resolves."""

    key: str
    title: Text
    provider: Provider
    order: int = 50
    empty: Text = ""
    more_url_name: str = ""
    more_label: Text = _("See all")
    permission: Permission = perms.RESIDENT_AREA


_SECTIONS: dict[str, HomeSection] = {}


def home_section_add(section: HomeSection) -> HomeSection:
    """Add a card to every resident's home page (a card of the same key is replaced)."""
    _SECTIONS[section.key] = section
    return section


def home_section_provide(key: str, provider: Provider) -> HomeSection:
    """Give an existing card (e.g. "upcoming-bookings") its real provider, keeping its title and place."""
    return home_section_add(replace(_SECTIONS[key], provider=provider))


def home_sections() -> list[HomeSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def _url(name: str, *args: Any) -> str:
    """The URL of a page, or '' while no such page exists (its module has not landed yet)."""
    if not name:
        return ""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def home_cards(viewer: HomeViewer) -> list[dict[str, Any]]:
    """The cards this resident sees, in order, each with its items (a card with nothing and no `empty` text is
    left out)."""
    cards = []
    for section in home_sections():
        if not section.permission.granted_to(viewer.membership):
            continue
        items = list(section.provider(viewer))
        if not items and not section.empty:
            continue
        cards.append({"section": section, "items": items, "more_url": _url(section.more_url_name)})
    return cards


# --- the built-in cards ---------------------------------------------------------------------------------------


def upcoming_bookings(viewer: HomeViewer) -> list[HomeItem]:
    """The resident's next bookings of club facilities. None yet: the club's resident pages replace this
    provider (home_section_provide("upcoming-bookings", ...)) when they land."""
    return []


def latest_announcements(viewer: HomeViewer) -> list[HomeItem]:
    """The latest announcements sent to this resident (pinned first, as on the announcements page): the
    values the card shows, not the whole announcements (their bodies)."""
    link = id_link("portal:announcement")
    pinned, new = gettext("Pinned"), gettext("New")
    rows = announcements_for(user_id=viewer.user_id).values_list("pk", "title", "published_at", "pinned", "read")  # type: ignore[misc]  # "read" is an annotation
    return [
        HomeItem(
            title=title,
            url=link(pk),
            when=published_at,
            badge=pinned if is_pinned else ("" if read else new),
            key=f"announcement-{pk}",
        )
        for pk, title, published_at, is_pinned, read in rows[:ANNOUNCEMENTS_SHOWN]
    ]


home_section_add(
    HomeSection(
        key="upcoming-bookings",
        title=_("Upcoming bookings"),
        provider=upcoming_bookings,
        order=20,
        empty=_("No upcoming bookings."),
        more_url_name="portal:resident-bookings",
    )
)
home_section_add(
    HomeSection(
        key="announcements",
        title=_("Announcements"),
        provider=latest_announcements,
        order=80,
        empty=_("No announcements."),
        more_url_name="portal:announcements",
        permission=perms.MEMBER,
    )
)


# --- entries ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeEntry:
    """A big tap target. Shown when its URL name resolves and the permission is granted."""

    key: str
    label: Text
    url_name: str
    icon: str
    permission: Permission = perms.RESIDENT_AREA


ENTRIES = [
    HomeEntry("pay", _("Pay bills"), "portal:resident-bills", "yuan", perms.PAY_ONLINE),
    HomeEntry("book", _("Book facilities"), "portal:resident-facilities", "calendar"),
    HomeEntry("shop", _("Community shop"), "portal:resident-shop", "bag", perms.SHOP),
    HomeEntry("repair", _("Report a repair"), "portal:resident-repair-new", "tool", perms.DESK_RESIDENT),
    HomeEntry("repairs", _("My repairs"), "portal:resident-repairs", "check", perms.DESK_RESIDENT),
    HomeEntry("complain", _("Make a complaint"), "portal:resident-complaint-new", "alert", perms.COMPLAIN),
]


def _entries(membership: Any, pay_url: str) -> list[dict[str, Any]]:
    out = []
    for entry in ENTRIES:
        url = _url(entry.url_name)
        if not url or not entry.permission.granted_to(membership):
            continue
        if entry.key == "pay" and pay_url:
            url = pay_url
        out.append({"key": entry.key, "label": entry.label, "icon": entry.icon, "url": url})
    return out


# --- what is due ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeDue:
    """What one home owes now: the total, the part past its due date, and the next due date still ahead."""

    unit: Unit
    total: int  # fen
    overdue: int  # fen
    bills: int
    next_due: dt.date | None


def _dues(units: Sequence[Unit], today: dt.date) -> list[HomeDue]:
    """What each home owes, from one query for all of them."""
    owed = owed_by_unit(u.pk for u in units) if units else {}
    return [_due(unit, owed.get(unit.pk, []), today) for unit in units]


def _due(unit: Unit, owed: list[tuple[int, dt.date]], today: dt.date) -> HomeDue:
    ahead = [due for _owed, due in owed if due >= today]
    return HomeDue(
        unit=unit,
        total=sum(o for o, _due_date in owed),
        overdue=sum(o for o, due in owed if due < today),
        bills=len(owed),
        next_due=min(ahead) if ahead else None,
    )


@permission_required(perms.RESIDENT_AREA)
def home(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate(now)
    units = tuple(resident_units(user_id=request.user.pk))
    dues = _dues(units, today)
    owing = [d for d in dues if d.total > 0]
    # One home owes: "pay" goes straight to its payment; otherwise to the bills, to choose.
    pay_url = f"{reverse('portal:resident-pay')}?unit={owing[0].unit.pk}" if len(owing) == 1 else ""
    viewer = HomeViewer(user_id=request.user.pk, membership=request.membership, units=units, now=now)
    next_dues = [d.next_due for d in owing if d.next_due]
    return render(
        request,
        "portal/resident/home.html",
        {
            "company": company_settings_get(),
            "units": units,
            "requests": binding_requests_of(user_id=request.user.pk)[:10],
            "dues": dues,
            "owing": owing,
            "due_total": sum(d.total for d in dues),
            "overdue_total": sum(d.overdue for d in dues),
            "next_due": min(next_dues) if next_dues else None,
            "today": today,
            "pay_url": pay_url or reverse("portal:resident-bills"),
            "entries": _entries(request.membership, pay_url),
            "cards": home_cards(viewer),
        },
    )
