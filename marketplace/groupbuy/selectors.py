"""Group-buy reads (company schema): deals with their progress, and what one resident sees of one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import User
from marketplace.orders.money import order_payable

from .models import HOLDING, Deal, DealJoin, DealState
from .services import UNPAID, deals_for_resident


def with_progress(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    """Each deal with `paid`: the participants who have paid (the figure the minimum is measured against)."""
    paid = Q(joins__state__in=HOLDING) & ~Q(joins__order__status__in=UNPAID)
    return qs.annotate(paid=Count("joins", filter=paid))


def seconds_left(deal: Deal, now: dt.datetime | None = None) -> int:
    if deal.state != DealState.OPEN:
        return 0
    return max(0, int((deal.deadline - (now or timezone.now())).total_seconds()))


def resident_deals(user: User, *, state: str = DealState.OPEN) -> QuerySet[Deal]:
    """The deals the resident's estates may see (open ones by default), soonest deadline first; settled ones
    only when they took part."""
    qs = with_progress(deals_for_resident(user))
    if state == DealState.OPEN:
        return qs.filter(state=DealState.OPEN)
    mine = DealJoin.objects.filter(user=user).values("deal_id")
    return qs.filter(pk__in=mine).order_by("-deadline", "-id") if state == "mine" else qs.filter(state=state)


def resident_deal(user: User, pk: int) -> Deal | None:
    return with_progress(deals_for_resident(user)).filter(pk=pk).first()


def my_join(deal: Deal, user: User) -> dict[str, Any] | None:
    """The resident's place in the deal (the current one, else the last), with its order and what to pay."""
    joins = DealJoin.objects.filter(deal=deal, user=user).select_related("order")
    join = joins.filter(state__in=HOLDING).first() or joins.order_by("-created_at", "-id").first()
    if join is None:
        return None
    return {
        "state": join.state,
        "state_label": join.get_state_display(),
        "order": join.order_id,
        "order_code": join.order.code,
        "order_status": join.order.status,
        "payable": order_payable(join.order),
    }
