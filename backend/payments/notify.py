"""Who hears about a payment: the resident who paid (or the home's residents), finance for webhook trouble."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from backend.accounts import permissions as perms
from backend.billing.models import Payment
from backend.notifications.recipients import Recipients
from backend.notifications.services import notify
from tenants.db import connection
from tenants.models import Tenant

RESULT_URL = "/resident/pay/{pk}/"


def notify_payment(op: Any, event: str) -> None:
    """event: succeeded | failed. An autopay charge says "autopay charged" / "autopay failed"."""
    if op.user_id is None:
        return
    amount = op.amount / 100
    autopay = op.channel == Payment.Channel.AUTOPAY
    if event == "succeeded":
        kind = "autopay.charged" if autopay else "payment.succeeded"
        title = (
            _("Autopay charged ¥%(amount).2f for %(unit)s")
            if autopay
            else _("Payment of ¥%(amount).2f received for %(unit)s")
        ) % {"amount": amount, "unit": op.unit.label}
        body = _("Thank you. Your receipt is ready.")
    else:
        kind = "autopay.failed" if autopay else "payment.failed"
        title = (
            _("Autopay of ¥%(amount).2f for %(unit)s did not go through")
            if autopay
            else _("Payment of ¥%(amount).2f for %(unit)s did not go through")
        ) % {"amount": amount, "unit": op.unit.label}
        body = op.failure_message or _("Nothing was charged. Your bills are still open and can be paid again.")
    notify(
        recipients=Recipients(user_ids=(op.user_id,)),
        kind=kind,
        title=title,
        body=body,
        url=RESULT_URL.format(pk=op.pk),
        payload={"online_payment": op.pk, "status": op.status, "amount": op.amount},
    )


def notify_refund(payment: Payment, amount: int, reason: str) -> None:
    online = getattr(payment, "online", None)
    payer = online.user_id if online is not None else None
    notify(
        # The online payer; for counter payments, whoever lives in the home now.
        recipients=Recipients(user_ids=(payer,)) if payer else Recipients(unit_ids=(payment.unit_id,)),
        kind="payment.refunded",
        title=_("¥%(amount).2f refunded for %(unit)s") % {"amount": amount / 100, "unit": payment.unit.label},
        body=reason,
        url="/resident/bills/",
        payload={"payment": payment.pk, "amount": amount},
    )


def notify_webhook_failed(event_type: str, event_id: str, problem: str) -> None:
    notify(
        recipients=Recipients(roles=tuple(sorted(perms.PAYMENT_ALERTS.roles))),
        kind="payment.webhook_failed",
        title=_("A payment webhook could not be processed: %(type)s") % {"type": event_type},
        body=f"{event_id}: {problem}",
        url="/staff/payments/followup/",
        payload={"event": event_id},
    )


def after_commit(fn: Any) -> None:
    """transaction.on_commit, run in the company schema that is active now (the commit may happen after the
    caller has left it, e.g. in the platform's webhook task)."""
    tenant = connection.tenant
    if not isinstance(tenant, Tenant):  # schema_context gives a stand-in without the company's row
        tenant = Tenant.objects.get(schema_name=connection.schema_name)

    def run() -> None:
        with tenant_context(tenant):
            fn()

    transaction.on_commit(run)
