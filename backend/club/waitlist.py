"""The waitlist that promotes itself. A resident joins a full slot's waitlist (the same checks as a booking:
the booking window, opening hours and closures, who may book, suspension, arrears; once per slot and person,
which a unique constraint holds). When places free up (a cancellation, a rejection, an expired hold or offer,
a staff cancel, a no-show) the first waiting entry that fits gets an offer: a booking in status OFFERED that
holds the place (cells and the home's quotas taken by the same conditional UPDATEs as any booking, via
booking._insert) until `facility.offer_minutes` from now, notified as club.waitlist_offer (websocket toast and
SMS). Accepting makes it confirmed (or held for payment when it costs money, or pending where approval is
needed); declining or letting it expire frees the place for the next in line.

Promotion runs after the releasing transaction commits (booking.RELEASE_HOOKS), in its own transaction that
locks the slot's waiting entries in line order: two frees at once queue behind each other, and the second
sees the entry the first offered as no longer waiting, so an entry is never offered twice and a place taken
for an offer is never lost (a refused take rolls back its savepoint). A periodic sweep (waitlist_sweep)
expires entries whose time has come and retries promotion where places are free, in case a process died
between the commit and the promotion."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import Unit
from tenants.db import connection

from . import booking as engine
from .models import LIVE_STATUSES, Booking, BookingSource, BookingStatus, Facility, SlotCell, WaitlistEntry
from .rules import booking_price, cell_starts

logger = logging.getLogger(__name__)
Entry = WaitlistEntry.Status
OPEN = (Entry.WAITING, Entry.OFFERED)
# The resident's offer page (portal:resident-waitlist-entry), where the toast and the SMS lead.
OFFER_URL = "/resident/waitlist/{pk}/"


# --- joining and leaving -------------------------------------------------------------------------------------


def _room(facility_id: int, cells: list[dt.datetime], places: int) -> bool:
    """Whether every cell has `places` left now (a read, for advice only: the offer takes them for real)."""
    rows = {c.starts_at: c for c in SlotCell.objects.filter(facility_id=facility_id, starts_at__in=cells)}
    for cell in cells:
        row = rows.get(cell)
        if row is not None and (row.blocks > 0 or row.capacity - row.taken < places):
            return False
    return True


def waitlist_join(
    *,
    facility: Facility,
    user: User,
    unit: Unit,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    party_size: int = 1,
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Join the waitlist of a full slot for one of the resident's homes. 409s: places are left ("not_full":
    book it instead), the resident booked this time already ("booked"), or waits for it already
    ("already_waiting"); the booking checks refuse as they would a booking."""
    now = now or timezone.now()
    plan = engine._plan(facility, starts_at, ends_at, party_size, now, window=True)
    engine._may_book(facility, user, unit, now)
    if _room(facility.pk, plan.cells, plan.places):
        message = _("There are places left then: book it.")
        raise ApplicationError(message, code="not_full", fields={"starts_at": [message]}, status=409)
    if Booking.objects.filter(
        facility=facility, user=user, starts_at__lt=ends_at, ends_at__gt=starts_at, status__in=LIVE_STATUSES
    ).exists():
        raise ApplicationError(_("You have booked this time already."), code="booked", status=409)
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                facility=facility, starts_at=starts_at, ends_at=ends_at, party_size=party_size, unit=unit, user=user
            )
            audit_record(
                action="club.waitlist_join",
                target=entry,
                changes={"facility": facility.pk, "unit": unit.pk, "starts_at": starts_at.isoformat()},
            )
    except IntegrityError:
        raise ApplicationError(_("You are on this waitlist already."), code="already_waiting", status=409) from None
    return entry


def _entry_locked(entry: WaitlistEntry, statuses: tuple[str, ...]) -> WaitlistEntry:
    locked = WaitlistEntry.objects.select_for_update().select_related("facility").get(pk=entry.pk)
    if locked.status not in statuses:
        raise ApplicationError(
            _("This waitlist entry is %(status)s.") % {"status": locked.get_status_display().lower()},
            code="invalid_state",
            status=409,
        )
    return locked


