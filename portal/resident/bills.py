"""My bills (unpaid first, per home) and a home's statement. A resident sees only the units they live in
now (their current occupancies); any other unit is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backend.accounts import permissions as perms
from backend.billing.selectors import unit_account, unit_bills_split
from backend.properties.models import Unit
from backend.properties.selectors import resident_units
from portal.access import permission_required
from portal.common.statements import bill_rows, owed_of, statement_context
from tenants.http import CompanyRequest

PAID_SHOWN = 24


def _home(unit: Unit) -> dict[str, Any]:
    # Only the lines the page shows: every unpaid one, the newest PAID_SHOWN paid ones.
    unpaid, paid, paid_count = unit_bills_split(unit.pk, paid_limit=PAID_SHOWN)
    today = timezone.localdate()
    unpaid = bill_rows(unpaid, today=today, notice_unit=unit)
    paid = bill_rows(paid, today=today, notice_unit=unit)
    overdue = [b for b in unpaid if b.state == "overdue"]  # type: ignore[attr-defined]
    return {
        "unit": unit,
        "account": unit_account(unit.pk),
        "unpaid": unpaid,
        "paid": paid,
        "paid_more": max(0, paid_count - PAID_SHOWN),
        "due_total": sum(owed_of(b) for b in unpaid),
        "overdue_total": sum(owed_of(b) for b in overdue),
        "overdue_count": len(overdue),
    }


@permission_required(perms.RESIDENT_AREA)
def bills(request: CompanyRequest) -> HttpResponse:
    homes = [_home(unit) for unit in resident_units(user_id=request.user.pk)]
    return render(request, "portal/resident/bills.html", {"homes": homes})


@permission_required(perms.RESIDENT_AREA)
def statement(request: CompanyRequest, pk: int) -> HttpResponse:
    # Only a home the resident lives in now, whatever other roles they hold.
    unit = resident_units(user_id=request.user.pk).filter(pk=pk).first()
    if unit is None:
        raise Http404
    context = statement_context(request, unit, notice_links=True)
    status = 400 if context["filters"].is_bound and context["filters"].errors else 200
    return render(request, "portal/resident/statement.html", context, status=status)
