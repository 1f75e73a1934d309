"""催缴: the reminder ladder residents get, and the contact log staff keep while chasing arrears.

Reminder ladder (BillingSettings, checked hourly by tasks_dunning.reminders_send), per unit and per current
occupant with a portal account:

    before_due  a line falls due within `remind_days_before_due` days (once per such window)
    overdue     a line became overdue yesterday (first day overdue), if `remind_on_overdue`
    repeat      the unit has overdue lines and the last overdue reminder (or, if none, the first day overdue)
                was `remind_every_days` or more days ago

Limits: never outside [remind_hour_from, remind_hour_to) in the company's time zone, never twice a day for a
unit and person (ReminderLog's unique (unit, user, sent_on)), never more than `remind_max_per_week` in any
7 days, nothing when `reminders_enabled` is off. Only what is really owed counts (derived from the ledger).

Contacts (DunningContact): who was reached, how, what was said, the outcome and a promised date. The staff
member who logged a promise is reminded the day before it (promise_reminders_send, once per contact).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Membership, User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.services import notification_send, notifications_create
from backend.properties.models import Occupancy, Unit
from tenants.db import company_time_zone, connection

from .arrears import unit_arrears
from .models import BillingSettings, BillLine, DunningContact, ReminderLog
from .money import yuan
from .selectors import lines_with_balances

RESIDENT_BILLS_URL = "/resident/bills/"
STAFF_UNIT_URL = "/staff/billing/arrears/{pk}/"


def company_now(now: dt.datetime | None = None) -> dt.datetime:
    """`now` (default: this instant) in the company's time zone — tasks run outside any request."""
    return (now or timezone.now()).astimezone(company_time_zone())


def company_today() -> dt.date:
    return company_now().date()


# --- the reminder ladder -----------------------------------------------------------------------------------


Owed = tuple[dt.date, int, str]  # (due date, owed fen, line kind)


def _owed_by_unit(today: dt.date, horizon: dt.date) -> dict[int, list[Owed]]:
    """unit id → [(due_date, owed, kind)] of its owed lines due up to `horizon` (overdue ones included)."""
    qs = lines_with_balances(BillLine.objects.filter(due_date__lte=horizon)).filter(Q(owed__gt=0))
    out: dict[int, list[Owed]] = defaultdict(list)
    for unit_id, due, owed, kind in qs.values_list("unit_id", "due_date", "owed", "kind"):  # type: ignore[misc]
        out[unit_id].append((due, int(owed), kind))
    return out


def _stage_for(
    *,
    lines: list[Owed],
    today: dt.date,
    billing: BillingSettings,
    last_overdue: dt.date | None,
    last_before_due: dt.date | None,
) -> tuple[str, int] | None:
    """The reminder a unit's person is due today, and the amount it names; None for none."""
    overdue = [(d, o, k) for d, o, k in lines if d < today]
    if overdue:
        amount = sum(o for _d, o, _k in overdue)
        # A late fee starting yesterday is not a bill newly overdue: it counts in the amount, it does not ring.
        newly_overdue = any(d == today - dt.timedelta(days=1) and k != BillLine.Kind.LATE_FEE for d, _o, k in overdue)
        if billing.remind_on_overdue and newly_overdue and last_overdue != today:
            return ReminderLog.Stage.OVERDUE, amount
        if billing.remind_every_days:
            anchor = last_overdue or (min(d for d, _o, _k in overdue) + dt.timedelta(days=1))
            if (today - anchor).days >= billing.remind_every_days:
                return ReminderLog.Stage.REPEAT, amount
    if billing.remind_days_before_due:
        horizon = today + dt.timedelta(days=billing.remind_days_before_due)
        soon = [(d, o) for d, o, _k in lines if today <= d <= horizon]
        window_start = today - dt.timedelta(days=billing.remind_days_before_due)
        if soon and not (last_before_due and last_before_due >= window_start):
            return ReminderLog.Stage.BEFORE_DUE, sum(o for _d, o in soon)
    return None


