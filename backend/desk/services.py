"""Repairs (报修): every step of a ticket. Each takes the ticket's row lock, checks the step is valid from the
status it finds, writes a timeline event and an audit entry, and notifies whoever the step concerns.

Flow: new → assigned (dispatched by staff, or grabbed from the pool by an engineer under the load cap) →
accepted (the response clock stops) → on the way → in progress → completed (after photos, materials; a paid
repair posts its charge on the unit's ledger; the resolution clock stops) → confirmed (the resident rates) →
closed (customer service revisits, 回访). Not fixed: the resident (completed/confirmed) or the revisit
reopens it to the pool. Waiting on the resident pauses both clocks until it resumes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.billing.ledger import adhoc_charge_post
from backend.billing.models import FeeItem
from backend.billing.models.fees import ChargeMethod, Cycle, FeeCategory
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.properties.models import Unit
from backend.uploads.validation import AcceptedUpload
from tenants.db import company_time_zone, connection

from .intake import (  # noqa: F401  (re-exported: the desk's services in one place)
    FEE_CODE,
    _event,
    _notify_resident,
    _photos_add,
    category_save,
    targets_for,
    ticket_intake,
    ticket_report,
)
from .models import (
    LOAD_STATUSES,
    DeskSettings,
    PhotoStage,
    RevisitRule,
    Status,
    Ticket,
    TicketPause,
)
from .sla import dues_refresh, revisit_due
from .survey_models import RatingVia
from .surveys import rating_record

SUPERVISOR_ROLES = [Role.CUSTOMER_SERVICE, Role.COMPANY_ADMIN]


# --- dispatch --------------------------------------------------------------------------------------------------


def _locked(ticket: Ticket | int, statuses: Iterable[str]) -> Ticket:
    pk = ticket if isinstance(ticket, int) else ticket.pk
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("category").get(pk=pk)
    if locked.status not in tuple(statuses):
        raise ApplicationError(
            _("This repair is %(status)s.") % {"status": locked.get_status_display().lower()},
            code="invalid_state",
            status=409,
        )
    return locked


def _member(user: User) -> Membership | None:
    return Membership.objects.filter(user=user, tenant=connection.tenant, is_active=True).first()


def _covers(membership: Membership, ticket: Ticket) -> bool:
    return (
        membership.scope_all
        or ticket.office_id in membership.scope_office_ids
        or ticket.estate_id in membership.scope_estate_ids
    )


def _engineer_check(engineer: User, ticket: Ticket, *, field: str) -> None:
    membership = _member(engineer)
    if membership is None or Role.ENGINEER not in membership.roles or not _covers(membership, ticket):
        raise ApplicationError.for_fields({field: [_("Not an engineer of this estate.")]})
    # One engineer's load is counted under a lock of theirs (after the ticket's row lock, always in that
    # order), so two repairs grabbed or dispatched at once cannot both slip under the cap.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':desk-engineer'), %s)", [engineer.pk]
        )
    cap = DeskSettings.load().engineer_open_cap
    load = Ticket.objects.filter(assignee=engineer, status__in=LOAD_STATUSES).exclude(pk=ticket.pk).count()
    if load >= cap:
        raise ApplicationError.for_fields(
            {field: [_("Already holds %(n)s open repairs (the most allowed).") % {"n": load}]}
        )


def supervisors_of(ticket: Ticket) -> list[int]:
    """Customer service and admins whose scope covers the ticket's office or estate."""
    members = Membership.objects.filter(tenant=connection.tenant, is_active=True, roles__overlap=SUPERVISOR_ROLES).only(
        "user_id", "scope_all", "scope_office_ids", "scope_estate_ids"
    )
    return [m.user_id for m in members if _covers(m, ticket)]


