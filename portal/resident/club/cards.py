"""The home page's "upcoming bookings" card: the resident's next live bookings (their own and their homes')."""

from __future__ import annotations

from backend.club.models import LIVE_STATUSES, BookingStatus
from backend.club.selectors import booking_list
from backend.properties.scope import Scope
from portal.common.links import id_link
from portal.resident.home import HomeItem, HomeViewer, home_section_provide

SHOWN = 3


def upcoming_bookings(viewer: HomeViewer) -> list[HomeItem]:
    # Only the five values the card shows (not two joined models' every column): the home page runs this on
    # every visit, and building and reading the full select_related rows was a third of the page's time.
    rows = (
        booking_list(scope=Scope.of(viewer.membership), starts_from=viewer.now)
        .filter(status__in=LIVE_STATUSES)
        .values_list("pk", "starts_at", "status", "facility__name", "unit__label")[:SHOWN]
    )
    link = id_link("portal:resident-booking")
    return [
        HomeItem(
            title=facility,
            url=link(pk),
            when=starts_at,
            detail=unit_label or "",
            badge=str(BookingStatus(status).label) if status in BookingStatus.values else status,
            key=f"booking-{pk}",
        )
        for pk, starts_at, status, facility, unit_label in rows
    ]


home_section_provide("upcoming-bookings", upcoming_bookings)
