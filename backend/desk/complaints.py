"""Complaints (投诉): every step. Each takes the complaint's row lock, checks the step is valid from the status
it finds, writes a timeline event with its audit entry, and notifies whoever the step concerns (the
complainant hears every step of theirs; staff hear what is theirs to do).

Flow (客户服务手册, 投诉处理及回访制度): registered (a resident on the phone page, or customer service for a
call, a walk-in or a letter) → taken by a handler → escalated to the level its severity needs (major: the
director the same day; important: the supervisor within an hour), by hand or by the sweep on a breach → (major)
a clear answer within 2 days → resolved with the outcome, the complainant told at once → revisit (回访):
satisfied closes it, not satisfied reopens it. Waiting on the complainant pauses the answer and resolution
clocks. The sweep (complaint_sweep) warns near a limit, alerts past it and escalates one level on a breach."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Membership, User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from tenants.db import connection

from .complaint_clock import REVISIT_DAYS, clocks, dues_refresh, next_alert_at, pauses_of
from .complaint_intake import (  # noqa: F401  (re-exported: the complaints' services in one place)
    HANDLER_ROLES,
    _covers,
    _event,
    _locked,
    _save_clocks,
    _staff_notify,
    _tell,
    complaint_file,
    complaint_intake,
    level_people,
    recipients,
    staff_of,
)
from .complaint_models import (
    OPEN_COMPLAINT,
    Cause,
    Complaint,
    ComplaintPause,
    ComplaintStatus,
    Department,
    Level,
    Severity,
    ToldVia,
)
from .sla import Calendar
from .surveys import rating_record

# --- handling --------------------------------------------------------------------------------------------------


def _handler_check(user: User, complaint: Complaint, *, field: str) -> None:
    membership = Membership.objects.filter(user=user, tenant=connection.tenant, is_active=True).first()
    if membership is None or not set(membership.roles) & set(HANDLER_ROLES) or not _covers(membership, complaint):
        raise ApplicationError.for_fields({field: [_("Not customer service of this estate.")]})


def complaint_classify(
    *,
    complaint: Complaint,
    by: User,
    severity: str,
    cause: str,
    department: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """Set (or correct) the severity, what it is about and the department concerned. A new severity sets new
    limits, counted from the filing: a complaint found important two hours after it came in is already late
    for its supervisor."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    if cause not in Cause.values:
        errors["cause"] = [_("Choose what it is about.")]
    if department and department not in Department.values:
        errors["department"] = [_("Choose a department.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        before = locked.severity
        locked.severity, locked.cause, locked.department = severity, cause, department or ""
        if before != severity:
            if severity != Severity.MINOR:
                locked.resident_deadline = None
            locked.alerted = [a for a in locked.alerted if not a.startswith(("escalate.", "answer.", "resolve."))]
            if locked.level >= locked.required_level and locked.escalated_at is None:
                locked.escalated_at = now
            dues_refresh(locked, retarget=True)
        _save_clocks(locked, "severity", "cause", "department", "resident_deadline", "alerted", "escalated_at")
        _event(locked, "classified", by=by, now=now, severity=severity, before=before, cause=cause)
    return locked


def complaint_assign(*, complaint: Complaint, handler: User, by: User, now: dt.datetime | None = None) -> Complaint:
    """A handler takes the complaint (themselves, or given it by a colleague)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        _handler_check(handler, locked, field="handler")
        before = locked.handler_id
        locked.handler, locked.status = handler, ComplaintStatus.IN_PROGRESS
        locked.save(update_fields=["handler", "status"])
        _event(locked, "assigned", by=by, now=now, handler=handler.pk, before=before)
        if handler.pk != by.pk:
            _staff_notify(
                locked,
                [handler.pk],
                "desk.complaint_assigned",
                _("Complaint %(code)s is yours") % {"code": locked.code},
            )
        if before is None:
            _tell(locked, _("taken by customer service"))
    return locked


def _escalate(locked: Complaint, *, to: int, by: User | None, now: dt.datetime, note: str, kind: str) -> None:
    before = locked.level
    locked.level = to
    fields = ["level"]
    if locked.escalated_at is None and to >= locked.required_level:
        locked.escalated_at = now
        fields.append("escalated_at")
    locked.alert_at = next_alert_at(locked, Calendar(), pauses_of(locked))
    locked.save(update_fields=[*fields, "alert_at"])
    _event(locked, kind, by=by, now=now, note=note, level=to, before=before)
    _staff_notify(
        locked,
        [u for u in level_people(locked, to) if by is None or u != by.pk],
        "desk.complaint_escalated",
        _("Complaint %(code)s escalated to you (%(level)s)") % {"code": locked.code, "level": Level(to).label},
        level=to,
    )


def complaint_escalate(
    *, complaint: Complaint, by: User, to: int, note: str, now: dt.datetime | None = None
) -> Complaint:
    """Forward the complaint up (转呈): to the supervisor, or to the director (the handbook's route for major
    complaints and for what a department cannot settle). Only upwards; a note says why."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise ApplicationError.for_fields({"note": [_("Say why it goes up.")]})
    if to not in (Level.SUPERVISOR, Level.DIRECTOR):
        raise ApplicationError.for_fields({"to": [_("To the supervisor or the director.")]})
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        if to <= locked.level:
            raise ApplicationError.for_fields({"to": [_("It is already there.")]})
        _escalate(locked, to=to, by=by, now=now, note=note.strip(), kind="escalated")
    return locked


def complaint_wait(*, complaint: Complaint, by: User, reason: str, now: dt.datetime | None = None) -> Complaint:
    """Waiting on the complainant (away, a time they choose, papers they bring): the answer and resolution
    clocks pause; the escalation clock does not."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Say what the complaint waits for.")]})
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        if locked.waiting_since is not None:
            raise ApplicationError(_("This complaint is already waiting."), code="already_waiting", status=409)
        ComplaintPause.objects.create(complaint=locked, started_at=now, reason=reason.strip()[:200])
        locked.waiting_since = now
        dues_refresh(locked)
        _save_clocks(locked, "waiting_since")
        _event(locked, "waiting", by=by, now=now, note=reason)
        _tell(locked, _("waiting for you: %(reason)s") % {"reason": reason.strip()[:60]})
    return locked


def complaint_resume(*, complaint: Complaint, by: User, now: dt.datetime | None = None) -> Complaint:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        if locked.waiting_since is None:
            raise ApplicationError(_("This complaint is not waiting."), code="not_waiting", status=409)
        ComplaintPause.objects.filter(complaint=locked, ended_at__isnull=True).update(ended_at=now)
        locked.waiting_since = None
        dues_refresh(locked)
        _save_clocks(locked, "waiting_since")
        _event(locked, "resumed", by=by, now=now)
    return locked


def complaint_answer(*, complaint: Complaint, by: User, answer: str, now: dt.datetime | None = None) -> Complaint:
    """明确答复: what the company will do and by when (major complaints: within 2 days). The complainant hears it."""
    now = now or timezone.now()
    if not (answer or "").strip():
        raise ApplicationError.for_fields({"answer": [_("Write the answer given.")]})
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        locked.answer, locked.answered_at = answer.strip()[:1000], now
        locked.alert_at = next_alert_at(locked, Calendar(), pauses_of(locked))
        locked.save(update_fields=["answer", "answered_at", "alert_at"])
        _event(
            locked,
            "answered",
            by=by,
            now=now,
            note=answer,
            on_time=bool(locked.answer_due is None or now <= locked.answer_due),
        )
        _tell(locked, _("answered: %(answer)s") % {"answer": answer.strip()[:80]})
    return locked


def complaint_resolve(
    *,
    complaint: Complaint,
    by: User,
    outcome: str,
    told_via: str,
    root_cause: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """处理完毕: the outcome, the cause found, and how the complainant was told (the same day: now). One with an
    account also hears it on their phone. The revisit falls due 2 days later."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not (outcome or "").strip():
        errors["outcome"] = [_("Write the outcome.")]
    if told_via not in ToldVia.values:
        errors["told_via"] = [_("Say how the complainant was told.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        if told_via == ToldVia.APP and locked.complainant_id is None:
            raise ApplicationError.for_fields({"told_via": [_("This complainant has no account: call or visit.")]})
        if locked.waiting_since is not None:
            ComplaintPause.objects.filter(complaint=locked, ended_at__isnull=True).update(ended_at=now)
            locked.waiting_since = None
        locked.status = ComplaintStatus.RESOLVED
        locked.outcome, locked.root_cause = outcome.strip()[:1000], (root_cause or "").strip()[:300]
        locked.resolved_at = locked.told_at = now
        locked.told_via = told_via
        locked.handler_id = locked.handler_id or by.pk
        locked.revisit_due = now + dt.timedelta(days=REVISIT_DAYS)
        locked.alert_at = locked.revisit_due  # the sweep reminds of a revisit not done by then
        locked.save(
            update_fields=[
                "status",
                "outcome",
                "root_cause",
                "resolved_at",
                "told_at",
                "told_via",
                "handler",
                "revisit_due",
                "alert_at",
                "waiting_since",
            ]
        )
        _event(
            locked,
            "resolved",
            by=by,
            now=now,
            note=outcome,
            told_via=told_via,
            on_time=bool(locked.resolve_due is None or now <= locked.resolve_due),
        )
        _tell(locked, _("resolved: %(outcome)s") % {"outcome": outcome.strip()[:80]})
    return locked


def _reopen(locked: Complaint, *, by: User | None, now: dt.datetime, reason: str) -> None:
    """Back to its handler with a fresh resolution clock from now (the answer and escalation stand)."""
    locked.status, locked.reopened = ComplaintStatus.IN_PROGRESS, locked.reopened + 1
    locked.clock_from = now
    locked.resolved_at = locked.told_at = locked.revisit_due = None
    locked.told_via, locked.outcome, locked.rating = "", "", None
    locked.alerted = [a for a in locked.alerted if not a.startswith(("resolve.", "revisit."))]
    ComplaintPause.objects.filter(complaint=locked).delete()
    kept = (locked.escalate_target, locked.escalate_due, locked.answer_target, locked.answer_due)
    dues_refresh(locked, retarget=True)
    # An escalation or an answer already given stands: only the clocks not yet reached run again.
    if locked.escalated_at is not None:
        locked.escalate_target, locked.escalate_due = kept[0], kept[1]
    if locked.answered_at is not None:
        locked.answer_target, locked.answer_due = kept[2], kept[3]
    locked.alert_at = next_alert_at(locked, Calendar(), [])
    locked.save()
    _event(locked, "reopened", by=by, now=now, note=reason)
    if locked.handler_id:
        _staff_notify(
            locked,
            [locked.handler_id],
            "desk.complaint_assigned",
            _("Complaint %(code)s reopened") % {"code": locked.code},
        )
    _tell(locked, _("reopened: we are on it again"))


def complaint_rate(
    *, complaint: Complaint, user: User, score: int, comment: str = "", now: dt.datetime | None = None
) -> Complaint:
    """The complainant rates how their resolved complaint was handled (1–5), once."""
    now = now or timezone.now()
    if score not in (1, 2, 3, 4, 5):
        raise ApplicationError.for_fields({"score": [_("Rate from 1 to 5.")]})
    with transaction.atomic():
        locked = _locked(complaint, (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED))
        if locked.complainant_id != user.pk:
            raise ApplicationError(_("Only who complained rates it."), code="not_complainant", status=403)
        if locked.rating is not None:
            raise ApplicationError(_("Already rated."), code="already_rated", status=409)
        locked.rating = score
        locked.save(update_fields=["rating"])
        rating_record(complaint=locked, score=score, comment=comment, via="resident", by=user, now=now)
        _event(locked, "rated", by=user, now=now, score=score)
    return locked


def complaint_revisit(
    *,
    complaint: Complaint,
    by: User,
    satisfied: bool,
    note: str,
    score: int | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """回访: customer service asks the complainant how it went. Satisfied closes it (with the score they give on
    the call, when they did not rate it themselves); not satisfied reopens it."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise ApplicationError.for_fields({"note": [_("Write down what the complainant said.")]})
    if score is not None and score not in (1, 2, 3, 4, 5):
        raise ApplicationError.for_fields({"score": [_("Rate from 1 to 5.")]})
    with transaction.atomic():
        locked = _locked(complaint, (ComplaintStatus.RESOLVED,))
        if not satisfied:
            _reopen(locked, by=by, now=now, reason=note.strip())
            return locked
        locked.status, locked.closed_at, locked.alert_at = ComplaintStatus.CLOSED, now, None
        fields = ["status", "closed_at", "alert_at"]
        if score is not None and locked.rating is None:
            locked.rating = score
            fields.append("rating")
            rating_record(complaint=locked, score=score, comment=note, via="revisit", by=by, now=now)
        locked.save(update_fields=fields)
        _event(
            locked,
            "revisited",
            by=by,
            now=now,
            note=note,
            on_time=bool(locked.revisit_due and now <= locked.revisit_due),
        )
        _tell(locked, _("closed after the revisit"))
    return locked


def complaint_withdraw(
    *, complaint: Complaint, by: User, reason: str, resident: bool, now: dt.datetime | None = None
) -> Complaint:
    """The complainant (or staff, at their word) withdraws a complaint not yet resolved."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Say why.")]})
    with transaction.atomic():
        locked = _locked(complaint, OPEN_COMPLAINT)
        if resident and locked.complainant_id != by.pk:
            raise ApplicationError(_("Only who complained withdraws it."), code="not_complainant", status=403)
        locked.status, locked.closed_at, locked.alert_at = ComplaintStatus.WITHDRAWN, now, None
        locked.save(update_fields=["status", "closed_at", "alert_at"])
        _event(locked, "withdrawn", by=by, now=now, note=reason)
        if not resident:
            _tell(locked, _("withdrawn"))
    return locked


# --- the sweep -------------------------------------------------------------------------------------------------


def complaint_sweep(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Once per clock: a near-breach warning at the settings' share of its limit and a breach alert past it, to
    the complaint's recipients, in the inbox and over the websocket. A breach escalates: the escalation clock
    to the level the severity needs, the answer or resolution clock one level up. Returns the alerts sent."""
    now = now or timezone.now()
    calendar = Calendar()
    sent = 0
    candidates = (
        Complaint.objects.filter(status__in=OPEN_COMPLAINT, alert_at__lte=now)
        .order_by("alert_at")
        .values_list("pk", flat=True)[:limit]
    )

    for pk in candidates:
        with transaction.atomic():
            locked = Complaint.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None or locked.status not in OPEN_COMPLAINT:
                continue
            pauses = pauses_of(locked)
            alerts = []
            for name, target, pausing in clocks(locked):
                elapsed = calendar.elapsed(locked.clock_start, now, pauses if pausing else [])
                if elapsed >= target and f"{name}.breach" not in locked.alerted:
                    alerts.append((f"{name}.breach", elapsed))
                elif (
                    elapsed * 100 >= target * calendar.near_percent
                    and f"{name}.near" not in locked.alerted
                    and f"{name}.breach" not in locked.alerted
                ):
                    alerts.append((f"{name}.near", elapsed))
            if not alerts:
                locked.alert_at = next_alert_at(locked, calendar, pauses)
                if locked.alert_at is not None and locked.alert_at <= now:
                    locked.alert_at = now + dt.timedelta(minutes=1)
                locked.save(update_fields=["alert_at"])
                continue
            locked.alerted = [*locked.alerted, *(a for a, _e in alerts)]
            breach = any(a.endswith(".breach") for a, _e in alerts)
            locked.breached = locked.breached or breach
            locked.save(update_fields=["alerted", "breached"])
            if breach:
                needed = locked.required_level
                to = (
                    needed if any(a == "escalate.breach" for a, _e in alerts) else min(locked.level + 1, Level.DIRECTOR)
                )
                if to > locked.level:
                    _escalate(
                        locked, to=to, by=None, now=now, note=_("past its time limit"), kind="escalated_on_breach"
                    )
            locked.alert_at = next_alert_at(locked, calendar, pauses)
            locked.save(update_fields=["alert_at"])
            users = recipients(locked)
            clock_names = {"escalate": _("escalation"), "answer": _("answer"), "resolve": _("resolution")}
            for alert, elapsed in alerts:
                name, level = alert.split(".")
                title = (
                    _("Complaint %(code)s is past its %(clock)s time limit")
                    if level == "breach"
                    else _("Complaint %(code)s is close to its %(clock)s time limit")
                ) % {"code": locked.code, "clock": clock_names[name]}
                _staff_notify(
                    locked,
                    users,
                    "desk.complaint_breach" if level == "breach" else "desk.complaint_near",
                    title,
                    clock=name,
                    level=level,
                    elapsed=elapsed,
                )
                audit_record(
                    action=f"desk.complaint_{level}", target=locked, changes={"clock": name, "elapsed": elapsed}
                )
                sent += 1
    return sent + revisits_remind(now=now, limit=limit)


def revisits_remind(*, now: dt.datetime, limit: int = 1000) -> int:
    """A resolved complaint whose revisit (回访) is due and not done: its handler and customer service are
    reminded, once."""
    sent = 0
    due = Complaint.objects.filter(status=ComplaintStatus.RESOLVED, alert_at__lte=now).values_list("pk", flat=True)
    for pk in due[:limit]:
        with transaction.atomic():
            locked = Complaint.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None or locked.status != ComplaintStatus.RESOLVED or "revisit.due" in locked.alerted:
                continue
            locked.alerted, locked.alert_at = [*locked.alerted, "revisit.due"], None
            locked.save(update_fields=["alerted", "alert_at"])
            users = sorted({*level_people(locked, Level.DESK), *([locked.handler_id] if locked.handler_id else [])})
            _staff_notify(
                locked,
                users,
                "desk.complaint_revisit_due",
                _("Complaint %(code)s is waiting for its revisit") % {"code": locked.code},
            )
            audit_record(action="desk.complaint_revisit_due", target=locked, changes={"due": str(locked.revisit_due)})
            sent += 1
    return sent