def ticket_assign(*, ticket: Ticket, engineer: User, by: User, now: dt.datetime | None = None) -> Ticket:
    """派工: customer service sends a waiting (or re-sends a not yet accepted) repair to an engineer."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket, (Status.NEW, Status.ASSIGNED))
        _engineer_check(engineer, locked, field="engineer")
        before = locked.assignee_id
        locked.status, locked.assignee, locked.assigned_at = Status.ASSIGNED, engineer, now
        locked.save(update_fields=["status", "assignee", "assigned_at"])
        _event(locked, "assigned", by=by, now=now, engineer=engineer.pk, before=before)
        notification_send(
            recipient=engineer,
            kind="desk.assigned",
            title=_("Repair %(code)s dispatched to you") % {"code": locked.code},
            url=f"/staff/desk/tickets/{locked.pk}/",
            payload={"ticket": locked.pk},
        )
    return locked


def ticket_grab(*, ticket: Ticket, engineer: User, now: dt.datetime | None = None) -> Ticket:
    """抢单: an engineer takes a waiting repair from the pool (under the load cap); it counts as accepted."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket, (Status.NEW,))
        _engineer_check(engineer, locked, field="ticket")
        locked.status, locked.assignee, locked.assigned_at = Status.ACCEPTED, engineer, now
        locked.accepted_at = now
        locked.save(update_fields=["status", "assignee", "assigned_at", "accepted_at"])
        _event(locked, "grabbed", by=engineer, now=now)
        _notify_resident(locked, _("accepted by an engineer"))
    return locked


def _engineer_step(
    ticket: Ticket, engineer: User, *, from_: tuple[str, ...], to: str, kind: str, now: dt.datetime, note: str = ""
) -> Ticket:
    locked = _locked(ticket, from_)
    if locked.assignee_id != engineer.pk:
        raise ApplicationError(_("This repair is someone else's."), code="not_assignee", status=403)
    locked.status = to
    fields = ["status"]
    if to == Status.ACCEPTED:
        locked.accepted_at = now
        fields.append("accepted_at")
    locked.save(update_fields=fields)
    _event(locked, kind, by=engineer, now=now, note=note)
    return locked


def ticket_accept(*, ticket: Ticket, engineer: User, now: dt.datetime | None = None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _engineer_step(
            ticket, engineer, from_=(Status.ASSIGNED,), to=Status.ACCEPTED, kind="accepted", now=now
        )
        _notify_resident(locked, _("accepted by an engineer"))
    return locked


def ticket_decline(*, ticket: Ticket, engineer: User, reason: str, now: dt.datetime | None = None) -> Ticket:
    """The engineer hands a dispatched repair back to the pool (with a reason)."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Say why.")]})
    with transaction.atomic():
        locked = _engineer_step(
            ticket, engineer, from_=(Status.ASSIGNED,), to=Status.NEW, kind="declined", now=now, note=reason
        )
        locked.assignee = None
        locked.save(update_fields=["assignee"])
    return locked


def ticket_on_the_way(*, ticket: Ticket, engineer: User, now: dt.datetime | None = None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _engineer_step(
            ticket, engineer, from_=(Status.ACCEPTED,), to=Status.ON_THE_WAY, kind="on_the_way", now=now
        )
        _notify_resident(locked, _("the engineer is on the way"))
    return locked


def ticket_start(
    *, ticket: Ticket, engineer: User, photos: list[AcceptedUpload] | None = None, now: dt.datetime | None = None
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _engineer_step(
            ticket, engineer, from_=(Status.ACCEPTED, Status.ON_THE_WAY), to=Status.IN_PROGRESS, kind="started", now=now
        )
        _photos_add(locked, photos or [], PhotoStage.BEFORE)
    return locked


# --- waiting on the resident (the clocks stop) -----------------------------------------------------------------

WAITABLE = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED, Status.ON_THE_WAY, Status.IN_PROGRESS)


def ticket_wait(*, ticket: Ticket, by: User, reason: str, now: dt.datetime | None = None) -> Ticket:
    """Waiting on the resident (not home, parts they buy, a time they choose): the SLA clocks pause."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Say what the repair waits for.")]})
    with transaction.atomic():
        locked = _locked(ticket, WAITABLE)
        if locked.waiting_since is not None:
            raise ApplicationError(_("This repair is already waiting."), code="already_waiting", status=409)
        TicketPause.objects.create(ticket=locked, started_at=now, reason=reason.strip()[:200])
        locked.waiting_since = now
        dues_refresh(locked)
        locked.save(update_fields=["waiting_since", "response_due", "resolution_due", "alert_at"])
        _event(locked, "waiting", by=by, now=now, note=reason)
        _notify_resident(locked, _("waiting for you: %(reason)s") % {"reason": reason.strip()[:60]})
    return locked