def waitlist_leave(*, entry: WaitlistEntry, by: User, now: dt.datetime | None = None) -> WaitlistEntry:
    """Leave the line; an entry with an open offer declines it (its place goes to the next in line)."""
    now = now or timezone.now()
    if entry.status == Entry.OFFERED:
        return waitlist_decline(entry=entry, by=by, now=now)
    with transaction.atomic():
        locked = _entry_locked(entry, (Entry.WAITING,))
        locked.status = Entry.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(action="club.waitlist_leave", target=locked)
    return locked


def _offer_locked(entry: WaitlistEntry, now: dt.datetime) -> Booking:
    """The entry's offer booking, locked, still open (booking first, then the entry: the order expiry uses)."""
    if entry.booking_id is None or entry.status != Entry.OFFERED:
        raise ApplicationError(_("There is no open offer for this entry."), code="invalid_state", status=409)
    booking = engine._locked(Booking(pk=entry.booking_id), (BookingStatus.OFFERED,))
    if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
        raise ApplicationError(_("This offer has expired."), code="offer_expired", status=409)
    return booking


def waitlist_accept(*, entry: WaitlistEntry, by: User, now: dt.datetime | None = None) -> Booking:
    """Take the offered place: confirmed when free, held for payment (hold_minutes from now) when it costs
    money, pending where the facility needs approval. 409 when the offer is gone or expired."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _offer_locked(entry, now)
        locked = _entry_locked(entry, (Entry.OFFERED,))
        status, hold = engine._first_status(booking.facility, booking.total_fen, now)
        booking.status, booking.hold_expires_at = status, hold
        booking.save(update_fields=["status", "hold_expires_at"])
        locked.status = Entry.ACCEPTED
        locked.save(update_fields=["status"])
        audit_record(action="club.waitlist_accept", target=booking, changes={"status": status, "entry": locked.pk})
        engine._notify_status(booking)
    return booking


def waitlist_decline(*, entry: WaitlistEntry, by: User, now: dt.datetime | None = None) -> WaitlistEntry:
    """Decline the offer: its booking is cancelled and its place offered to the next in line."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _offer_locked(entry, now)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at, booking.cancelled_by = now, by
        booking.cancel_reason = _("Waitlist offer declined")
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        engine._release(booking, now)  # the hook marks the entry cancelled and promotes the next after commit
        audit_record(action="club.waitlist_decline", target=booking, changes={"entry": entry.pk})
    entry.refresh_from_db()
    return entry


# --- promotion ---------------------------------------------------------------------------------------------


def _offer(facility: Facility, entry: WaitlistEntry, now: dt.datetime) -> Booking | None:
    """Offer the entry a place, or None when it does not fit now (full, the home's quota, or a check that the
    home no longer passes); a refusal takes nothing (its savepoint rolls back)."""
    user = User.objects.filter(pk=entry.user_id, is_active=True).first()
    if user is None:
        return None
    try:
        with transaction.atomic():
            plan = engine._plan(facility, entry.starts_at, entry.ends_at, entry.party_size, now, window=False)
            engine._may_book(facility, user, entry.unit, now)
            price = booking_price(
                mode=facility.price_mode,
                unit_price=facility.resident_price_fen,
                cells=len(plan.cells),
                minutes=plan.minutes,
                party_size=entry.party_size,
            )
            hold = min(now + dt.timedelta(minutes=facility.offer_minutes), entry.starts_at)
            booking = engine._insert(
                facility=facility,
                plan=plan,
                unit=entry.unit,
                quota=True,
                audit_action="club.waitlist_offer",
                user=user,
                starts_at=entry.starts_at,
                ends_at=entry.ends_at,
                party_size=entry.party_size,
                status=BookingStatus.OFFERED,
                hold_expires_at=hold,
                source=BookingSource.WAITLIST,
                price_fen=price,
                deposit_fen=facility.deposit_fen,
                created_by=None,
            )
            taken = WaitlistEntry.objects.filter(pk=entry.pk, status=Entry.WAITING).update(
                status=Entry.OFFERED, booking=booking, offered_until=hold
            )
            if taken != 1:  # cannot happen while the entry is locked; never offer twice if it does
                raise ApplicationError("entry no longer waiting", code="invalid_state", status=409)
            local = engine._local(hold)
            engine._notify(
                booking,
                "club.waitlist_offer",
                _("A place is free for you"),
                body=_("Accept it before %(time)s, or it goes to the next in line.") % {"time": f"{local:%H:%M}"},
                url=OFFER_URL.format(pk=entry.pk),
            )
    except ApplicationError:
        return None
    return booking


