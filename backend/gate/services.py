"""The gate's rules. Visitor passes (访客): a resident issues one for a home they live in (a visitor's name,
a car plate or none, a time window, one entry or several); security scan its QR code (or type its code) at
the gate: an entry is logged, a single-use pass refuses a second one, a pass outside its window refuses, and
a car leaving is shown its parking time against the free minutes. Parcels (快递, 件件通知): security or
reception log one for a home (unit, carrier, tracking number, shelf); everyone living there is told at once
with a six-digit pickup code; the parcel is handed over for that code with a signature drawn on the phone;
the parcels still on the shelf after the company's N days are reminded once a day (tasks.py).

Each write takes its row's lock, checks the state it finds, writes an audit entry and notifies whoever it
concerns after commit (backend.notifications pushes to their sockets)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.services import notifications_create
from backend.properties.models import Occupancy, Unit
from backend.properties.scope import Scope
from backend.properties.selectors import resident_units
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import company_time_zone

from .models import (
    Carrier,
    Direction,
    GateEntry,
    GateSettings,
    Parcel,
    ParcelStatus,
    PassStatus,
    VisitorPass,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASS_CODE_LENGTH = 10
PICKUP_CODE_LENGTH = 6
# A pass may be issued this far ahead of its start.
PASS_AHEAD_DAYS = 30


def _refuse(message: str, code: str, status: int = 409, field: str = "code") -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]}, status=status)


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(company_time_zone())


def _hhmm(moment: dt.datetime) -> str:
    return f"{_local(moment):%m-%d %H:%M}"


def unit_user_ids(unit_id: int) -> list[int]:
    """Everyone with an account who lives in the home now (owner, tenant, household)."""
    return sorted(
        set(
            Occupancy.objects.filter(unit_id=unit_id, end_date__isnull=True, person__user_id__isnull=False).values_list(
                "person__user_id", flat=True
            )
        )
    )


def code_clean(raw: str) -> str:
    """What staff typed or the QR code carried: upper case, letters and digits only."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


# --- settings ---------------------------------------------------------------------------------------------------


