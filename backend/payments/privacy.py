"""Online payment in a resident's data download and erasure (backend/privacy/registry.py); the ledger's
payments and deposits are backend/privacy/personal_data.py's.

Download: their Stripe customer (saved cards hang off it), autopay mandates (card brand, last four digits,
monthly maximum) and online payment attempts.
Erasure: the Stripe customer is deleted at Stripe (with the cards saved to it) through the company's Stripe
client, before the erasure's transaction opens, then its row here, inside it. When Stripe cannot be asked
(not set up, unreachable, refused), the row is kept, so the customer can still be found and deleted, and
the summary says why. Autopay mandates are switched off and lose the card; online payment attempts stay
(each succeeded one is a ledger payment) with no secret."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from backend.accounts.models import User
from backend.errors import ApplicationError
from backend.privacy.registry import ErasureLog, PrivacyPart, Subject, when
from backend.properties.models import Unit

from .models import AutopayMandate, OnlinePayment, StripeCustomer
from .providers import stripe_provider

logger = logging.getLogger(__name__)


def online_payment_data(user: User, units: list[Unit]) -> dict[str, Any]:
    customer = StripeCustomer.objects.filter(user=user).first()
    mandates = AutopayMandate.objects.filter(user=user).select_related("unit").order_by("created_at", "id")
    attempts = OnlinePayment.objects.filter(user=user).select_related("unit").order_by("created_at", "id")
    return {
        "stripe_customer": None
        if customer is None
        else {"id": customer.customer_id, "created_at": when(customer.created_at)},
        "autopay_mandates": [
            {
                "home": str(m.unit),
                "card": f"{m.card_brand} {m.card_last4}".strip(),
                "monthly_max_fen": m.monthly_max,
                "active": m.active,
                "created_at": when(m.created_at),
                "disabled_at": when(m.disabled_at),
            }
            for m in mandates
        ],
        "online_payments": [
            {
                "home": str(p.unit),
                "amount_fen": p.amount,
                "method": p.method_type,
                "status": p.status,
                "created_at": when(p.created_at),
                "succeeded_at": when(p.succeeded_at),
            }
            for p in attempts
        ],
    }


def online_payment_erase(subject: Subject, log: ErasureLog) -> None:
    user = subject.user
    log.count(
        "payments.autopaymandate",
        AutopayMandate.objects.filter(user=user).update(
            active=False, disabled_at=timezone.now(), payment_method_id="", card_brand="", card_last4=""
        ),
    )
    log.count("payments.onlinepayment", OnlinePayment.objects.filter(user=user).update(client_secret=""))
    deleted = log.outside.get("stripe_customer_deleted")
    if deleted:
        log.count("payments.stripecustomer", StripeCustomer.objects.filter(user=user, customer_id=deleted).delete()[0])


def stripe_customer_delete(user: User, log: ErasureLog) -> None:
    """Before the erasure's transaction (Stripe is never asked with a transaction open or a lock held)."""
    customer = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True).first()
    if customer is None:
        return
    try:
        stripe_provider().customer_delete(customer)
    except ApplicationError as exc:  # not set up, unreachable, refused: kept, with why
        logger.warning("erasure: Stripe customer %s not deleted: %s", customer, exc.message)
        log.not_done["stripe_customer"] = f"{exc.code}: {exc.message}"[:300]
        return
    log.outside["stripe_customer_deleted"] = customer


PART = PrivacyPart(
    app="payments",
    collectors={"online_payment": online_payment_data},
    erase=online_payment_erase,
    covers={
        "payments.StripeCustomer": frozenset({"user"}),
        "payments.AutopayMandate": frozenset({"user", "unit"}),
        "payments.OnlinePayment": frozenset({"user", "unit"}),
    },
    outside=stripe_customer_delete,
)
