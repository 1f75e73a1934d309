"""The home page's "upcoming bookings" card: the resident's next live bookings (their own and their homes')."""

from __future__ import annotations

from django.urls import reverse

from backend.club.models import LIVE_STATUSES
from backend.club.selectors import booking_list
from backend.properties.scope import Scope
from portal.resident.home import HomeItem, HomeViewer, home_section_provide

SHOWN = 3


def upcoming_bookings(viewer: HomeViewer) -> list[HomeItem]:
    rows = booking_list(scope=Scope.of(viewer.membership), starts_from=viewer.now).filter(status__in=LIVE_STATUSES)
    return [
        HomeItem(
            title=b.facility.name,
            url=reverse("portal:resident-booking", args=[b.pk]),
            when=b.starts_at,
            detail=b.unit.label if b.unit_id and b.unit else "",
            badge=b.get_status_display(),
            key=f"booking-{b.pk}",
        )
        for b in rows[:SHOWN]
    ]


home_section_provide("upcoming-bookings", upcoming_bookings)