def gate_settings_save(*, parcel_reminder_days: int, free_parking_minutes: int, pass_longest_days: int) -> GateSettings:
    errors: dict[str, list[str]] = {}
    if not 1 <= parcel_reminder_days <= 30:
        errors["parcel_reminder_days"] = [_("Between 1 and 30 days.")]
    if not 0 <= free_parking_minutes <= 24 * 60:
        errors["free_parking_minutes"] = [_("Between 0 and 1,440 minutes.")]
    if not 1 <= pass_longest_days <= 90:
        errors["pass_longest_days"] = [_("Between 1 and 90 days.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        settings = GateSettings.load()
        before = {
            "parcel_reminder_days": settings.parcel_reminder_days,
            "free_parking_minutes": settings.free_parking_minutes,
            "pass_longest_days": settings.pass_longest_days,
        }
        settings.parcel_reminder_days = parcel_reminder_days
        settings.free_parking_minutes = free_parking_minutes
        settings.pass_longest_days = pass_longest_days
        settings.save()
        audit_record(
            action="gate.settings_save",
            target=settings,
            changes={
                "before": before,
                "after": {
                    "parcel_reminder_days": parcel_reminder_days,
                    "free_parking_minutes": free_parking_minutes,
                    "pass_longest_days": pass_longest_days,
                },
            },
        )
    return settings


# --- visitor passes -------------------------------------------------------------------------------------------


def _pass_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(PASS_CODE_LENGTH))


def plate_clean(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum() or "\u4e00" <= ch <= "\u9fff")


def pass_issue(
    *,
    user: User,
    unit_id: int,
    visitor_name: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    multiple: bool = False,
    plate: str = "",
    visitor_phone: str = "",
    now: dt.datetime | None = None,
) -> VisitorPass:
    """A resident's pass for a visitor to one of the homes they live in now."""
    now = now or timezone.now()
    settings = GateSettings.load()
    errors: dict[str, list[str]] = {}
    unit = resident_units(user_id=user.pk).filter(pk=unit_id).first()
    if unit is None:
        errors["unit"] = [_("Choose one of your homes.")]
    name = (visitor_name or "").strip()
    if not name or len(name) > 40:
        errors["visitor_name"] = [_("Name the visitor (at most 40 characters).")]
    plate = plate_clean(plate)
    if plate and not 5 <= len(plate) <= 10:
        errors["plate"] = [_("A plate has 5 to 10 letters and digits, e.g. 浙A12345.")]
    phone = (visitor_phone or "").strip()
    if len(phone) > 20:
        errors["visitor_phone"] = [_("At most 20 characters.")]
    if valid_until <= valid_from:
        errors["valid_until"] = [_("The pass must end after it starts.")]
    elif valid_until <= now:
        errors["valid_until"] = [_("This time has passed.")]
    elif valid_until - valid_from > dt.timedelta(days=settings.pass_longest_days):
        errors["valid_until"] = [_("A pass lasts at most %(n)d days.") % {"n": settings.pass_longest_days}]
    if valid_from > now + dt.timedelta(days=PASS_AHEAD_DAYS):
        errors["valid_from"] = [_("At most %(n)d days ahead.") % {"n": PASS_AHEAD_DAYS}]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert unit is not None
    with transaction.atomic():
        visitor_pass = VisitorPass.objects.create(
            code=_pass_code(),
            token=secrets.token_urlsafe(32),
            unit=unit,
            estate_id=unit.estate_id,
            office_id=unit.office_id,
            issued_by=user,
            visitor_name=name,
            visitor_phone=phone,
            plate=plate,
            valid_from=valid_from,
            valid_until=valid_until,
            multiple=bool(multiple),
            free_parking_minutes=settings.free_parking_minutes if plate else 0,
            created_at=now,
        )
        audit_record(
            action="gate.pass_issue",
            target=visitor_pass,
            changes={
                "unit": unit.pk,
                "visitor": name,
                "plate": plate,
                "from": valid_from.isoformat(),
                "until": valid_until.isoformat(),
                "multiple": bool(multiple),
            },
        )
    return visitor_pass


def pass_cancel(*, visitor_pass: VisitorPass, user: User, now: dt.datetime | None = None) -> VisitorPass:
    """The resident withdraws a pass (any of their home's: a household shares its visitors)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = VisitorPass.objects.select_for_update().get(pk=visitor_pass.pk)
        if locked.status == PassStatus.CANCELLED:
            raise _refuse(_("This pass is cancelled already."), "cancelled")
        locked.status, locked.cancelled_at = PassStatus.CANCELLED, now
        locked.save(update_fields=["status", "cancelled_at"])
        audit_record(action="gate.pass_cancel", target=locked, changes={"by": user.pk})
    return locked


def pass_find(*, code: str, scope: Scope) -> VisitorPass:
    """The pass with this code at one of the caller's estates: 400 for a code of the wrong shape, 404 for none
    (another company's codes are not found: each company has its own schema), 403 for another estate's."""
    cleaned = code_clean(code)
    if len(cleaned) != PASS_CODE_LENGTH:
        raise _refuse(_("A pass code has %(n)d letters and digits.") % {"n": PASS_CODE_LENGTH}, "bad_code", 400)
    found = VisitorPass.objects.select_related("unit", "estate").filter(code=cleaned).first()
    if found is None:
        raise _refuse(_("No visitor pass has this code."), "not_found", 404)
    if not (scope.all_offices or found.office_id in scope.office_ids or found.estate_id in scope.estate_ids):
        raise _refuse(_("This pass is for another estate."), "out_of_scope", 403)
    return found


def _last_in(visitor_pass: VisitorPass) -> GateEntry | None:
    last = GateEntry.objects.filter(visitor_pass=visitor_pass).order_by("-at", "-pk").first()
    return last if last is not None and last.direction == Direction.IN else None


def pass_scan(
    *, code: str, by: User, scope: Scope, direction: str = Direction.IN, now: dt.datetime | None = None
) -> GateEntry:
    """Security at the gate: let the pass's visitor in (within its window; once for a single-use pass), or
    let their car out (its parking time against the free minutes). Refusals say why, as the code's error."""
    now = now or timezone.now()
    if direction not in Direction.values:
        raise _refuse(_("In or out?"), "bad_direction", 400, field="direction")
    found = pass_find(code=code, scope=scope)
    with transaction.atomic():
        locked = VisitorPass.objects.select_for_update().select_related("unit").get(pk=found.pk)
        if locked.status == PassStatus.CANCELLED:
            raise _refuse(_("This pass was cancelled by the resident."), "cancelled")
        entry = _enter(locked, by, now) if direction == Direction.IN else _leave(locked, by, now)
        audit_record(
            action=f"gate.pass_{direction}",
            target=locked,
            changes={"entry": entry.pk, "entries": locked.entries, "over_minutes": entry.over_minutes},
        )
    return entry


def _enter(locked: VisitorPass, by: User, now: dt.datetime) -> GateEntry:
    if now < locked.valid_from:
        raise _refuse(_("This pass starts at %(at)s.") % {"at": _hhmm(locked.valid_from)}, "too_early")
    if now >= locked.valid_until:
        raise _refuse(_("This pass expired at %(at)s.") % {"at": _hhmm(locked.valid_until)}, "expired")
    if not locked.multiple and (locked.entries >= 1 or locked.status == PassStatus.USED):
        raise _refuse(_("This single-use pass was used already."), "used")
    locked.entries += 1
    fields = ["entries"]
    if not locked.multiple:
        locked.status = PassStatus.USED
        fields.append("status")
    locked.save(update_fields=fields)
    entry = GateEntry.objects.create(
        visitor_pass=locked,
        estate_id=locked.estate_id,
        office_id=locked.office_id,
        direction=Direction.IN,
        at=now,
        by=by,
        plate=locked.plate,
    )
    title = _("Your visitor %(name)s came in at %(at)s") % {"name": locked.visitor_name, "at": f"{_local(now):%H:%M}"}
    notifications_create(
        user_ids=[locked.issued_by_id],
        kind="gate.visitor_entered",
        title=title,
        body=locked.plate,
        url=f"/resident/visitors/{locked.pk}/",
        payload={"pass": locked.pk, "entry": entry.pk},
    )
    return entry


def _leave(locked: VisitorPass, by: User, now: dt.datetime) -> GateEntry:
    last_in = _last_in(locked)
    if last_in is None:
        raise _refuse(_("This visitor has not come in on this pass."), "not_inside")
    parked = max(0, int((now - last_in.at).total_seconds() // 60))
    over = max(0, parked - locked.free_parking_minutes) if locked.plate else 0
    entry = GateEntry.objects.create(
        visitor_pass=locked,
        estate_id=locked.estate_id,
        office_id=locked.office_id,
        direction=Direction.OUT,
        at=now,
        by=by,
        plate=locked.plate,
        parked_minutes=parked,
        over_minutes=over,
    )
    if locked.plate:
        notifications_create(
            user_ids=[locked.issued_by_id],
            kind="gate.visitor_left",
            title=_("Your visitor's car %(plate)s left after %(minutes)d minutes")
            % {"plate": locked.plate, "minutes": parked},
            url=f"/resident/visitors/{locked.pk}/",
            payload={"pass": locked.pk, "entry": entry.pk, "over_minutes": over},
        )
    return entry


# --- parcels ----------------------------------------------------------------------------------------------------


def _pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_LENGTH))


def parcel_log(
    *,
    by: User,
    scope: Scope,
    unit_id: int,
    carrier: str,
    tracking_number: str,
    shelf: str,
    now: dt.datetime | None = None,
) -> Parcel:
    """Security or reception put a parcel on the shelf for a home of their scope; the home is told at once."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    unit = scope.filter_units(Unit.objects.all()).filter(pk=unit_id).first() if not scope.is_resident else None
    if unit is None:
        errors["unit"] = [_("Choose a home of your estates.")]
    if carrier not in Carrier.values:
        errors["carrier"] = [_("Choose the carrier.")]
    tracking = "".join((tracking_number or "").split()).upper()
    if not 4 <= len(tracking) <= 40:
        errors["tracking_number"] = [_("Type the tracking number (4 to 40 characters).")]
    shelf = (shelf or "").strip()
    if not shelf or len(shelf) > 20:
        errors["shelf"] = [_("Say which shelf (at most 20 characters).")]
    if (
        not errors
        and Parcel.objects.filter(carrier=carrier, tracking_number=tracking, status=ParcelStatus.WAITING).exists()
    ):
        errors["tracking_number"] = [_("This parcel is on the shelf already.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert unit is not None
    with transaction.atomic():
        parcel = None
        for _attempt in range(8):
            try:
                with transaction.atomic():
                    parcel = Parcel.objects.create(
                        unit=unit,
                        estate_id=unit.estate_id,
                        office_id=unit.office_id,
                        carrier=carrier,
                        tracking_number=tracking,
                        shelf=shelf,
                        pickup_code=_pickup_code(),
                        logged_by=by,
                        logged_at=now,
                    )
                break
            except IntegrityError:  # the code is another waiting parcel's: draw again
                continue
        if parcel is None:
            raise ApplicationError(_("No pickup code is free; try again."), code="no_code", status=503)
        audit_record(
            action="gate.parcel_log",
            target=parcel,
            changes={"unit": unit.pk, "carrier": carrier, "tracking": tracking, "shelf": shelf},
        )
        notifications_create(
            user_ids=unit_user_ids(unit.pk),
            kind="gate.parcel_arrived",
            title=_("Parcel arrived: pickup code %(code)s") % {"code": parcel.pickup_code},
            body=_("%(carrier)s %(tracking)s, shelf %(shelf)s, %(home)s")
            % {"carrier": parcel.get_carrier_display(), "tracking": tracking, "shelf": shelf, "home": unit.label},
            url="/resident/parcels/",
            payload={"parcel": parcel.pk, "pickup_code": parcel.pickup_code},
        )
    return parcel


def parcel_find(*, code: str, scope: Scope) -> Parcel:
    """The waiting parcel with this pickup code at one of the caller's estates (404 otherwise: a wrong code,
    a parcel picked up already, another office's or another company's parcel are all "no such parcel")."""
    cleaned = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(cleaned) != PICKUP_CODE_LENGTH:
        raise _refuse(_("A pickup code has %(n)d digits.") % {"n": PICKUP_CODE_LENGTH}, "bad_code", 400)
    from .selectors import parcels_visible

    parcel = (
        parcels_visible(scope=scope)
        .select_related("unit")
        .filter(pickup_code=cleaned, status=ParcelStatus.WAITING)
        .first()
    )
    if parcel is None or scope.is_resident:
        raise _refuse(_("No parcel is waiting with this pickup code."), "not_found", 404)
    return parcel


def parcel_pickup(
    *,
    code: str,
    signature: AcceptedUpload | None,
    name: str,
    by: User,
    scope: Scope,
    now: dt.datetime | None = None,
) -> Parcel:
    """Hand the parcel over: the pickup code the resident gives, their name and their signature. Two hand-overs
    of one parcel at once give one (the row lock; the second finds it picked up)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 40:
        errors["name"] = [_("Who is picking it up? (at most 40 characters)")]
    if signature is None:
        errors["signature"] = [_("Ask for a signature.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert signature is not None
    found = parcel_find(code=code, scope=scope)
    with transaction.atomic():
        parcel = Parcel.objects.select_for_update().select_related("unit").get(pk=found.pk)
        if parcel.status != ParcelStatus.WAITING or parcel.pickup_code != found.pickup_code:
            raise _refuse(_("This parcel was picked up already."), "collected")
        parcel.status, parcel.collected_at, parcel.handed_over_by = ParcelStatus.COLLECTED, now, by
        parcel.collected_name = name
        parcel.signature = signature.content_file()  # type: ignore[assignment]
        with files_removed_on_error(parcel):
            parcel.save(update_fields=["status", "collected_at", "handed_over_by", "collected_name", "signature"])
            audit_record(
                action="gate.parcel_pickup",
                target=parcel,
                changes={"name": name, "signature_sha256": signature.sha256},
            )
            notifications_create(
                user_ids=unit_user_ids(parcel.unit_id),
                kind="gate.parcel_collected",
                title=_("Parcel %(tracking)s picked up by %(name)s")
                % {"tracking": parcel.tracking_number, "name": name},
                url="/resident/parcels/",
                payload={"parcel": parcel.pk},
            )
    return parcel


def parcel_return(*, parcel: Parcel, by: User, reason: str, now: dt.datetime | None = None) -> Parcel:
    """An unclaimed parcel goes back to the carrier (退回), with a reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why.")]})
    with transaction.atomic():
        locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
        if locked.status != ParcelStatus.WAITING:
            raise _refuse(_("This parcel is no longer on the shelf."), "not_waiting", field="reason")
        locked.status = ParcelStatus.RETURNED
        locked.save(update_fields=["status"])
        audit_record(action="gate.parcel_return", target=locked, changes={"reason": reason[:200], "by": by.pk})
    return locked


def parcel_reminders_send(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Once a day: every home with parcels on the shelf for the company's N days or more hears of them once
    (one notice per home, not per parcel). Returns how many homes were reminded."""
    now = now or timezone.now()
    today = _local(now).date()
    days = GateSettings.load().parcel_reminder_days
    with transaction.atomic():
        due = list(
            Parcel.objects.select_for_update(skip_locked=True)
            .filter(status=ParcelStatus.WAITING, logged_at__lte=now - dt.timedelta(days=days))
            .exclude(reminded_on=today)
            .order_by("logged_at")[:limit]
        )
        by_unit: dict[int, list[Parcel]] = defaultdict(list)
        for parcel in due:
            by_unit[parcel.unit_id].append(parcel)
        for unit_id, parcels in by_unit.items():
            codes = "、".join(p.pickup_code for p in parcels)
            notifications_create(
                user_ids=unit_user_ids(unit_id),
                kind="gate.parcel_reminder",
                title=_("%(n)d parcel(s) waiting for over %(days)d days: pickup code %(codes)s")
                % {"n": len(parcels), "days": days, "codes": codes},
                url="/resident/parcels/",
                payload={"parcels": [p.pk for p in parcels]},
            )
        for parcel in due:
            parcel.reminded_on, parcel.reminders = today, parcel.reminders + 1
        Parcel.objects.bulk_update(due, ["reminded_on", "reminders"])
        if due:
            audit_record(
                action="gate.parcel_reminders",
                object_type="gate.parcel",
                changes={"parcels": len(due), "homes": len(by_unit), "days": days},
            )
    return len(by_unit)
