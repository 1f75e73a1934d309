"""日结: a cashier's day, totalled by method and locked against edits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.models import LedgerEntry, Payment
from backend.billing.periods import local_day_bounds
from backend.errors import ApplicationError
from backend.properties.models import Unit
from tenants.db import connection

from .models import DayClose, Refund


def cashier_lock(cashier_id: int) -> None:
    """Serialise a cashier's payments with the closing of their day, so no payment slips in between the
    totals being taken and the day being locked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':cashier'), %s)", [cashier_id])


def day_is_closed(cashier_id: int | None, day: dt.date) -> bool:
    return cashier_id is not None and DayClose.objects.filter(cashier_id=cashier_id, business_date=day).exists()


def day_lock_check(payment: Payment) -> None:
    """Refuse to add to or change a closed day: a payment recorded by a cashier on a day they closed."""
    day = timezone.localdate(payment.received_at)
    if payment.recorded_by_id is not None:
        cashier_lock(payment.recorded_by_id)
    if day_is_closed(payment.recorded_by_id, day):
        raise ApplicationError(
            _("%(day)s is closed for this cashier (日结); it can no longer be changed.") % {"day": day.isoformat()},
            code="day_closed",
            status=409,
        )


def days_lock_check(payments: Sequence[Payment]) -> None:
    """day_lock_check for many payments at once: each cashier locked once (in id order), and refused when
    any of the payments falls on a day its cashier closed."""
    days: dict[int, set[dt.date]] = defaultdict(set)
    for payment in payments:
        if payment.recorded_by_id is not None:
            days[payment.recorded_by_id].add(timezone.localdate(payment.received_at))
    for cashier_id in sorted(days):
        cashier_lock(cashier_id)
    closed = (
        DayClose.objects.filter(cashier_id__in=list(days), business_date__in={d for ds in days.values() for d in ds})
        .order_by("business_date")
        .values_list("cashier_id", "business_date")
    )
    for cashier_id, day in closed:
        if day in days[cashier_id]:
            raise ApplicationError(
                _("%(day)s is closed for this cashier (日结); it can no longer be changed.") % {"day": day.isoformat()},
                code="day_closed",
                status=409,
            )


def refund_lock_check(by: User | None) -> None:
    """A refund is dated today: refused once the person giving it has closed today. Takes the cashier's lock
    (held until the refund commits), so a day close running meanwhile waits and then counts the refund."""
    if by is None:
        return
    cashier_lock(by.pk)
    if day_is_closed(by.pk, timezone.localdate()):
        raise ApplicationError(
            _("You have closed today (日结); record this refund tomorrow or ask another cashier."),
            code="day_closed",
            status=409,
        )


def day_summary(day: dt.date, *, cashier_id: int | None = None, units: QuerySet[Unit] | None = None) -> dict[str, Any]:
    """Payments received that day by method, by cashier and by channel, and refunds given, in fen. `units`:
    only these homes' money (a member who sees some offices sees their totals, not the company's)."""
    start, end = local_day_bounds(day)
    payments = Payment.objects.filter(received_at__gte=start, received_at__lt=end)
    refunds = LedgerEntry.objects.filter(kind="refund", occurred_on=day)
    if units is not None:
        payments = payments.filter(unit__in=units.values("pk"))
        refunds = refunds.filter(unit__in=units.values("pk"))
    if cashier_id is not None:
        payments = payments.filter(recorded_by_id=cashier_id)
        refunds = refunds.filter(created_by_id=cashier_id)
    by_method = {
        r["method"]: {"count": r["n"], "amount": r["t"]}
        for r in payments.values("method").annotate(n=Count("id"), t=Sum("amount")).order_by("method")
    }
    by_channel = {
        r["channel"]: {"count": r["n"], "amount": r["t"]}
        for r in payments.values("channel").annotate(n=Count("id"), t=Sum("amount")).order_by("channel")
    }
    by_cashier = [
        {
            "cashier": r["recorded_by_id"],
            "name": r["recorded_by__name"] or "",
            "count": r["n"],
            "amount": r["t"],
            "cash": r["cash"] or 0,
        }
        for r in payments.values("recorded_by_id", "recorded_by__name")
        .annotate(n=Count("id"), t=Sum("amount"), cash=Sum("amount", filter=Q(method="cash")))
        .order_by("recorded_by__name")
    ]
    totals = payments.aggregate(n=Count("id"), t=Sum("amount"))
    closed = {
        c.cashier_id: c for c in DayClose.objects.filter(business_date=day).select_related("closed_by", "cashier")
    }
    return {
        "day": day,
        "count": totals["n"] or 0,
        "total": totals["t"] or 0,
        "refunds": refunds.aggregate(t=Sum("amount"))["t"] or 0,
        "by_method": by_method,
        "by_channel": by_channel,
        "by_cashier": by_cashier,
        "closed": closed,
    }


def day_close(*, cashier: User, day: dt.date, by: User, note: str = "") -> DayClose:
    """Close a cashier's day: store the totals and lock the day. Only a day that has ended or today."""
    if day > timezone.localdate():
        raise ApplicationError.for_fields({"day": [_("A day in the future cannot be closed.")]})
    try:
        with transaction.atomic():
            cashier_lock(cashier.pk)
            # An online refund is dated the day Stripe's answer is applied, in its requester's name; while one
            # waits for it (no lock is held meanwhile), today's totals are not final.
            if (
                day == timezone.localdate()
                and Refund.objects.filter(requested_by=cashier, status=Refund.Status.REQUESTED).exists()
            ):
                raise ApplicationError(
                    _(
                        "A refund by this cashier is still waiting for the payment gateway's answer; close the "
                        "day once it is confirmed."
                    ),
                    code="refund_in_flight",
                    status=409,
                )
            summary = day_summary(day, cashier_id=cashier.pk)
            close = DayClose.objects.create(
                cashier=cashier,
                business_date=day,
                payment_count=summary["count"],
                total=summary["total"],
                refund_total=summary["refunds"],
                totals={m: v["amount"] for m, v in summary["by_method"].items()},
                closed_by=by,
                note=note[:300],
            )
            audit_record(
                action="payments.day_close",
                target=close,
                changes={"cashier": cashier.pk, "day": day.isoformat(), "total": summary["total"]},
            )
    except IntegrityError:
        raise ApplicationError(
            _("%(day)s is already closed for this cashier.") % {"day": day.isoformat()},
            code="already_closed",
            status=409,
        ) from None
    return close
