"""The provider interface. Two providers: `stripe` (PaymentIntents through the official SDK, against Stripe
or localstripe) and `offline` (the cashier's counter: cash, POS, bank transfer, 异地汇款), which has no
gateway and records straight into the ledger.

Stripe's answers are reduced to small dataclasses so the rest of the code never touches SDK objects, and
every SDK error becomes one of two exceptions: `PaymentDeclined` (the payer's card said no: show why, leave
the bills payable) or `GatewayUnavailable` (we could not get an answer: nothing was charged or recorded).

Every method is an HTTP request of up to STRIPE_TIMEOUT seconds. Callers make it with no database transaction
open and no lock held: they write a pending row first, call Stripe with an idempotency key derived from that
row, then lock and apply the answer (online.py, refunds.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from backend.errors import ApplicationError
from backend.gateway.config import StripeConfig, stripe_config
from tenants.db import connection
from tenants.models import Tenant

log = logging.getLogger(__name__)


class GatewayUnavailable(ApplicationError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            _("The payment gateway cannot be reached just now. Nothing was charged; please try again shortly."),
            code="gateway_unavailable",
            status=503,
        )
        self.detail = detail


class GatewayRefused(ApplicationError):
    """Stripe refused the request (a 4xx other than a card decline): 502, unless the caller knows that what
    was refused came from the client (see `missing`)."""

    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(
            _("The payment gateway refused the request: %(message)s") % {"message": message},
            code="gateway_refused",
            status=502,
        )
        self.missing = missing  # Stripe has no object with the id given


class PaymentDeclined(Exception):
    def __init__(self, message: str, code: str = "card_declined", intent: IntentState | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.intent = intent


DECLINE_MESSAGES = {
    "card_declined": gettext_noop("Your card was declined. Nothing was charged; try another card."),
    "insufficient_funds": gettext_noop("Your card has insufficient funds. Nothing was charged."),
    "expired_card": gettext_noop("Your card has expired. Nothing was charged; try another card."),
    "incorrect_cvc": gettext_noop("The card's security code is wrong. Nothing was charged."),
    "authentication_required": gettext_noop(
        "Your bank asks you to confirm this payment yourself; please pay it on the bills page."
    ),
    "payment_intent_authentication_failure": gettext_noop(
        "The card could not be verified. Nothing was charged; please try again."
    ),
}


def decline_message(code: str, fallback: str = "") -> str:
    if code in DECLINE_MESSAGES:
        return gettext(DECLINE_MESSAGES[code])
    return fallback or gettext("The payment did not go through. Nothing was charged; please try again.")


@dataclass
class IntentState:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str = ""
    payment_method: str = ""
    customer: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""
    next_action: dict[str, Any] | None = None

    @classmethod
    def of(cls, obj: Any) -> IntentState:
        data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
        error = data.get("last_payment_error") or {}
        status = data.get("status") or ""
        amount = int(data.get("amount") or 0)
        received = data.get("amount_received")
        if received is None:  # localstripe leaves it out
            received = amount if status == "succeeded" else 0
        pm = data.get("payment_method") or ""
        return cls(
            id=data["id"],
            status=status,
            amount=amount,
            amount_received=int(received),
            currency=str(data.get("currency") or "").upper(),
            client_secret=data.get("client_secret") or "",
            payment_method=pm if isinstance(pm, str) else pm.get("id", ""),
            customer=(data.get("customer") or "") if isinstance(data.get("customer"), str | None) else "",
            metadata=dict(data.get("metadata") or {}),
            error_code=error.get("decline_code") or error.get("code") or "",
            error_message=error.get("message") or "",
            next_action=data.get("next_action"),
        )

    @property
    def redirect_url(self) -> str:
        """Alipay: where to send the payer. Stripe names the action `alipay_handle_redirect`; other redirect
        methods (and older API versions) use `redirect_to_url`. Empty when there is nowhere to go."""
        action = self.next_action or {}
        for key in ("alipay_handle_redirect", "redirect_to_url"):
            url = (action.get(key) or {}).get("url")
            if url:
                return str(url)
        return ""

    @property
    def qr_code(self) -> dict[str, str]:
        """WeChat Pay: the QR code to show (`data` is what it encodes; Stripe also renders it as images and a
        hosted page). Empty when the intent does not ask for one."""
        qr = (self.next_action or {}).get("wechat_pay_display_qr_code") or {}
        keys = ("data", "image_data_url", "image_url_png", "image_url_svg", "hosted_instructions_url")
        return {k: str(qr[k]) for k in keys if qr.get(k)}


@dataclass
class RefundState:
    id: str
    amount: int
    status: str
    payment_intent: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, obj: Any) -> RefundState:
        data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
        return cls(
            id=data["id"],
            amount=int(data.get("amount") or 0),
            status=data.get("status") or "succeeded",
            payment_intent=data.get("payment_intent") or "",
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass
class CardInfo:
    id: str
    brand: str
    last4: str
    customer: str = ""


class StripeProvider:
    """PaymentIntents, SetupIntents, customers and refunds on one Stripe account."""

    name = "stripe"

    def __init__(self, config: StripeConfig, http_client: Any = None) -> None:
        self.config = config
        self.client = stripe.StripeClient(
            config.secret_key or "sk_unconfigured",
            base_addresses={"api": config.api_base},
            http_client=http_client or stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
            max_network_retries=0,
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.config.configured:
            raise ApplicationError(_("Online payment is not set up for this company."), code="not_configured")
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            err = exc.error
            code = (
                (getattr(err, "decline_code", None) or getattr(err, "code", None) or exc.code or "card_declined")
                if err
                else "card_declined"
            )
            intent = None
            raw = getattr(err, "payment_intent", None) if err else None
            if raw:
                try:
                    intent = IntentState.of(raw)
                except Exception:  # noqa: BLE001 - the decline matters, not the intent's shape
                    intent = None
            raise PaymentDeclined(decline_message(str(code), exc.user_message or ""), str(code), intent) from None
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.AuthenticationError) as exc:
            log.warning("stripe unreachable: %s", exc)
            raise GatewayUnavailable(str(exc)) from None
        except stripe.APIError as exc:
            log.warning("stripe error: %s", exc)
            raise GatewayUnavailable(str(exc)) from None
        except stripe.InvalidRequestError as exc:
            log.warning("stripe refused the request: %s", exc)
            if exc.http_status and exc.http_status >= 500:
                raise GatewayUnavailable(str(exc)) from None
            raise GatewayRefused(exc.user_message or str(exc), missing=exc.http_status == 404) from None
        except stripe.StripeError as exc:
            log.warning("stripe error: %s", exc)
            raise GatewayUnavailable(str(exc)) from None

    # -- customers and saved cards -----------------------------------------------------------------------
    def customer_create(self, *, email: str, name: str, metadata: dict[str, str], idempotency_key: str) -> str:
        params: dict[str, Any] = {"metadata": metadata}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        cus = self._call(self.client.v1.customers.create, params=params, options={"idempotency_key": idempotency_key})
        return str(cus.id)

    def setup_intent_create(self, *, customer: str, metadata: dict[str, str]) -> tuple[str, str]:
        seti = self._call(
            self.client.v1.setup_intents.create,
            params={
                "customer": customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
        )
        return str(seti.id), str(seti.client_secret)

    def customer_delete(self, customer: str) -> None:
        """Delete a customer at Stripe (its saved cards with it). One Stripe no longer knows is gone already."""
        try:
            self._call(self.client.v1.customers.delete, customer)
        except GatewayRefused as exc:
            if not exc.missing:
                raise

    def card(self, payment_method: str) -> CardInfo:
        pm = self._call(self.client.v1.payment_methods.retrieve, payment_method).to_dict()
        card = pm.get("card") or {}
        customer = pm.get("customer") or ""
        return CardInfo(
            id=pm["id"],
            brand=str(card.get("brand") or "card"),
            last4=str(card.get("last4") or ""),
            customer=customer if isinstance(customer, str) else str(customer.get("id", "")),
        )

    # -- payment intents -----------------------------------------------------------------------------------
    def intent_create(
        self,
        *,
        amount: int,
        currency: str,
        customer: str = "",
        method_types: list[str],
        metadata: dict[str, str],
        idempotency_key: str,
        payment_method_options: dict[str, Any] | None = None,
    ) -> IntentState:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method_types": method_types,
            "metadata": metadata,
        }
        if customer:
            params["customer"] = customer
        if payment_method_options:
            params["payment_method_options"] = payment_method_options
        pi = self._call(
            self.client.v1.payment_intents.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return IntentState.of(pi)

    def intent_confirm(self, intent_id: str, *, payment_method: str) -> IntentState:
        """Attach the payment method, then confirm. (Two calls: localstripe cannot confirm with a payment
        method in the same call, Stripe can do either.) A decline raises PaymentDeclined."""
        self._call(self.client.v1.payment_intents.update, intent_id, params={"payment_method": payment_method})
        pi = self._call(self.client.v1.payment_intents.confirm, intent_id)
        return IntentState.of(pi)

    def intent_confirm_redirect(self, intent_id: str, *, method_type: str, return_url: str) -> IntentState:
        """Alipay / WeChat Pay: confirm with the method's data; Stripe answers with the next action (a redirect
        to Alipay, a QR code for WeChat)."""
        params: dict[str, Any] = {"payment_method_data": {"type": method_type}, "return_url": return_url}
        pi = self._call(self.client.v1.payment_intents.confirm, intent_id, params=params)
        return IntentState.of(pi)

    def intent_retrieve(self, intent_id: str) -> IntentState:
        return IntentState.of(self._call(self.client.v1.payment_intents.retrieve, intent_id))

    def intent_charge_off_session(
        self,
        *,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        pi = self._call(
            self.client.v1.payment_intents.create,
            params={
                "amount": amount,
                "currency": currency.lower(),
                "customer": customer,
                "payment_method": payment_method,
                "payment_method_types": ["card"],
                "off_session": True,
                "confirm": True,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return IntentState.of(pi)

    # -- refunds ---------------------------------------------------------------------------------------------
    def refund_create(
        self, *, intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> RefundState:
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return RefundState.of(refund)

    def refund_retrieve(self, refund_id: str) -> RefundState:
        return RefundState.of(self._call(self.client.v1.refunds.retrieve, refund_id))

    def refunds_list(self, intent_id: str) -> list[RefundState]:
        page = self._call(self.client.v1.refunds.list, params={"payment_intent": intent_id, "limit": 100})
        return [RefundState.of(r) for r in page.data]


class OfflineProvider:
    """The counter: no gateway. Money is recorded by the cashier (see counter.counter_collect)."""

    name = "offline"
    METHODS = ("cash", "pos", "bank_transfer", "remote_transfer", "bank_collection")


# Tests swap the HTTP client to replay recorded Stripe responses (Alipay, WeChat Pay: localstripe lacks them).
HTTP_CLIENT: Any = None


def stripe_provider(tenant_id: int | None = None) -> StripeProvider:
    if tenant_id is None:
        tenant = getattr(connection, "tenant", None)
        tenant_id = getattr(tenant, "pk", None)
        if tenant_id is None and connection.schema_name != "public":
            tenant_id = Tenant.objects.filter(schema_name=connection.schema_name).values_list("pk", flat=True).first()
    return StripeProvider(stripe_config(tenant_id), http_client=HTTP_CLIENT)
