"""Check-in at the door and no-shows.

Security or the front desk scan a booking's QR code (or type its 12-character code) on their phone:
booking_check_in accepts it from CHECKIN_EARLY_MINUTES before the start until the facility's grace after
it, for a confirmed booking of a facility in the staff member's scope, and says plainly why not otherwise
(unknown code, another estate's facility, another day, too early or too late, not confirmed, cancelled,
already checked in). Every facility's bookings need checking in (DOMAIN.md §5 names no facility that does
without), so a walk-in gym's bookings are checked in like a court's.

no_shows_mark (every minute): confirmed bookings not checked in by the start plus the grace become no-shows;
the places of their cells that have not ended are released (the waitlist may offer the later ones; the
home's quota stays used: the booking was the home's), the resident is told (club.no_show), and a home that
reaches the facility's no_show_limit within 30 days is suspended for no_show_suspend_days
(suspensions.py; off by default)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from tenants.db import company_time_zone

from . import booking as engine
from .cells import cells_release
from .models import Booking, BookingStatus, Facility
from .realtime import availability_push_on_commit
from .rules import cell_starts, local_date
from .selectors import staff_facility_q
from .suspensions import suspension_after_no_show
from .waitlist import promote_on_commit

CHECKIN_EARLY_MINUTES = 30
# The sweep looks back this far: a booking missed longer ago (the sweep was down) is left as it is.
NO_SHOW_LOOKBACK = dt.timedelta(days=2)


def code_clean(raw: str) -> str:
    """What staff typed or the QR carried: upper case, without spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def _refuse(message: str, code: str, status: int = 409) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"code": [message]}, status=status)


def _hhmm(moment: dt.datetime) -> str:
    return f"{engine._local(moment):%H:%M}"


def booking_check_in(*, code: str, by: User, scope: Scope, now: dt.datetime | None = None) -> Booking:
    """Check the booking with this code in. 404 for a code not found (another company's codes are not
    found: each company has its own schema), 403 for a facility outside the caller's scope, 409 with a
    message for a booking that cannot be checked in now."""
    now = now or timezone.now()
    cleaned = code_clean(code)
    if len(cleaned) != engine.CODE_LENGTH:
        raise _refuse(_("A booking code has %(n)d letters and digits.") % {"n": engine.CODE_LENGTH}, "bad_code", 400)
    found = Booking.objects.filter(code=cleaned).values_list("pk", "facility_id").first()
    if found is None:
        raise _refuse(_("No booking has this code."), "not_found", 404)
    if not Facility.objects.filter(staff_facility_q(scope), pk=found[1]).exists():
        raise _refuse(_("This booking is for a facility outside your estates."), "out_of_scope", 403)
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related("facility", "unit").get(pk=found[0])
        _check_state(booking)
        _check_window(booking, now)
        booking.status = BookingStatus.CHECKED_IN
        booking.checked_in_at, booking.checked_in_by = now, by
        booking.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        audit_record(action="club.booking_check_in", target=booking, changes={"code": booking.code})
        engine._notify(booking, "club.checked_in", _("Checked in"))
    return booking


def _check_state(booking: Booking) -> None:
    status = booking.status
    if status == BookingStatus.CHECKED_IN:
        assert booking.checked_in_at is not None
        raise _refuse(
            _("Already checked in at %(time)s.") % {"time": _hhmm(booking.checked_in_at)}, "already_checked_in"
        )
    if status == BookingStatus.NO_SHOW:
        raise _refuse(_("This booking was released as a no-show."), "no_show")
    if status in (BookingStatus.CANCELLED, BookingStatus.REJECTED, BookingStatus.EXPIRED):
        raise _refuse(
            _("This booking is %(status)s: it cannot be checked in.")
            % {"status": booking.get_status_display().lower()},
            "not_live",
        )
    if status != BookingStatus.CONFIRMED:
        raise _refuse(
            _("This booking is not confirmed yet (%(status)s).") % {"status": booking.get_status_display().lower()},
            "not_confirmed",
        )


def _check_window(booking: Booking, now: dt.datetime) -> None:
    """Open from CHECKIN_EARLY_MINUTES before the start until the grace after it (across midnight too: a
    booking at 00:15 is checked in at 23:50). Outside it, a booking of another day says so."""
    tz = company_time_zone()
    opens = booking.starts_at - dt.timedelta(minutes=CHECKIN_EARLY_MINUTES)
    closes = booking.starts_at + dt.timedelta(minutes=booking.facility.checkin_grace_minutes)
    if opens <= now <= closes:
        return
    day = local_date(booking.starts_at, tz)
    if day != local_date(now, tz):
        raise _refuse(
            _("This booking is for %(day)s, not today.") % {"day": f"{day:%Y-%m-%d}"},
            "wrong_day",
        )
    if now < opens:
        raise _refuse(_("Too early: check-in opens at %(time)s.") % {"time": _hhmm(opens)}, "too_early")
    raise _refuse(_("Too late: check-in closed at %(time)s.") % {"time": _hhmm(closes)}, "too_late")


# --- no-shows ------------------------------------------------------------------------------------------------


def no_shows_mark(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Confirmed bookings not checked in by start + grace become no-shows (each in its own short
    transaction, skipping rows another worker holds). Returns how many."""
    now = now or timezone.now()
    candidates = list(
        Booking.objects.filter(status=BookingStatus.CONFIRMED, starts_at__lte=now, starts_at__gt=now - NO_SHOW_LOOKBACK)
        .select_related("facility")
        .order_by("starts_at", "id")[: limit * 4]
    )
    due = [b.pk for b in candidates if b.starts_at + dt.timedelta(minutes=b.facility.checkin_grace_minutes) < now]
    marked = 0
    for pk in due[:limit]:
        if _no_show(pk, now):
            marked += 1
    return marked


def _no_show(pk: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("facility")
            .filter(pk=pk, status=BookingStatus.CONFIRMED, checked_in_at__isnull=True)
            .first()
        )
        if booking is None:
            return False
        booking.status, booking.no_show_at = BookingStatus.NO_SHOW, now
        booking.save(update_fields=["status", "no_show_at"])
        step = dt.timedelta(minutes=booking.cell_minutes)
        cells = [c for c in cell_starts(booking.starts_at, booking.ends_at, booking.cell_minutes) if c + step > now]
        left = cells_release(facility_id=booking.facility_id, cells=cells, places=booking.places)
        availability_push_on_commit(booking.facility_id, left)
        if cells:
            promote_on_commit(booking.facility_id, cells[0], booking.ends_at, now)
        audit_record(action="club.booking_no_show", target=booking, changes={"released_cells": len(cells)})
        engine._notify(
            booking,
            "club.no_show",
            _("Missed booking"),
            body=_("It was not checked in within %(n)d minutes of the start, so its place was released.")
            % {"n": booking.facility.checkin_grace_minutes},
        )
        if booking.unit_id is not None:
            suspension = suspension_after_no_show(facility=booking.facility, unit_id=booking.unit_id, now=now)
            if suspension is not None:
                engine._notify(
                    booking,
                    "club.no_show",
                    _("Bookings suspended"),
                    body=_("Bookings of your home are suspended until %(until)s: %(reason)s")
                    % {"until": f"{engine._local(suspension.until):%Y-%m-%d %H:%M}", "reason": suspension.reason},
                )
    return True
