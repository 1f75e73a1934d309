"""Online payment through Stripe (cards, Alipay, WeChat Pay) and autopay.

The flow works on Stripe and on localstripe alike:
1. `online_payment_start`: the server prices the chosen lines (or a top-up) and creates a PaymentIntent for
   exactly that amount, stored against those lines. An Idempotency-Key makes a double click one intent.
2. The browser saves the card with a SetupIntent (`card_setup_start`, then Stripe.js `confirmCardSetup`).
3. `online_payment_confirm`: the server confirms the PaymentIntent with that payment method. Stripe may
   answer `requires_action` (3-D Secure): the browser runs `confirmCardPayment` and calls
   `online_payment_refresh`.
4. Whoever learns first that the intent succeeded (the browser's return, the webhook, the periodic re-check)
   calls `online_payment_apply`, which posts one ledger payment (idempotency key `stripe:<intent id>`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing import ledger
from backend.billing.models import BillLine, BillRun, Payment
from backend.billing.periods import local_day_bounds, month_end, month_start
from backend.billing.selectors import owed_lines
from backend.errors import ApplicationError
from backend.observability import metrics
from backend.properties.models import Unit
from tenants.db import connection

from .models import AutopayMandate, OnlinePayment, PaymentSettings, StripeCustomer
from .notify import after_commit, notify_payment
from .providers import (
    CardInfo,
    GatewayRefused,
    GatewayUnavailable,
    IntentState,
    PaymentDeclined,
    StripeProvider,
    decline_message,
    stripe_provider,
)


def payment_outcome(op: OnlinePayment, outcome: str) -> None:
    """Once the outcome is committed: counted (wuye_payments_total{kind="online"|"autopay", outcome}) and told."""
    metrics.payment_outcome("autopay" if op.channel == Payment.Channel.AUTOPAY else "online", outcome)
    notify_payment(op, outcome)


log = logging.getLogger(__name__)

LEDGER_METHOD = {"card": Payment.Method.CARD, "alipay": Payment.Method.ALIPAY, "wechat_pay": Payment.Method.WECHAT}
MAX_ONLINE = 10_000_000_00  # ¥10,000,000 in fen: above this it is a typo, not a property fee
INTENT_WAIT = 5.0  # seconds a repeated Idempotency-Key waits for the first request's intent before asking itself


def _meta(op: OnlinePayment) -> dict[str, str]:
    return {"tenant": connection.schema_name, "online_payment": str(op.pk), "unit": str(op.unit_id)}


def enabled_methods(rule: PaymentSettings | None = None) -> list[str]:
    rule = rule or PaymentSettings.load()
    if not rule.online_enabled:
        return []
    return [
        m
        for m, on in (("card", rule.card_enabled), ("alipay", rule.alipay_enabled), ("wechat_pay", rule.wechat_enabled))
        if on
    ]


def stripe_customer_for(user: User, gateway: StripeProvider) -> str:
    existing = StripeCustomer.objects.filter(user=user).first()
    if existing is not None:
        return existing.customer_id
    customer_id = gateway.customer_create(
        email=user.email or "",
        name=user.name,
        metadata={"tenant": connection.schema_name, "user": str(user.pk)},
        idempotency_key=f"{connection.schema_name}:customer:{user.pk}",
    )
    try:
        with transaction.atomic():
            StripeCustomer.objects.create(user=user, customer_id=customer_id)
    except IntegrityError:  # a parallel request made it first (the idempotency key gave it the same id)
        pass
    return StripeCustomer.objects.get(user=user).customer_id


def own_card(gateway: StripeProvider, user: User, payment_method: str) -> CardInfo:
    """The card, if it is this person's: saved to their Stripe customer (or to nobody yet). A payment method
    id of someone else's card is refused, so nobody can pay with another resident's saved card; an id Stripe
    does not know (mistyped, made up) is the client's mistake, not the gateway's."""
    try:
        card = gateway.card(payment_method)
    except GatewayRefused as exc:
        if not exc.missing:
            raise
        raise ApplicationError.for_fields({"payment_method": [_("This card is not known: add it again.")]}) from None
    if card.customer:
        own = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True).first()
        if card.customer != own:
            raise ApplicationError.for_fields({"payment_method": [_("This card is not yours.")]})
    return card


def card_setup_start(*, user: User) -> tuple[str, str]:
    """A SetupIntent for saving a card (Stripe.js confirmCardSetup). Returns (id, client_secret)."""
    gateway = stripe_provider()
    customer = stripe_customer_for(user, gateway)
    return gateway.setup_intent_create(customer=customer, metadata={"tenant": connection.schema_name})


def online_payment_start(
    *,
    user: User,
    unit: Unit,
    line_ids: Sequence[int] | None = None,
    top_up: int | None = None,
    method_type: str = "card",
    idempotency_key: str | None = None,
) -> tuple[OnlinePayment, bool]:
    """Create the PaymentIntent for the chosen lines (None: everything owed) or a top-up. Returns
    (online payment, created); a repeated Idempotency-Key returns the first one and created=False.
    The row is written first and Stripe asked after it committed (no transaction open, no lock held); when
    the gateway cannot be reached the attempt is marked failed: nothing charged, the lines payable."""
    rule = PaymentSettings.load()
    methods = enabled_methods(rule)
    if not methods:
        raise ApplicationError(
            _("Online payment is switched off for this company."), code="online_disabled", status=409
        )
    if method_type not in methods:
        raise ApplicationError.for_fields({"method_type": [_("This payment method is not available.")]})
    to_prepaid = top_up is not None
    if to_prepaid:
        if line_ids:
            raise ApplicationError.for_fields({"line_ids": [_("A top-up does not pay chosen lines.")]})
        if not isinstance(top_up, int) or isinstance(top_up, bool) or top_up <= 0:
            raise ApplicationError.for_fields({"top_up": [_("Enter an amount above zero.")]})
        if top_up > MAX_ONLINE:
            raise ApplicationError.for_fields({"top_up": [_("That amount is too large to pay online.")]})
        amount, chosen = top_up, []
    else:
        wanted = list(dict.fromkeys(int(i) for i in line_ids)) if line_ids else None
        if wanted is not None:
            known = set(BillLine.objects.filter(unit=unit, pk__in=wanted).values_list("pk", flat=True))
            if missing := [i for i in wanted if i not in known]:
                raise ApplicationError.for_fields(
                    {"line_ids": [_("Lines %(ids)s are not this home's.") % {"ids": ", ".join(map(str, missing))}]}
                )
        lines = owed_lines(unit.pk, line_ids=wanted)
        if wanted is not None and len(lines) != len(wanted):
            paid = sorted(set(wanted) - {line.pk for line in lines})
            raise ApplicationError.for_fields(
                {"line_ids": [_("Lines %(ids)s are already paid.") % {"ids": ", ".join(map(str, paid))}]}
            )
        if not lines:
            raise ApplicationError.for_fields({"line_ids": [_("Nothing is owed: there is nothing to pay.")]})
        amount = sum(int(line.owed) for line in lines)  # type: ignore[attr-defined,misc]
        chosen = [line.pk for line in lines]
    key = f"{user.pk}:{idempotency_key}" if idempotency_key else None
    if key and len(key) > 140:
        raise ApplicationError.for_fields({"Idempotency-Key": [_("At most 100 characters.")]})
    gateway = stripe_provider()
    if not gateway.config.configured:
        raise ApplicationError(_("Online payment is not set up for this company."), code="not_configured", status=409)
    fields = {"amount": amount, "line_ids": chosen, "to_prepaid": to_prepaid, "method_type": method_type}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                op = OnlinePayment.objects.create(unit=unit, user=user, idempotency_key=key, **fields)
        except IntegrityError:
            # The same key again (a double click, a retried request): it waited for the first insert to commit.
            existing = OnlinePayment.objects.filter(idempotency_key=key).first()
            if existing is None:
                continue  # the first attempt failed at the gateway and gave its key back meanwhile
            if existing.unit_id != unit.pk or existing.amount != amount:
                raise ApplicationError(
                    _("This idempotency key was already used for a different payment."),
                    code="idempotency_conflict",
                    status=409,
                ) from None
            return _intent_awaited(existing, gateway), False
        return _intent_attach(op, gateway), True
    raise ApplicationError(
        _("This idempotency key is in use by a payment being started; try again shortly."),
        code="idempotency_busy",
        status=409,
    )


def _intent_attach(op: OnlinePayment, gateway: StripeProvider, *, creator: bool = True) -> OnlinePayment:
    """Create the online payment's PaymentIntent at Stripe and store it on the row. Called with no transaction
    open: the row is already committed, and its pk is Stripe's idempotency key, so asking again (a repeated
    Idempotency-Key whose first request died) gets the same intent. If Stripe cannot be reached or refuses the
    request that wrote the row (`creator`), the attempt is marked failed and gives its Idempotency-Key back:
    nothing was charged, the lines stay payable, and the same key may be sent again. A repeated request only
    reports the error: the first one may still be waiting for its answer."""
    try:
        customer = stripe_customer_for(op.user, gateway) if op.method_type == "card" and op.user else ""
        options = {"wechat_pay": {"client": "web"}} if op.method_type == "wechat_pay" else None
        intent = gateway.intent_create(
            amount=op.amount,
            currency=op.currency,
            customer=customer,
            method_types=[op.method_type],
            metadata=_meta(op),
            idempotency_key=f"{connection.schema_name}:online:{op.pk}",
            payment_method_options=options,
        )
    except ApplicationError as exc:
        if not creator:
            raise
        abandoned = OnlinePayment.objects.filter(
            pk=op.pk, intent_id__isnull=True, status=OnlinePayment.Status.CREATED
        ).update(
            status=OnlinePayment.Status.FAILED,
            failure_code=exc.code[:60],
            failure_message=exc.message[:300],
            idempotency_key=None,
            updated_at=timezone.now(),
        )
        if abandoned:
            raise
        op.refresh_from_db()  # the other request with this Idempotency-Key stored the intent: that one stands
        if op.intent_id is None:
            raise
        return op
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=op.pk)
        if locked.intent_id is not None:
            return locked  # the repeated request (or the webhook, by the metadata) stored it first
        locked.intent_id = intent.id
        locked.client_secret = intent.client_secret
        locked.save(update_fields=["intent_id", "client_secret", "updated_at"])
        audit_record(
            action="payments.online_start",
            target=locked,
            changes={
                "amount": locked.amount,
                "lines": locked.line_ids,
                "top_up": locked.to_prepaid,
                "intent": intent.id,
            },
        )
    return locked


def _intent_awaited(op: OnlinePayment, gateway: StripeProvider) -> OnlinePayment:
    """The first request with this Idempotency-Key is (or was) asking Stripe for the intent: wait for it, without
    a lock, then ask Stripe ourselves with the same idempotency key if it never stored one (it died)."""
    deadline = time.monotonic() + INTENT_WAIT
    while op.intent_id is None and op.status == OnlinePayment.Status.CREATED and time.monotonic() < deadline:
        time.sleep(0.05)
        op.refresh_from_db()
    if op.intent_id is not None:
        return op
    if op.status == OnlinePayment.Status.FAILED:  # the first request's answer, again
        if op.failure_code == "gateway_unavailable":
            raise GatewayUnavailable(op.failure_message)
        raise ApplicationError(op.failure_message, code=op.failure_code or "gateway_refused", status=502)
    return _intent_attach(op, gateway, creator=False)


def online_payment_confirm(op: OnlinePayment, *, payment_method: str) -> OnlinePayment:
    """Confirm the intent with the card the browser saved. A decline marks it failed (payable again)."""
    if op.is_final:
        return op
    if op.status == OnlinePayment.Status.FAILED:
        # One PaymentIntent per attempt: a retry starts a new payment (the lines are payable again).
        raise ApplicationError(
            _("This attempt did not go through. Start the payment again."), code="attempt_failed", status=409
        )
    if not payment_method or not isinstance(payment_method, str):
        raise ApplicationError.for_fields({"payment_method": [_("Enter your card details.")]})
    gateway = stripe_provider()
    if op.user is not None:
        own_card(gateway, op.user, payment_method)
    OnlinePayment.objects.filter(pk=op.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    try:
        intent = gateway.intent_confirm(str(op.intent_id), payment_method=payment_method)
    except PaymentDeclined as declined:
        return online_payment_failed(op, code=declined.code, message=declined.message)
    return online_payment_apply(op, intent)


def online_payment_redirect(op: OnlinePayment, *, return_url: str) -> tuple[OnlinePayment, IntentState]:
    """Alipay / WeChat Pay: confirm and hand the next action (redirect URL, QR code) to the page."""
    if op.is_final:
        return op, stripe_provider().intent_retrieve(str(op.intent_id))
    OnlinePayment.objects.filter(pk=op.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    try:
        intent = stripe_provider().intent_confirm_redirect(
            str(op.intent_id), method_type=op.method_type, return_url=return_url
        )
    except PaymentDeclined as declined:
        return online_payment_failed(op, code=declined.code, message=declined.message), IntentState(
            id=str(op.intent_id), status="requires_payment_method", amount=op.amount, amount_received=0, currency=""
        )
    return online_payment_apply(op, intent), intent


def online_payment_refresh(op: OnlinePayment) -> OnlinePayment:
    """Ask Stripe where the intent stands and act on it (after 3-D Secure, on the result page, periodically)."""
    if op.is_final or not op.intent_id:
        return op
    intent = stripe_provider().intent_retrieve(op.intent_id)
    OnlinePayment.objects.filter(pk=op.pk).update(checked_at=timezone.now())
    return online_payment_apply(op, intent)


def online_payment_apply(op: OnlinePayment, intent: IntentState) -> OnlinePayment:
    """Bring the online payment in line with the intent's status. Succeeded posts the ledger payment once;
    a final state is never left again (a late payment_failed after success changes nothing)."""
    if intent.status == "succeeded":
        return online_payment_succeeded(op, intent)
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=op.pk)
        if locked.is_final:
            return locked
        if intent.status == "requires_action":
            locked.status = OnlinePayment.Status.REQUIRES_ACTION
        elif intent.status == "processing":
            locked.status = OnlinePayment.Status.PROCESSING
        elif intent.status == "canceled":
            locked.status = OnlinePayment.Status.CANCELED
        elif intent.status == "requires_payment_method" and (intent.error_code or intent.error_message):
            locked.status = OnlinePayment.Status.FAILED
            locked.failure_code = intent.error_code[:60]
            locked.failure_message = decline_message(intent.error_code, intent.error_message)[:300]
        else:
            return locked
        if intent.client_secret:
            locked.client_secret = intent.client_secret
        locked.save()
        if locked.status == OnlinePayment.Status.FAILED:
            after_commit(lambda: payment_outcome(locked, "failed"))
    return locked


def online_payment_failed(op: OnlinePayment, *, code: str, message: str) -> OnlinePayment:
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=op.pk)
        if locked.is_final:
            return locked
        locked.status = OnlinePayment.Status.FAILED
        locked.failure_code = code[:60]
        locked.failure_message = message[:300]
        locked.save()
        action = "payments.autopay_failed" if locked.channel == Payment.Channel.AUTOPAY else "payments.online_failed"
        audit_record(action=action, target=locked, changes={"code": code})
        after_commit(lambda: payment_outcome(locked, "failed"))
    return locked


def online_payment_succeeded(op: OnlinePayment, intent: IntentState) -> OnlinePayment:
    """Post the money to the ledger, exactly once per intent, whoever calls first."""
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=op.pk)
        if locked.payment_id is not None:
            return locked
        received = intent.amount_received or intent.amount
        if received != locked.amount:
            log.warning("intent %s received %s, expected %s", intent.id, received, locked.amount)
        payer = locked.user
        payment = ledger.payment_record(
            unit=locked.unit,
            amount=received,
            method=LEDGER_METHOD.get(locked.method_type, Payment.Method.CARD),
            channel=locked.channel,
            line_ids=locked.line_ids or None,
            to_prepaid=locked.to_prepaid or not locked.line_ids,
            reference=intent.id,
            payer_name=payer.name if payer else "",
            note=_("Online payment") if locked.channel == "online" else _("Autopay"),
            idempotency_key=f"stripe:{intent.id}",
        ).payment
        locked.payment = payment
        locked.status = OnlinePayment.Status.SUCCEEDED
        locked.succeeded_at = timezone.now()
        locked.failure_code = ""
        locked.failure_message = ""
        locked.save()
        after_commit(lambda: payment_outcome(locked, "succeeded"))
    return locked


# --- autopay ------------------------------------------------------------------------------------------------


def autopay_enable(*, user: User, unit: Unit, payment_method: str, monthly_max: int) -> AutopayMandate:
    """Opt in with a card saved through a SetupIntent. Replaces an earlier mandate for the home."""
    rule = PaymentSettings.load()
    if not rule.autopay_enabled or "card" not in enabled_methods(rule):
        raise ApplicationError(_("Autopay is not offered by this company."), code="autopay_disabled", status=409)
    errors: dict[str, list[str]] = {}
    if not isinstance(monthly_max, int) or isinstance(monthly_max, bool) or monthly_max <= 0:
        errors["monthly_max"] = [_("Enter a monthly maximum above zero.")]
    elif monthly_max > MAX_ONLINE:
        errors["monthly_max"] = [_("That maximum is too large.")]
    if not payment_method:
        errors["payment_method"] = [_("Save a card first.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    gateway = stripe_provider()
    card = own_card(gateway, user, payment_method)
    with transaction.atomic():
        AutopayMandate.objects.select_for_update().filter(unit=unit, active=True).update(
            active=False, disabled_at=timezone.now()
        )
        mandate = AutopayMandate.objects.create(
            unit=unit,
            user=user,
            payment_method_id=card.id,
            card_brand=card.brand[:20],
            card_last4=card.last4[:4],
            monthly_max=monthly_max,
        )
        audit_record(action="payments.autopay_enable", target=mandate, changes={"unit": unit.pk, "max": monthly_max})
    return mandate


def autopay_disable(*, mandate: AutopayMandate, by: User) -> AutopayMandate:
    with transaction.atomic():
        updated = AutopayMandate.objects.filter(pk=mandate.pk, active=True).update(
            active=False, disabled_at=timezone.now()
        )
        if updated:
            audit_record(action="payments.autopay_disable", target=mandate, changes={"unit": mandate.unit_id})
    mandate.refresh_from_db()
    return mandate


def autopay_used_this_month(mandate: AutopayMandate) -> int:
    today = timezone.localdate()
    start, end = local_day_bounds(month_start(today), month_end(today))
    return int(
        OnlinePayment.objects.filter(
            mandate__unit_id=mandate.unit_id,
            channel=Payment.Channel.AUTOPAY,
            status__in=["created", "succeeded", "processing", "requires_action"],
            created_at__gte=start,
            created_at__lt=end,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )


def autopay_charge(mandate_id: int, run_id: int) -> OnlinePayment | None:
    """Charge what a bill run issued to one home, off-session, within the monthly maximum. Once per run.
    A failure notifies the resident; the bills stay owed and normal reminders carry on."""
    mandate = AutopayMandate.objects.select_related("unit", "user").filter(pk=mandate_id, active=True).first()
    run = BillRun.objects.filter(pk=run_id).first()
    if mandate is None or run is None:
        return None
    lines = [line for line in owed_lines(mandate.unit_id) if line.bill_run_id == run.pk]
    amount = sum(int(line.owed) for line in lines)  # type: ignore[attr-defined,misc]
    if amount <= 0:
        return None
    if OnlinePayment.objects.filter(mandate=mandate, bill_run=run).exists():
        return None
    with transaction.atomic():
        # Two runs charging one home at once: the mandate's lock makes the second count the first's charge,
        # which is `created` until Stripe answers (asked below, after this commits).
        AutopayMandate.objects.select_for_update().filter(pk=mandate.pk).first()
        used = autopay_used_this_month(mandate)
        try:
            with transaction.atomic():
                op = OnlinePayment.objects.create(
                    unit=mandate.unit,
                    user=mandate.user,
                    amount=amount,
                    line_ids=[line.pk for line in lines],
                    channel=Payment.Channel.AUTOPAY,
                    mandate=mandate,
                    bill_run=run,
                )
        except IntegrityError:
            return None  # another worker took this run for this home
        if used + amount > mandate.monthly_max:
            message = _(
                "¥%(amount).2f is above what is left of your autopay maximum this month (¥%(left).2f). "
                "Please pay it on the bills page."
            ) % {"amount": amount / 100, "left": max(mandate.monthly_max - used, 0) / 100}
            return online_payment_failed(op, code="over_monthly_max", message=message)
    gateway = stripe_provider()
    try:
        customer = stripe_customer_for(mandate.user, gateway)
        intent = gateway.intent_charge_off_session(
            amount=amount,
            currency=op.currency,
            customer=customer,
            payment_method=mandate.payment_method_id,
            metadata=_meta(op),
            idempotency_key=f"{connection.schema_name}:online:{op.pk}",
        )
    except PaymentDeclined as declined:
        if declined.intent is not None:
            OnlinePayment.objects.filter(pk=op.pk).update(intent_id=declined.intent.id)
        return online_payment_failed(op, code=declined.code, message=declined.message)
    except ApplicationError as exc:  # the gateway is down: fail this attempt; the bills stay owed
        return online_payment_failed(op, code=exc.code, message=exc.message)
    OnlinePayment.objects.filter(pk=op.pk).update(intent_id=intent.id, confirmed_at=timezone.now())
    op.refresh_from_db()
    if intent.status == "succeeded":
        return online_payment_succeeded(op, intent)
    if intent.status in ("requires_action", "requires_payment_method"):
        code = intent.error_code or "authentication_required"
        return online_payment_failed(op, code=code, message=decline_message(code, intent.error_message))
    return online_payment_apply(op, intent)
