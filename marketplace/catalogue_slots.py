"""A service's appointment slots, and the merchant's monthly specials.

Slots come in series (these weekdays, at these times, from one date to another), each with its places; a slot's
places never drop below what is booked, checked by the UPDATE itself (`... WHERE booked <= new capacity`) and
by the table's CHECK constraint, never read-then-write. Specials: at most SPECIALS_PER_MONTH a merchant a month
(the documents' "10 specials a month"), counted with the merchant's row locked, so two at once cannot both be
the eleventh."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.errors import ApplicationError, not_found

from .catalogue import _count, _listing_locked, _price_errors
from .merchant_audit import merchant_audit_record
from .merchant_permissions import CATALOGUE_WRITE
from .merchants import permission_require
from .models import ListingKind, Merchant, MerchantMember, ServiceSlot, Special
from .models.catalogue import SPECIALS_PER_MONTH
from .search.hooks import listings_changed

SERIES_MAX_SLOTS = 500
SERIES_MAX_DAYS = 120
CAPACITY_MAX = 500


def slot_series_create(
    *,
    member: MerchantMember,
    listing_id: int,
    first_date: dt.date,
    last_date: dt.date,
    weekdays: list[int],
    start_times: list[dt.time],
    capacity: Any,
) -> list[ServiceSlot]:
    """Slots of a service on `weekdays` (0 = Monday) at each of `start_times` (China time), from first_date to
    last_date inclusive, each lasting the service's duration. Slots already there at the same start are kept
    as they are (so a series can be extended); returns the new ones."""
    permission_require(member, CATALOGUE_WRITE)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if first_date is None or last_date is None:
        errors["first_date"] = [_("Choose the first and last day.")]
    elif first_date < today:
        errors["first_date"] = [_("Choose a day from today on.")]
    elif last_date < first_date:
        errors["last_date"] = [_("The last day comes after the first.")]
    elif (last_date - first_date).days > SERIES_MAX_DAYS:
        errors["last_date"] = [_("A series spans at most %(n)d days.") % {"n": SERIES_MAX_DAYS}]
    days = sorted({int(d) for d in weekdays or [] if str(d).isdigit() and 0 <= int(d) <= 6})
    if not days:
        errors["weekdays"] = [_("Choose at least one weekday.")]
    times = sorted(set(start_times or []))
    if not times:
        errors["start_times"] = [_("Enter at least one start time.")]
    places = _count(capacity, "capacity", errors, low=1, high=CAPACITY_MAX)
    if places is None and "capacity" not in errors:
        errors["capacity"] = [_("Enter how many bookings a slot takes.")]
    if errors or places is None:
        raise ApplicationError.for_fields(errors)
    zone = timezone.get_default_timezone()
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        if listing.kind != ListingKind.SERVICE or not listing.duration_minutes:
            raise ApplicationError.for_fields({"listing": [_("Only services have appointment slots.")]})
        length = dt.timedelta(minutes=listing.duration_minutes)
        now = timezone.now()
        starts = []
        day = first_date
        while day <= last_date:
            if day.weekday() in days:
                for t in times:
                    start = dt.datetime.combine(day, t, tzinfo=zone)
                    if start > now:
                        starts.append(start)
            day += dt.timedelta(days=1)
        if len(starts) > SERIES_MAX_SLOTS:
            raise ApplicationError.for_fields(
                {"last_date": [_("That makes more than %(n)d slots: choose a shorter span.") % {"n": SERIES_MAX_SLOTS}]}
            )
        if not starts:
            raise ApplicationError.for_fields({"weekdays": [_("No slot falls in these days and times.")]})
        existing = set(
            ServiceSlot.objects.filter(listing=listing, starts_at__in=starts).values_list("starts_at", flat=True)
        )
        new = [
            ServiceSlot(listing=listing, starts_at=s, ends_at=s + length, capacity=places)
            for s in starts
            if s not in existing
        ]
        ServiceSlot.objects.bulk_create(new, ignore_conflicts=True)
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="slot.series_create",
            target=listing,
            changes={
                "first_date": first_date.isoformat(),
                "last_date": last_date.isoformat(),
                "weekdays": days,
                "times": [t.strftime("%H:%M") for t in times],
                "capacity": places,
                "created": len(new),
            },
        )
    listings_changed([listing.pk])
    return list(ServiceSlot.objects.filter(listing=listing, starts_at__in=[s.starts_at for s in new]))


def _slot(member: MerchantMember, slot_id: int) -> ServiceSlot:
    slot = (
        ServiceSlot.objects.select_related("listing")
        .filter(listing__merchant_id=member.merchant_id, pk=slot_id)
        .first()
    )
    if slot is None:
        raise not_found()
    return slot


def slot_capacity_set(*, member: MerchantMember, slot_id: int, capacity: Any) -> ServiceSlot:
    """Change a slot's places; never below its bookings (the UPDATE checks it against the row as it is now)."""
    permission_require(member, CATALOGUE_WRITE)
    errors: dict[str, list[str]] = {}
    places = _count(capacity, "capacity", errors, low=1, high=CAPACITY_MAX)
    if places is None and not errors:
        errors["capacity"] = [_("Enter how many bookings the slot takes.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        slot = _slot(member, slot_id)
        before = slot.capacity
        if not ServiceSlot.objects.filter(pk=slot.pk, booked__lte=places).update(capacity=places):
            booked = ServiceSlot.objects.values_list("booked", flat=True).get(pk=slot.pk)
            raise ApplicationError.for_fields(
                {"capacity": [_("%(n)d places are already booked: the slot cannot take fewer.") % {"n": booked}]}
            )
        slot.refresh_from_db()
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="slot.capacity",
            target=slot,
            changes={"capacity": {"before": before, "after": places}},
        )
    listings_changed([slot.listing_id])
    return slot


def slot_set_active(*, member: MerchantMember, slot_id: int, active: bool) -> ServiceSlot:
    """Close a slot to new bookings (or open it again); bookings already made stay."""
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        slot = _slot(member, slot_id)
        ServiceSlot.objects.filter(pk=slot.pk).update(is_active=bool(active))
        slot.is_active = bool(active)
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="slot.open" if active else "slot.close",
            target=slot,
        )
    listings_changed([slot.listing_id])
    return slot