def _title(stage: str, unit: Unit, amount: int) -> str:
    values = {"unit": unit.label, "amount": yuan(amount)}
    if stage == ReminderLog.Stage.BEFORE_DUE:
        return _("Bills of %(unit)s fall due soon: %(amount)s") % values
    return _("Unpaid bills of %(unit)s: %(amount)s overdue") % values


def reminders_send(now: dt.datetime | None = None) -> int:
    """Send the reminders the ladder calls for at `now` (default: this instant). Returns how many were sent.
    Safe to run any number of times: a unit and person get at most one reminder a day."""
    billing = BillingSettings.load()
    if not billing.reminders_enabled:
        return 0
    local = company_now(now)
    if not (billing.remind_hour_from <= local.hour < billing.remind_hour_to):
        return 0
    today = local.date()
    horizon = today + dt.timedelta(days=billing.remind_days_before_due)
    owed = _owed_by_unit(today, horizon)
    if not owed:
        return 0
    members = set(Membership.objects.filter(tenant=connection.tenant, is_active=True).values_list("user_id", flat=True))
    people: dict[int, set[int]] = defaultdict(set)
    for unit_id, user_id in Occupancy.objects.filter(
        unit_id__in=list(owed), end_date__isnull=True, person__user__isnull=False
    ).values_list("unit_id", "person__user_id"):
        if user_id in members:
            people[unit_id].add(user_id)
    if not people:
        return 0
    logs = ReminderLog.objects.filter(unit_id__in=list(people))
    week_start = today - dt.timedelta(days=6)
    this_week: dict[tuple[int, int], int] = defaultdict(int)
    sent_today: set[tuple[int, int]] = set()
    for unit_id, user_id, sent_on in logs.filter(sent_on__gte=week_start, sent_on__lte=today).values_list(
        "unit_id", "user_id", "sent_on"
    ):
        this_week[(unit_id, user_id)] += 1
        if sent_on == today:
            sent_today.add((unit_id, user_id))
    last_overdue = {
        (r["unit_id"], r["user_id"]): r["last"]
        for r in logs.filter(stage__in=[ReminderLog.Stage.OVERDUE, ReminderLog.Stage.REPEAT])
        .values("unit_id", "user_id")
        .annotate(last=Max("sent_on"))
        .order_by()
    }
    last_before = {
        (r["unit_id"], r["user_id"]): r["last"]
        for r in logs.filter(stage=ReminderLog.Stage.BEFORE_DUE)
        .values("unit_id", "user_id")
        .annotate(last=Max("sent_on"))
        .order_by()
    }
    units = Unit.objects.in_bulk(list(people))
    sent = 0
    for unit_id in sorted(people):
        by_stage: dict[tuple[str, int], list[int]] = defaultdict(list)
        for user_id in sorted(people[unit_id]):
            key = (unit_id, user_id)
            if key in sent_today or this_week[key] >= billing.remind_max_per_week:
                continue
            due = _stage_for(
                lines=owed[unit_id],
                today=today,
                billing=billing,
                last_overdue=last_overdue.get(key),
                last_before_due=last_before.get(key),
            )
            if due is not None:
                by_stage[due].append(user_id)
        for (stage, amount), user_ids in by_stage.items():
            sent += _send(unit=units[unit_id], stage=stage, amount=amount, user_ids=user_ids, today=today)
    return sent


def _send(*, unit: Unit, stage: str, amount: int, user_ids: list[int], today: dt.date) -> int:
    """Log and notify; a log row that already exists (a run racing this one) means that person is skipped."""
    reached = []
    with transaction.atomic():
        for user_id in user_ids:
            try:
                with transaction.atomic():
                    ReminderLog.objects.create(unit=unit, user_id=user_id, stage=stage, amount=amount, sent_on=today)
            except IntegrityError:
                continue
            reached.append(user_id)
        if reached:
            notifications_create(
                user_ids=reached,
                kind="bill.reminder",
                title=_title(stage, unit, amount),
                body=_("Pay in the portal or at the management office. Thank you."),
                url=RESIDENT_BILLS_URL,
                payload={"unit": unit.pk, "stage": stage, "amount": amount},
            )
    return len(reached)


