"""Training classes (培训班), the staff side: teachers, classes (create, update, publish, close enrolment,
cancel), sessions (add, cancel) and attendance. Enrolment and money are in classes_money.py.

- **Sessions block the facility.** Adding a session adds one block to every cell of the facility's grid it
  overlaps (cells.cells_block, as a closure does), so no booking can take that time; cancelling the session
  or the class takes exactly those blocks off again (ClassSession.blocked_cells).
- **A session over bookings is refused**, with an error naming the bookings in the way (time, home or guest,
  code): the club first moves or cancels them (with their own refund rules and notifications), or picks
  another time. Residents are never cancelled as a side effect of planning a class. The check is race-proof:
  the live bookings there are locked, the cells blocked (a booking in flight then waits and finds them
  blocked), and the bookings read again for any that committed in between. A session over a closure or
  another class's session is refused too (one class at a time per facility).
- **Cancelling a class** marks it cancelled and frees its future sessions' cells in one transaction (no new
  enrolment can pass the seat UPDATE after it), then ends every live enrolment in its own transaction with the
  pro rata refund (classes_money.enrolment_end). Cancelling a cancelled class again finishes any enrolment a
  crash left behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.models import FeeItem
from backend.errors import ApplicationError
from backend.notifications.services import notification_send

from .booking import closures_touching, facility_rules
from .cells import cells_block
from .classes_money import counted_sessions, enrolment_end
from .models import (
    LIVE_STATUSES,
    MINUTES_A_DAY,
    Attendance,
    Booking,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    Facility,
    RefundPolicy,
    SlotCell,
    Teacher,
    TrainingClass,
)
from .realtime import availability_push_on_commit
from .rules import at_minute, closed_by, closure_spans, day_cells, local_date

# --- teachers -------------------------------------------------------------------------------------------


def _teacher_fields(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = str(data["name"] or "").strip()
        if not out["name"] or len(out["name"]) > 60:
            errors["name"] = [_("Give the teacher's name (at most 60 characters).")]
    if "phone" in data:
        out["phone"] = str(data["phone"] or "").strip()
        if len(out["phone"]) > 20:
            errors["phone"] = [_("At most 20 characters.")]
    if "share_percent" in data:
        share = data["share_percent"]
        if not isinstance(share, int) or isinstance(share, bool) or not 0 <= share <= 100:
            errors["share_percent"] = [_("A share from 0 to 100 percent.")]
        out["share_percent"] = share
    if "user" in data:
        out["user"] = data["user"]
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    if errors:
        raise ApplicationError.for_fields(errors)
    return out


def teacher_create(*, by: User | None, **data: Any) -> Teacher:
    fields = _teacher_fields({"phone": "", **data})
    if "name" not in fields or "share_percent" not in fields:
        raise ApplicationError.for_fields({"share_percent": [_("Give the name and the teacher's share.")]})
    with transaction.atomic():
        teacher = Teacher.objects.create(**fields)
        audit_record(
            action="club.teacher_create",
            target=teacher,
            changes={"name": teacher.name, "share_percent": teacher.share_percent},
        )
    return teacher


def teacher_update(*, teacher: Teacher, by: User | None, **data: Any) -> Teacher:
    """A new share applies to every statement computed from now on (statements are not frozen)."""
    fields = _teacher_fields(data)
    with transaction.atomic():
        before = {k: getattr(teacher, k) for k in fields if k != "user"}
        for key, value in fields.items():
            setattr(teacher, key, value)
        teacher.save()
        audit_record(
            action="club.teacher_update",
            target=teacher,
            changes={"before": before, "after": {k: v for k, v in fields.items() if k != "user"}},
        )
    return teacher


# --- classes --------------------------------------------------------------------------------------------

CLASS_FIELDS = (
    "title",
    "description",
    "seats",
    "price_fen",
    "fee_item",
    "enrol_opens_at",
    "enrol_closes_at",
    "refund_policy",
    "hold_minutes",
    "teacher",
)


def _class_errors(facility: Facility, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = str(values.get("title") or "").strip()
    if not title or len(title) > 80:
        errors["title"] = [_("Give the class a title (at most 80 characters).")]
    seats = values.get("seats")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= 10000:
        errors["seats"] = [_("From 1 to 10,000 seats.")]
    price = values.get("price_fen", 0)
    if not isinstance(price, int) or isinstance(price, bool) or not 0 <= price <= 100_000_000:
        errors["price_fen"] = [_("Enter the fee in fen, zero or more.")]
    item = values.get("fee_item")
    if isinstance(price, int) and price > 0 and item is None:
        errors["fee_item"] = [_("A paid class needs the fee item it is charged as.")]
    if isinstance(item, FeeItem) and item.office_id != facility.office_id:
        errors["fee_item"] = [_("This fee item belongs to another management office.")]
    if values.get("refund_policy", RefundPolicy.PRO_RATA) not in RefundPolicy.values:
        errors["refund_policy"] = [_("Choose a refund policy.")]
    opens, closes = values.get("enrol_opens_at"), values.get("enrol_closes_at")
    if opens is not None and closes is not None and closes <= opens:
        errors["enrol_closes_at"] = [_("Enrolment must close after it opens.")]
    hold = values.get("hold_minutes", 30)
    if not isinstance(hold, int) or isinstance(hold, bool) or not 5 <= hold <= 7 * 24 * 60:
        errors["hold_minutes"] = [_("From 5 minutes to 7 days (10080 minutes).")]
    if not isinstance(values.get("teacher"), Teacher):
        errors["teacher"] = [_("Choose the teacher.")]
    return errors


def class_create(*, facility: Facility, by: User | None, **data: Any) -> TrainingClass:
    """A draft class on a facility (the caller passes one from the staff member's scope)."""
    values = {k: data[k] for k in CLASS_FIELDS if k in data}
    values.setdefault("price_fen", 0)
    if errors := _class_errors(facility, values):
        raise ApplicationError.for_fields(errors)
    values["title"] = str(values["title"]).strip()
    with transaction.atomic():
        klass = TrainingClass.objects.create(facility=facility, created_by=by, **values)
        audit_record(action="club.class_create", target=klass, changes=_class_dict(klass))
    return klass


def _class_dict(klass: TrainingClass) -> dict[str, Any]:
    return {
        "facility": klass.facility_id,
        "teacher": klass.teacher_id,
        "title": klass.title,
        "seats": klass.seats,
        "price_fen": klass.price_fen,
        "fee_item": klass.fee_item_id,
        "refund_policy": klass.refund_policy,
        "hold_minutes": klass.hold_minutes,
        "status": klass.status,
        "enrol_opens_at": klass.enrol_opens_at.isoformat() if klass.enrol_opens_at else None,
        "enrol_closes_at": klass.enrol_closes_at.isoformat() if klass.enrol_closes_at else None,
    }


def class_update(*, training_class: TrainingClass, by: User | None, **data: Any) -> TrainingClass:
    """Change a class that is not cancelled. Once it has enrolments the fee and the refund policy stay; the
    seats may not go below those taken (checked by the database in the same UPDATE)."""
    with transaction.atomic():
        klass = TrainingClass.objects.select_for_update().select_related("facility").get(pk=training_class.pk)
        if klass.status == ClassStatus.CANCELLED:
            raise ApplicationError(_("This class is cancelled."), code="invalid_state", status=409)
        changes = {k: data[k] for k in CLASS_FIELDS if k in data}
        has_enrolments = Enrolment.objects.filter(training_class=klass).exists()
        if has_enrolments and any(
            k in changes and changes[k] != getattr(klass, k) for k in ("price_fen", "refund_policy", "fee_item")
        ):
            raise ApplicationError.for_fields(
                {"price_fen": [_("The fee and the refund policy cannot change once residents have enrolled.")]}
            )
        merged = {k: getattr(klass, k) for k in CLASS_FIELDS} | changes
        if errors := _class_errors(klass.facility, merged):
            raise ApplicationError.for_fields(errors)
        if merged["seats"] < klass.seats_taken:
            raise ApplicationError.for_fields(
                {"seats": [_("%(n)d seats are taken already.") % {"n": klass.seats_taken}]}
            )
        before = _class_dict(klass)
        for key, value in changes.items():
            setattr(klass, key, value.strip() if key == "title" else value)
        klass.save()
        audit_record(action="club.class_update", target=klass, changes={"before": before, "after": _class_dict(klass)})
    return klass


def _move(klass: TrainingClass, *, to: str, allowed: tuple[str, ...], action: str, now: dt.datetime) -> TrainingClass:
    with transaction.atomic():
        locked = TrainingClass.objects.select_for_update().get(pk=klass.pk)
        if locked.status not in allowed:
            raise ApplicationError(
                _("This class is %(status)s.") % {"status": locked.get_status_display().lower()},
                code="invalid_state",
                status=409,
            )
        if (
            to == ClassStatus.OPEN
            and not ClassSession.objects.filter(training_class=locked, status=ClassSession.Status.SCHEDULED).exists()
        ):
            raise ApplicationError.for_fields({"sessions": [_("Add the class's sessions before publishing it.")]})
        before = locked.status
        locked.status = to
        if to == ClassStatus.OPEN and locked.published_at is None:
            locked.published_at = now
        locked.save(update_fields=["status", "published_at"])
        audit_record(action=action, target=locked, changes={"status": [before, to]})
    return locked


def class_publish(*, training_class: TrainingClass, by: User | None, now: dt.datetime | None = None) -> TrainingClass:
    """Draft (or closed) → open for enrolment; it needs at least one session."""
    return _move(
        training_class,
        to=ClassStatus.OPEN,
        allowed=(ClassStatus.DRAFT, ClassStatus.CLOSED),
        action="club.class_publish",
        now=now or timezone.now(),
    )


def class_close(*, training_class: TrainingClass, by: User | None, now: dt.datetime | None = None) -> TrainingClass:
    """Stop enrolment; the class goes on."""
    return _move(
        training_class,
        to=ClassStatus.CLOSED,
        allowed=(ClassStatus.OPEN,),
        action="club.class_close",
        now=now or timezone.now(),
    )


def class_cancel(
    *, training_class: TrainingClass, by: User, reason: str, now: dt.datetime | None = None
) -> list[Enrolment]:
    """Cancel the class: free the cells of its sessions not yet over, then end every live enrolment with the
    pro rata refund (everything before the first session). Returns the enrolments it ended."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the class is cancelled.")]})
    with transaction.atomic():
        klass = TrainingClass.objects.select_for_update().select_related("facility").get(pk=training_class.pk)
        if klass.status != ClassStatus.CANCELLED:
            klass.status, klass.cancelled_at, klass.cancel_reason = ClassStatus.CANCELLED, now, reason[:300]
            klass.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            for session in ClassSession.objects.filter(
                training_class=klass, status=ClassSession.Status.SCHEDULED, ends_at__gt=now
            ).select_for_update():
                _unblock(klass.facility, session)
                session.status, session.cancelled_at, session.cancel_reason = (
                    ClassSession.Status.CLASS_CANCELLED,
                    now,
                    reason[:300],
                )
                session.save(update_fields=["status", "cancelled_at", "cancel_reason", "blocked_cells"])
            audit_record(action="club.class_cancel", target=klass, changes={"reason": reason})
    ended = []
    for enrolment in Enrolment.objects.filter(training_class=klass, status=EnrolmentStatus.ENROLLED).order_by("pk"):
        try:
            ended.append(enrolment_end(enrolment=enrolment, by=by, now=now, by_company=True, reason=reason))
        except ApplicationError as error:
            if error.code != "invalid_state":  # ended by its resident in the meantime
                raise
    return ended


# --- sessions -------------------------------------------------------------------------------------------


def _session_cells(facility: Facility, starts_at: dt.datetime, ends_at: dt.datetime) -> list[dt.datetime]:
    """The facility's grid cells the session overlaps; refuses a time a closure covers."""
    rules = facility_rules(facility)
    day = local_date(starts_at, rules.tz)
    if ends_at > at_minute(day, MINUTES_A_DAY, rules.tz):
        raise ApplicationError.for_fields({"ends_at": [_("A session starts and ends on the same day.")]})
    closures = closures_touching(facility.pk, day, rules.tz)
    if reason := closed_by(closure_spans(closures, day, day, rules.tz), starts_at, ends_at):
        raise ApplicationError.for_fields({"starts_at": [_("The facility is closed then: %(r)s") % {"r": reason}]})
    return [c.starts_at for c in day_cells(rules, day) if c.starts_at < ends_at and c.ends_at > starts_at]


def _bookings_in_the_way(facility: Facility, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> Any:
    return Booking.objects.filter(
        facility=facility,
        status__in=LIVE_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=max(starts_at, now),
    ).select_related("unit")


def _describe(bookings: list[Booking], tz: Any) -> str:
    parts = []
    for b in bookings[:10]:
        who = b.unit.label if b.unit_id and b.unit else b.guest_name
        parts.append(f"{b.starts_at.astimezone(tz):%m-%d %H:%M}–{b.ends_at.astimezone(tz):%H:%M} {who} ({b.code})")
    more = len(bookings) - 10
    return "; ".join(parts) + (_(" and %(n)d more") % {"n": more} if more > 0 else "")


def session_add(
    *,
    training_class: TrainingClass,
    by: User | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime | None = None,
) -> ClassSession:
    """Add a session: it blocks the facility's cells it overlaps. Refused (409 "bookings_in_the_way", naming
    them) when live bookings hold that time, and (400) over a closure or another class's session."""
    now = now or timezone.now()
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        raise ApplicationError.for_fields({"starts_at": [_("Give the start with its time zone.")]})
    if not isinstance(ends_at, dt.datetime) or ends_at.tzinfo is None or ends_at <= starts_at:
        raise ApplicationError.for_fields({"ends_at": [_("The end must be after the start.")]})
    if starts_at <= now:
        raise ApplicationError.for_fields({"starts_at": [_("That time has passed.")]})
    if not 2000 < starts_at.year < 2100:
        raise ApplicationError.for_fields({"starts_at": [_("Give a time in this century.")]})
    klass = TrainingClass.objects.select_related("facility").get(pk=training_class.pk)
    if klass.status == ClassStatus.CANCELLED:
        raise ApplicationError(_("This class is cancelled."), code="invalid_state", status=409)
    facility = klass.facility
    cells = _session_cells(facility, starts_at, ends_at)
    tz = facility_rules(facility).tz
    with transaction.atomic():
        # As a closure does: the bookings first (a cancel in flight locks its booking, then its cells), then the
        # cells; then the bookings again, for any that committed in between.
        list(_bookings_in_the_way(facility, starts_at, ends_at, now).select_for_update(of=("self",)).values("pk"))
        left = cells_block(facility_id=facility.pk, capacity=facility.capacity, cells=cells, delta=1)
        clash = ClassSession.objects.filter(
            training_class__facility=facility,
            status=ClassSession.Status.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        doubled = SlotCell.objects.filter(facility=facility, starts_at__in=cells, blocks__gt=1).exists()
        if doubled or clash.exists():
            raise ApplicationError.for_fields({"starts_at": [_("Another class or a closure has the facility then.")]})
        if in_the_way := list(_bookings_in_the_way(facility, starts_at, ends_at, now).order_by("starts_at", "pk")):
            message = _("Bookings hold that time; move or cancel them first: %(list)s") % {
                "list": _describe(in_the_way, tz)
            }
            raise ApplicationError(
                message,
                code="bookings_in_the_way",
                fields={"starts_at": [message]},
                status=409,
            )
        session = ClassSession.objects.create(
            training_class=klass, starts_at=starts_at, ends_at=ends_at, blocked_cells=sorted(cells)
        )
        audit_record(
            action="club.session_add",
            target=session,
            object_repr=f"{klass.title} {starts_at.astimezone(tz):%Y-%m-%d %H:%M}",
            changes={"class": klass.pk, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
        availability_push_on_commit(facility.pk, [(c, 0) for c, _left in left])
    return session


def _unblock(facility: Facility, session: ClassSession) -> None:
    left = cells_block(facility_id=facility.pk, capacity=facility.capacity, cells=list(session.blocked_cells), delta=-1)
    session.blocked_cells = []
    availability_push_on_commit(facility.pk, left)


def session_cancel(
    *, session: ClassSession, by: User | None, reason: str, now: dt.datetime | None = None
) -> ClassSession:
    """Cancel a session that has not begun: its cells take bookings again; the enrolled are told. The fee is
    then spread over the sessions left (no refund: add a session to make up for it)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the session is cancelled.")]})
    with transaction.atomic():
        locked = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("training_class__facility")
            .get(pk=session.pk)
        )
        if locked.status != ClassSession.Status.SCHEDULED:
            raise ApplicationError(_("This session is cancelled."), code="invalid_state", status=409)
        if locked.starts_at <= now:
            raise ApplicationError(_("A session that has begun cannot be cancelled."), code="started", status=409)
        klass = locked.training_class
        _unblock(klass.facility, locked)
        locked.status, locked.cancelled_at, locked.cancel_reason = ClassSession.Status.CANCELLED, now, reason[:300]
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "blocked_cells"])
        audit_record(action="club.session_cancel", target=locked, changes={"class": klass.pk, "reason": reason})
        tz = facility_rules(klass.facility).tz
        title = _("Session cancelled: %(title)s %(when)s") % {
            "title": klass.title,
            "when": f"{locked.starts_at.astimezone(tz):%m-%d %H:%M}",
        }
        for user in User.objects.filter(
            pk__in=Enrolment.objects.filter(training_class=klass, status=EnrolmentStatus.ENROLLED).values("user_id")
        ):
            notification_send(
                recipient=user,
                kind="club.class_session_cancelled",
                title=title,
                body=reason,
                payload={"class": klass.pk, "session": locked.pk},
            )
    return locked


# --- attendance -----------------------------------------------------------------------------------------


def attendance_mark(
    *, session: ClassSession, marks: dict[int, str], by: User | None, now: dt.datetime | None = None
) -> list[Attendance]:
    """Staff mark who came: {enrolment id: present | absent | excused}, for enrolments of the session's class
    that were live when it began. Marking again replaces the mark."""
    now = now or timezone.now()
    if session.status == ClassSession.Status.CANCELLED:
        raise ApplicationError(_("This session is cancelled."), code="invalid_state", status=409)
    if session.starts_at > now + dt.timedelta(hours=1):
        raise ApplicationError.for_fields({"session": [_("Attendance is marked when the session is on.")]})
    bad = [k for k, v in marks.items() if v not in Attendance.Status.values]
    if bad:
        raise ApplicationError.for_fields({"marks": [_("Present, absent or excused.")]})
    valid = set(
        Enrolment.objects.filter(training_class_id=session.training_class_id, pk__in=list(marks))
        .filter(Q(status=EnrolmentStatus.ENROLLED) | Q(ended_at__gt=session.starts_at))
        .values_list("pk", flat=True)
    )
    if unknown := sorted(set(marks) - valid):
        raise ApplicationError.for_fields(
            {"marks": [_("Not enrolled in this class: %(ids)s") % {"ids": ", ".join(map(str, unknown))}]}
        )
    with transaction.atomic():
        rows = []
        for enrolment_id, status in sorted(marks.items()):
            row, _created = Attendance.objects.update_or_create(
                session=session,
                enrolment_id=enrolment_id,
                defaults={"status": status, "marked_by": by, "marked_at": now},
            )
            rows.append(row)
        audit_record(
            action="club.attendance_mark",
            target=session,
            changes={"marks": {str(k): v for k, v in sorted(marks.items())}},
        )
    return rows


__all__ = [
    "attendance_mark",
    "class_cancel",
    "class_close",
    "class_create",
    "class_publish",
    "class_update",
    "counted_sessions",
    "session_add",
    "session_cancel",
    "teacher_create",
    "teacher_update",
]
