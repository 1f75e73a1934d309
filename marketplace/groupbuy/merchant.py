"""The merchant's side of group-buy (platform domain, public schema): a merchant offers deals in the companies
that approved it, each deal living in that company's schema, and lists its deals by reading each of those
companies in turn (a merchant serves a handful of companies; its deals carry no personal data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from backend.errors import ApplicationError
from marketplace.models import ApplicationStatus, MerchantApplication

from .models import Deal
from .selectors import with_progress
from .services import deal_create


@dataclass
class MerchantDealView:
    tenant: Any
    deal: Deal


def merchant_companies(*, merchant_id: int) -> list[Any]:
    """The companies that approved the merchant (where it may offer deals)."""
    rows = MerchantApplication.objects.filter(merchant_id=merchant_id, status=ApplicationStatus.APPROVED)
    return [a.tenant for a in rows.select_related("tenant").order_by("tenant__name", "tenant_id")]


def merchant_deals(*, merchant_id: int, state: str = "") -> list[MerchantDealView]:
    """The merchant's deals in every company that approved it, the latest deadline first."""
    views: list[MerchantDealView] = []
    for tenant in merchant_companies(merchant_id=merchant_id):
        with tenant_context(tenant):
            qs = with_progress(Deal.objects.filter(merchant_id=merchant_id))
            if state:
                qs = qs.filter(state=state)
            views.extend(MerchantDealView(tenant, d) for d in qs[:200])
    views.sort(key=lambda v: (v.deal.deadline, v.deal.pk), reverse=True)
    return views


def merchant_deal_create(
    *,
    merchant_id: int,
    company_id: int,
    listing_id: int,
    group_price_fen: int,
    min_participants: int,
    max_participants: int,
    deadline: dt.datetime,
) -> MerchantDealView:
    """Offer a deal in one of the companies that approved the merchant (in that company's schema)."""
    tenant = next((t for t in merchant_companies(merchant_id=merchant_id) if t.pk == company_id), None)
    if tenant is None:
        raise ApplicationError.for_fields({"company": [_("Choose a company that approved you.")]})
    with tenant_context(tenant):
        deal = deal_create(
            merchant_id=merchant_id,
            listing_id=listing_id,
            group_price_fen=group_price_fen,
            min_participants=min_participants,
            max_participants=max_participants,
            deadline=deadline,
        )
        (deal,) = with_progress(Deal.objects.filter(pk=deal.pk))
    return MerchantDealView(tenant, deal)
