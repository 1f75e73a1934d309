"""Reading tickets: what a caller may see (staff: their data scope, by the ticket's office or estate;
residents: the tickets of the homes they live in and those they reported) and the work queues."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from backend.accounts.models import User
from backend.properties.scope import Scope

from .models import OPEN_STATUSES, RepairCategory, Status, Ticket

QUEUES = ("mine", "team", "pool")


def tickets_visible(*, scope: Scope) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(
            Q(reporter_id=scope.resident_user_id)
            | Q(
                unit__occupancies__person__user_id=scope.resident_user_id,
                unit__occupancies__end_date__isnull=True,
            )
        ).distinct()
    return qs.filter(Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids))


def ticket_get(*, scope: Scope, ticket_id: int) -> Ticket | None:
    return tickets_visible(scope=scope).select_related("category", "unit", "estate").filter(pk=ticket_id).first()


def _queue_order(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.order_by(F("breached").desc(), F("resolution_due").asc(nulls_last=True), "pk")


def queue_mine(*, user: User) -> QuerySet[Ticket]:
    """An engineer's open tickets: breaches first, then the soonest due."""
    return _queue_order(Ticket.objects.filter(assignee_id=user.pk, status__in=OPEN_STATUSES))


def queue_team(*, scope: Scope) -> QuerySet[Ticket]:
    """Every open ticket of the caller's offices and estates (a supervisor's queue)."""
    return _queue_order(tickets_visible(scope=scope).filter(status__in=OPEN_STATUSES))


def queue_pool(*, scope: Scope) -> QuerySet[Ticket]:
    """Waiting for dispatch: what engineers may grab."""
    return _queue_order(tickets_visible(scope=scope).filter(status=Status.NEW))


def revisits_due(*, scope: Scope) -> QuerySet[Ticket]:
    """Finished repairs waiting for customer service's revisit, the soonest due first."""
    return (
        tickets_visible(scope=scope)
        .filter(status__in=(Status.COMPLETED, Status.CONFIRMED))
        .order_by(F("revisit_due").asc(nulls_last=True), "pk")
    )


def categories_active() -> QuerySet[RepairCategory]:
    return RepairCategory.objects.filter(active=True)