def ticket_resume(*, ticket: Ticket, by: User, now: dt.datetime | None = None) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket, WAITABLE)
        if locked.waiting_since is None:
            raise ApplicationError(_("This repair is not waiting."), code="not_waiting", status=409)
        TicketPause.objects.filter(ticket=locked, ended_at__isnull=True).update(ended_at=now)
        locked.waiting_since = None
        dues_refresh(locked)
        locked.save(update_fields=["waiting_since", "response_due", "resolution_due", "alert_at"])
        _event(locked, "resumed", by=by, now=now)
    return locked


# --- completion, money, closing --------------------------------------------------------------------------------


def _materials_clean(materials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in materials:
        name = str(row.get("name", "")).strip()
        try:
            quantity, price = int(row.get("quantity", 1)), int(row.get("price_fen", 0))
        except (TypeError, ValueError):
            quantity, price = -1, -1
        if not name or quantity <= 0 or price < 0:
            raise ApplicationError.for_fields({"materials": [_("Each material needs a name, a quantity and a price.")]})
        out.append({"name": name[:60], "quantity": quantity, "price_fen": price})
    return out


def repair_fee_item(office_id: int) -> FeeItem:
    """The office's item that paid repairs are charged as (code `repair`, a paid service), made on first use."""
    item, _created = FeeItem.objects.get_or_create(
        office_id=office_id,
        code=FEE_CODE,
        defaults={
            "name": _("Paid repair"),
            "category": FeeCategory.SERVICE,
            "method": ChargeMethod.FIXED,
            "cycle": Cycle.ONE_OFF,
        },
    )
    return item


def ticket_finish(
    *,
    ticket: Ticket,
    engineer: User,
    photos: list[AcceptedUpload] | None = None,
    materials: list[dict[str, Any]] | None = None,
    labour_fen: int = 0,
    note: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """完工: after photos, materials used; the resolution clock stops; a paid repair's charge (labour plus
    materials) goes on the unit's ledger as a one-off line, payable on the pay page."""
    now = now or timezone.now()
    cleaned = _materials_clean(materials or [])
    if not isinstance(labour_fen, int) or labour_fen < 0:
        raise ApplicationError.for_fields({"labour_fen": [_("Enter an amount of zero or more.")]})
    if not photos:
        raise ApplicationError.for_fields({"photos": [_("Add at least one photo of the finished repair.")]})
    with transaction.atomic():
        locked = _locked(ticket, (Status.IN_PROGRESS,))
        if locked.assignee_id != engineer.pk:
            raise ApplicationError(_("This repair is someone else's."), code="not_assignee", status=403)
        if locked.waiting_since is not None:
            raise ApplicationError(_("Resume the repair first."), code="waiting", status=409)
        locked.materials, locked.labour_fen = cleaned, labour_fen
        if locked.paid and locked.charge_fen > 0 and locked.unit_id is not None and locked.charge_id is None:
            unit = Unit.objects.get(pk=locked.unit_id)
            today = now.astimezone(company_time_zone()).date()
            locked.charge = adhoc_charge_post(
                unit=unit,
                fee_item=repair_fee_item(unit.office_id),
                amount=locked.charge_fen,
                description=f"{_('Repair')} {locked.code} {locked.category.name}",
                due_date=today,
                by=engineer,
                today=today,
            )
        locked.status, locked.finished_at = Status.COMPLETED, now
        locked.revisit_due = revisit_due(locked)
        locked.save(update_fields=["materials", "labour_fen", "charge", "status", "finished_at", "revisit_due"])
        _photos_add(locked, photos, PhotoStage.AFTER)
        _event(locked, "finished", by=engineer, now=now, note=note, charge_fen=locked.charge_fen if locked.paid else 0)
        _notify_resident(locked, _("finished: please confirm"))
    return locked


def leak_test_record(*, ticket: Ticket, by: User, now: dt.datetime | None = None) -> Ticket:
    """A leak repair's water test (试漏): its revisit falls due 3 days later."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket, (Status.COMPLETED, Status.CONFIRMED))
        if locked.category.revisit_rule != RevisitRule.LEAK:
            raise ApplicationError(_("Only a leak repair has a leak test."), code="not_leak", status=409)
        locked.leak_tested_at = now
        locked.revisit_due = revisit_due(locked)
        locked.save(update_fields=["leak_tested_at", "revisit_due"])
        _event(locked, "leak_tested", by=by, now=now)
    return locked


def _reopen(locked: Ticket, *, by: User, now: dt.datetime, reason: str, kind: str) -> None:
    """Back to the pool with fresh clocks from now; the charge (if any) stays: a re-fix is not charged twice."""
    locked.status, locked.assignee, locked.reopened = Status.NEW, None, locked.reopened + 1
    locked.clock_from = now  # the clocks count again from the reopening
    locked.accepted_at = locked.finished_at = locked.confirmed_at = locked.revisit_due = None
    locked.assigned_at, locked.rating, locked.rating_comment, locked.alerted, locked.breached = (
        None,
        None,
        "",
        [],
        False,
    )
    TicketPause.objects.filter(ticket=locked).delete()
    dues_refresh(locked)
    locked.save()
    _event(locked, kind, by=by, now=now, note=reason)


def ticket_confirm(
    *,
    ticket: Ticket,
    user: User,
    fixed: bool,
    rating: int | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """The resident who reported it confirms (and rates 1–5), or says it is not fixed (reopened)."""
    now = now or timezone.now()
    if fixed and rating not in (1, 2, 3, 4, 5):
        raise ApplicationError.for_fields({"rating": [_("Rate the repair from 1 to 5.")]})
    if not fixed and not (comment or "").strip():
        raise ApplicationError.for_fields({"comment": [_("Say what is still wrong.")]})
    with transaction.atomic():
        locked = _locked(ticket, (Status.COMPLETED,))
        if locked.reporter_id != user.pk:
            raise ApplicationError(_("Only who reported the repair confirms it."), code="not_reporter", status=403)
        if not fixed:
            _reopen(locked, by=user, now=now, reason=comment, kind="reopened")
            return locked
        locked.status, locked.confirmed_at = Status.CONFIRMED, now
        locked.rating, locked.rating_comment = rating, (comment or "").strip()[:300]
        locked.save(update_fields=["status", "confirmed_at", "rating", "rating_comment"])
        if rating is not None:  # always, when fixed (checked above)
            rating_record(ticket=locked, score=rating, comment=comment, via=RatingVia.RESIDENT, by=user, now=now)
        _event(locked, "confirmed", by=user, now=now, rating=rating)
    return locked


def ticket_revisit(
    *,
    ticket: Ticket,
    by: User,
    fixed: bool,
    note: str,
    rating: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """回访 by customer service (after the resident confirmed, or without them for a walk-in or a silent
    resident): fixed closes it, with the rating the resident gives on the call when they gave none on their
    phone (backend.desk.surveys: one table of ratings); not fixed reopens it."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise ApplicationError.for_fields({"note": [_("Write down what the resident said.")]})
    if rating is not None and rating not in (1, 2, 3, 4, 5):
        raise ApplicationError.for_fields({"rating": [_("Rate the repair from 1 to 5.")]})
    with transaction.atomic():
        locked = _locked(ticket, (Status.COMPLETED, Status.CONFIRMED))
        if not fixed:
            _reopen(locked, by=by, now=now, reason=note, kind="revisit_reopened")
            return locked
        locked.status, locked.closed_at = Status.CLOSED, now
        fields = ["status", "closed_at"]
        if rating is not None and locked.rating is None:
            locked.rating = rating
            fields.append("rating")
            rating_record(ticket=locked, score=rating, comment=note, via=RatingVia.REVISIT, by=by, now=now)
        locked.save(update_fields=fields)
        _event(
            locked,
            "revisited",
            by=by,
            now=now,
            note=note,
            on_time=bool(locked.revisit_due and now <= locked.revisit_due),
        )
        _notify_resident(locked, _("closed after the revisit"))
    return locked


def ticket_cancel(*, ticket: Ticket, by: User, reason: str, now: dt.datetime | None = None) -> Ticket:
    """The reporter (or staff) withdraws a repair nobody has started."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Say why.")]})
    with transaction.atomic():
        locked = _locked(ticket, (Status.NEW, Status.ASSIGNED, Status.ACCEPTED))
        locked.status, locked.closed_at = Status.CANCELLED, now
        locked.save(update_fields=["status", "closed_at"])
        _event(locked, "cancelled", by=by, now=now, note=reason)
    return locked