# --- monthly specials --------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def special_create(*, member: MerchantMember, listing_id: int, month: dt.date | None, price_fen: Any) -> Special:
    """特价 for one month (this one or a later one), below the listing's price."""
    permission_require(member, CATALOGUE_WRITE)
    errors: dict[str, list[str]] = {}
    price = _price_errors(price_fen, "price_fen", errors)
    first = month_start(month) if month else None
    if first is None:
        errors["month"] = [_("Choose the month.")]
    elif first < month_start(timezone.localdate()):
        errors["month"] = [_("Choose this month or a later one.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert first is not None and price is not None
    with transaction.atomic():
        # The merchant's row is the lock every special of this merchant takes before counting.
        Merchant.objects.select_for_update().filter(pk=member.merchant_id).first()
        listing = _listing_locked(member, listing_id)
        if price >= listing.price_fen:
            raise ApplicationError.for_fields({"price_fen": [_("A special is cheaper than the listing's price.")]})
        if Special.objects.filter(merchant_id=member.merchant_id, month=first).count() >= SPECIALS_PER_MONTH:
            raise ApplicationError(
                _("You already have %(n)d specials this month, the most a merchant may have.")
                % {"n": SPECIALS_PER_MONTH},
                code="specials_full",
                fields={"month": [_("At most %(n)d specials a month.") % {"n": SPECIALS_PER_MONTH}]},
                status=409,
            )
        try:
            with transaction.atomic():
                special = Special.objects.create(
                    merchant_id=member.merchant_id, listing=listing, month=first, price_fen=price
                )
        except IntegrityError as exc:
            raise ApplicationError.for_fields(
                {"listing": [_("This listing is already a special that month.")]}
            ) from exc
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="special.create",
            target=special,
            object_repr=f"{listing.title} {first:%Y-%m}",
            changes={"price_fen": price, "listing_price_fen": listing.price_fen},
        )
    listings_changed([listing.pk])
    return special


def special_remove(*, member: MerchantMember, special_id: int) -> None:
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        special = Special.objects.select_for_update().filter(merchant_id=member.merchant_id, pk=special_id).first()
        if special is None:
            raise not_found()
        listing_id = special.listing_id
        merchant_audit_record(member=member, merchant_id=member.merchant_id, action="special.remove", target=special)
        special.delete()
    listings_changed([listing_id])