def waitlist_promote(
    *, facility_id: int, starts_from: dt.datetime, starts_before: dt.datetime, now: dt.datetime | None = None
) -> list[Booking]:
    """Offer the free places of a facility between the two instants to the waiting entries that overlap
    them, in line order (the first that fits; a smaller party further down may fit where a larger did not).
    Returns the offers made."""
    now = now or timezone.now()
    offers: list[Booking] = []
    with transaction.atomic():
        entries = list(
            WaitlistEntry.objects.select_for_update()
            .select_related("unit")
            .filter(
                facility_id=facility_id,
                status=Entry.WAITING,
                starts_at__lt=starts_before,
                ends_at__gt=starts_from,
                starts_at__gt=now,
            )
            .order_by("created_at", "id")
        )
        if not entries:
            return []
        facility = Facility.objects.filter(pk=facility_id).first()
        if facility is None:
            return []
        for entry in entries:
            cells = cell_starts(entry.starts_at, entry.ends_at, facility.cell_minutes)
            if not _room(facility.pk, cells, entry.party_size if facility.counts_people else 1):
                continue
            offer = _offer(facility, entry, now)
            if offer is not None:
                offers.append(offer)
    return offers


def promote_on_commit(facility_id: int, starts_from: dt.datetime, starts_before: dt.datetime, now: dt.datetime) -> None:
    """After the current transaction commits, offer what it freed at `now` (the release's time; logged, never
    raised: the sweep retries)."""
    schema = connection.schema_name

    def promote() -> None:
        try:
            with schema_context(schema):
                waitlist_promote(facility_id=facility_id, starts_from=starts_from, starts_before=starts_before, now=now)
        except Exception:  # noqa: BLE001 - the release stands; waitlist_sweep offers the place a minute later
            logger.exception("waitlist promotion for facility %s failed", facility_id)

    transaction.on_commit(promote)


def _on_release(booking: Booking, now: dt.datetime) -> None:
    """booking.RELEASE_HOOKS: an offer that expired or was declined closes its entry; the freed places go to
    the next in line after commit."""
    closed = Entry.EXPIRED if booking.status == BookingStatus.EXPIRED else Entry.CANCELLED
    for entry in WaitlistEntry.objects.select_for_update().filter(booking_id=booking.pk, status=Entry.OFFERED):
        entry.status = closed
        entry.save(update_fields=["status"])
        audit_record(action=f"club.waitlist_offer_{closed}", target=entry, changes={"booking": booking.pk})
    promote_on_commit(booking.facility_id, booking.starts_at, booking.ends_at, now)


engine.RELEASE_HOOKS.append(_on_release)


def waitlist_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Every minute: entries whose start has come expire; where a waiting entry's places are free (a
    promotion that never ran), promote. Returns the offers made."""
    now = now or timezone.now()
    WaitlistEntry.objects.filter(status=Entry.WAITING, starts_at__lte=now).update(status=Entry.EXPIRED)
    waiting = list(
        WaitlistEntry.objects.filter(status=Entry.WAITING)
        .select_related("facility")
        .order_by("starts_at", "id")[:limit]
    )
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for entry in waiting:
        facility = entry.facility
        cells = cell_starts(entry.starts_at, entry.ends_at, facility.cell_minutes)
        if _room(facility.pk, cells, entry.party_size if facility.counts_people else 1):
            spans.setdefault(facility.pk, []).append((entry.starts_at, entry.ends_at))
    offers = 0
    for facility_id, found in spans.items():
        for starts_from, starts_before in sorted(set(found)):
            offers += len(
                waitlist_promote(facility_id=facility_id, starts_from=starts_from, starts_before=starts_before, now=now)
            )
    return offers
