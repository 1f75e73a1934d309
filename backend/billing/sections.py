"""The "bills" section of the unit 360° page (联查): the unit's account and what it still owes, with a link to
its statement. Registered with backend.properties.sections; imported by BillingConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts import permissions as perms
from backend.accounts.models import Membership
from backend.properties.models import Unit
from backend.properties.sections import unit_section

from .models import BillLine
from .selectors import lines_with_balances, unit_account

UNPAID_SHOWN = 8


@unit_section(
    key="bills",
    title=_("Bills and account (收费)"),
    template="portal/staff/billing/_unit_section.html",
    roles=perms.BILLING_READ.roles,
    order=15,
)
def _bills(unit: Unit, membership: Membership) -> dict[str, Any]:
    today = timezone.localdate()
    unpaid = list(
        lines_with_balances(BillLine.objects.filter(unit_id=unit.pk).select_related("fee_item"))
        .filter(Q(owed__gt=0))
        .order_by("period_start", "due_date", "id")
    )
    return {
        "account": unit_account(unit.pk),
        "unpaid": unpaid[:UNPAID_SHOWN],
        "unpaid_count": len(unpaid),
        "overdue_total": sum(_owed(line) for line in unpaid if line.due_date < today),
        "today": today,
    }


def _owed(line: Any) -> int:
    return int(line.owed)