# --- the contact log -----------------------------------------------------------------------------------


def dunning_contact_record(
    *,
    unit: Unit,
    staff: User,
    channel: str,
    contact_name: str = "",
    summary: str,
    category: str,
    promised_date: dt.date | None = None,
    contacted_at: dt.datetime | None = None,
) -> DunningContact:
    """Log one contact with a unit about its arrears (audited). A promise needs a future payment date.
    The amount overdue at the time is stored with it."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if channel not in DunningContact.Channel.values:
        errors["channel"] = [_("Choose how the unit was contacted.")]
    if category not in DunningContact.Category.values:
        errors["category"] = [_("Choose the outcome.")]
    if not (summary or "").strip():
        errors["summary"] = [_("Write down what was said.")]
    elif len(summary) > 500:
        errors["summary"] = [_("At most 500 characters.")]
    if len(contact_name or "") > 60:
        errors["contact_name"] = [_("At most 60 characters.")]
    if category == DunningContact.Category.PROMISED:
        if promised_date is None:
            errors["promised_date"] = [_("Enter the date they promised to pay by.")]
        elif promised_date <= today:
            errors["promised_date"] = [_("A promised date lies in the future.")]
    elif promised_date is not None:
        errors["promised_date"] = [_("Only a promise to pay has a promised date.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    row = unit_arrears(unit.pk, today=today)
    with transaction.atomic():
        contact = DunningContact.objects.create(
            unit=unit,
            staff=staff,
            channel=channel,
            contact_name=(contact_name or "").strip(),
            summary=summary.strip(),
            category=category,
            promised_date=promised_date,
            amount_owed=row.amount if row else 0,
            contacted_at=contacted_at or timezone.now(),
        )
        audit_record(
            action="billing.dunning_contact",
            target=contact,
            object_repr=f"{unit.label} · {contact.get_category_display()}",
            changes={
                "unit": unit.pk,
                "channel": channel,
                "category": category,
                "promised_date": promised_date.isoformat() if promised_date else None,
                "amount_owed": contact.amount_owed,
            },
        )
    return contact


def promise_reminders_send(today: dt.date | None = None) -> int:
    """Tell each staff member who logged a promise that it falls due tomorrow (once per contact). A promise
    recorded too late for the day-before run is still reminded on the promised day. A unit that no longer
    owes anything is not chased: its promise is marked as handled without a message."""
    today = today or company_today()
    sent = 0
    due = DunningContact.objects.filter(
        category=DunningContact.Category.PROMISED,
        promised_date__gte=today,
        promised_date__lte=today + dt.timedelta(days=1),
        promise_reminded_at__isnull=True,
    ).select_related("unit", "staff")
    for contact in due:
        with transaction.atomic():
            locked = DunningContact.objects.select_for_update().filter(pk=contact.pk, promise_reminded_at=None).first()
            if locked is None:
                continue
            owes = lines_with_balances(BillLine.objects.filter(unit_id=contact.unit_id)).filter(Q(owed__gt=0)).exists()
            if owes:
                notification_send(
                    recipient=contact.staff,
                    kind="dunning.promise_due",
                    title=_("%(unit)s promised to pay by %(date)s")
                    % {"unit": contact.unit.label, "date": contact.promised_date.isoformat()},  # type: ignore[union-attr]
                    body=contact.summary,
                    url=STAFF_UNIT_URL.format(pk=contact.unit_id),
                    payload={"unit": contact.unit_id, "contact": contact.pk},
                )
                sent += 1
            locked.promise_reminded_at = timezone.now()
            locked.save(update_fields=["promise_reminded_at"])
    return sent


def contacts_of(unit_id: int) -> list[DunningContact]:
    return list(DunningContact.objects.filter(unit_id=unit_id).select_related("staff").order_by("-contacted_at", "-id"))
