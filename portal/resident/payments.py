"""A resident pays online (chosen bill lines or a prepaid top-up) and manages autopay.

The card flow (static/portal/js/pay.js) works on Stripe and on localstripe alike: the page asks the server to
create the payment (one PaymentIntent per attempt, made idempotent by a key minted per page render), saves the
card through a SetupIntent with Stripe.js `confirmCardSetup`, and has the server confirm the intent with that
card; 3-D Secure runs `confirmCardPayment` in the browser and the server re-reads the intent. The JSON
endpoints answer ApplicationError as {"error", "code", "fields"} with its status, so the page can say what
went wrong while the bills stay payable. A resident only ever touches the homes they live in now (404)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.billing.money import parse_yuan
from backend.billing.selectors import owed_lines
from backend.errors import ApplicationError
from backend.gateway.config import StripeConfig, stripe_config
from backend.payments import online
from backend.payments.models import AutopayMandate, OnlinePayment, PaymentSettings, Receipt
from backend.payments.receipt_pdf import receipt_pdf_response
from backend.properties.models import Unit
from backend.properties.selectors import resident_units
from portal.access import permission_required
from tenants.http import CompanyRequest


def _homes(request: CompanyRequest) -> QuerySet[Unit]:
    return resident_units(user_id=request.user.pk)


def _home(request: CompanyRequest, unit_id: Any) -> Unit:
    try:
        pk = int(unit_id)
    except (TypeError, ValueError):
        raise Http404 from None
    unit = _homes(request).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _payment(request: CompanyRequest, pk: int) -> OnlinePayment:
    """An online payment of one of the resident's current homes (whoever in the home started it)."""
    op = OnlinePayment.objects.select_related("unit").filter(pk=pk, unit__in=_homes(request)).first()
    if op is None:
        raise Http404
    return op


def _config(request: CompanyRequest) -> StripeConfig:
    return stripe_config(request.tenant.pk)


def _body(request: CompanyRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApplicationError(_("The request could not be read."), code="bad_request") from None
    if not isinstance(data, dict):
        raise ApplicationError(_("The request could not be read."), code="bad_request")
    return data


def _error(exc: ApplicationError) -> JsonResponse:
    message = exc.message
    if exc.fields:
        message = " ".join(m for messages in exc.fields.values() for m in messages) or message
    return JsonResponse({"error": message, "code": exc.code, "fields": exc.fields}, status=exc.status)


def _state(op: OnlinePayment) -> dict[str, Any]:
    return {
        "payment": op.pk,
        "status": op.status,
        "amount": op.amount,
        "message": op.failure_message,
        "client_secret": op.client_secret if op.status == OnlinePayment.Status.REQUIRES_ACTION else "",
        "result_url": reverse("portal:resident-pay-result", args=[op.pk]),
    }


def _unavailable(config: StripeConfig) -> str:
    """Why this company cannot take online payments now ('' when it can)."""
    if not online.enabled_methods():
        return _("Online payment is switched off for this company. Please pay at the service desk.")
    if not config.configured:
        return _("Online payment is not set up for this company yet. Please pay at the service desk.")
    return ""


# --- the payment page ---------------------------------------------------------------------------------------


@permission_required(perms.PAY_ONLINE)
def pay(request: CompanyRequest) -> HttpResponse:
    unit = _home(request, request.GET.get("unit"))
    config = _config(request)
    unavailable = _unavailable(config)
    context: dict[str, Any] = {"unit": unit, "unavailable": unavailable, "config": config}
    if unavailable:
        return render(request, "portal/resident/pay.html", context)
    top_up = "top_up" in request.GET
    problem = ""
    lines: list[Any] = []
    prefill = ""
    if top_up:
        raw = request.GET.get("top_up", "").strip()
        if raw and raw != "1":
            try:
                prefill = f"{parse_yuan(raw) / 100:.2f}"
            except ValueError:
                prefill = ""
    else:
        try:
            wanted = [int(i) for i in request.GET.getlist("lines") if i.strip()] or None
        except ValueError:
            raise Http404 from None
        lines = owed_lines(unit.pk, line_ids=wanted)
        if wanted is not None and len(lines) != len(set(wanted)):
            problem = _("Some of the chosen bills are already paid or are not this home's. Choose again.")
            lines = []
        elif not lines:
            problem = _("Nothing is owed: there is nothing to pay.")
    methods = online.enabled_methods()
    context.update(
        {
            "top_up": top_up,
            "prefill": prefill,
            "lines": lines,
            "total": sum(int(line.owed) for line in lines),  # type: ignore[attr-defined]
            "problem": problem,
            "methods": [(m, OnlinePayment.MethodType(m).label) for m in methods],
            "card_enabled": "card" in methods,
            # Minted per render: a double click (or a retried request) of one attempt makes one intent.
            "idempotency_key": uuid.uuid4().hex,
        }
    )
    return render(request, "portal/resident/pay.html", context)


@permission_required(perms.PAY_ONLINE)
@require_POST
def pay_start(request: CompanyRequest) -> JsonResponse:
    try:
        data = _body(request)
        unit = _home(request, data.get("unit"))
        top_up: int | None = None
        if data.get("top_up") not in (None, ""):
            try:
                top_up = parse_yuan(str(data["top_up"]))
            except ValueError as exc:
                raise ApplicationError.for_fields({"top_up": [_(str(exc))]}) from None
        line_ids = data.get("lines") or None
        if line_ids is not None:
            if not isinstance(line_ids, list):
                raise ApplicationError.for_fields({"lines": [_("Choose the bills to pay.")]})
            try:
                line_ids = [int(i) for i in line_ids]
            except (TypeError, ValueError):
                raise ApplicationError.for_fields({"lines": [_("Choose the bills to pay.")]}) from None
        key = request.headers.get("Idempotency-Key") or str(data.get("idempotency_key") or "") or None
        op, _created = online.online_payment_start(
            user=request.user,
            unit=unit,
            line_ids=line_ids,
            top_up=top_up,
            method_type=str(data.get("method_type") or "card"),
            idempotency_key=key,
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(_state(op))


@permission_required(perms.PAY_ONLINE)
@require_POST
def card_setup(request: CompanyRequest) -> JsonResponse:
    """A SetupIntent's client secret, for Stripe.js confirmCardSetup (paying, or saving an autopay card)."""
    try:
        setup_id, secret = online.card_setup_start(user=request.user)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"setup_intent": setup_id, "client_secret": secret})


@permission_required(perms.PAY_ONLINE)
@require_POST
def pay_confirm(request: CompanyRequest, pk: int) -> JsonResponse:
    op = _payment(request, pk)
    try:
        data = _body(request)
        op = online.online_payment_confirm(op, payment_method=str(data.get("payment_method") or ""))
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(_state(op))


@permission_required(perms.PAY_ONLINE)
@require_POST
def pay_refresh(request: CompanyRequest, pk: int) -> JsonResponse:
    op = _payment(request, pk)
    try:
        op = online.online_payment_refresh(op)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(_state(op))


@permission_required(perms.PAY_ONLINE)
@require_POST
def pay_redirect(request: CompanyRequest, pk: int) -> JsonResponse:
    """Alipay / WeChat Pay: confirm the intent and hand the page the next step (a redirect or a QR code)."""
    op = _payment(request, pk)
    return_url = request.build_absolute_uri(reverse("portal:resident-pay-result", args=[op.pk]))
    try:
        op, intent = online.online_payment_redirect(op, return_url=return_url)
    except ApplicationError as exc:
        return _error(exc)
    state = _state(op)
    state["redirect_url"] = intent.redirect_url
    state["qr_image"] = intent.qr_code.get("image_data_url", "")
    return JsonResponse(state)


@permission_required(perms.RESIDENT_AREA)
@require_GET
def receipt_pdf(request: CompanyRequest, pk: int) -> HttpResponse:
    """The receipt of a payment to one of the resident's homes. Every download counts as a print, as at the
    counter: from the second one on it is marked 补打."""
    receipt = Receipt.objects.filter(pk=pk, payment__unit__in=_homes(request)).first()
    if receipt is None:
        raise Http404
    return receipt_pdf_response(receipt, count_print=True)


@permission_required(perms.PAY_ONLINE)
def pay_result(request: CompanyRequest, pk: int) -> HttpResponse:
    op = _payment(request, pk)
    gateway_problem = ""
    if not op.is_final and op.status != OnlinePayment.Status.FAILED:
        # The browser's return is one of the ways we learn the outcome; a webhook that never came is no problem.
        try:
            op = online.online_payment_refresh(op)
        except ApplicationError as exc:
            gateway_problem = exc.message
    receipt = Receipt.objects.filter(payment_id=op.payment_id).first() if op.payment_id else None
    retry_url = reverse("portal:resident-pay") + f"?unit={op.unit_id}"
    if op.to_prepaid:
        retry_url += f"&top_up={op.amount / 100:.2f}"
    else:
        retry_url += "".join(f"&lines={i}" for i in op.line_ids)
    return render(
        request,
        "portal/resident/result.html",
        {
            "op": op,
            "receipt": receipt,
            "retry_url": retry_url,
            "gateway_problem": gateway_problem,
        },
    )


# --- autopay ------------------------------------------------------------------------------------------------


@permission_required(perms.PAY_ONLINE)
@require_http_methods(["GET", "POST"])
def autopay(request: CompanyRequest) -> HttpResponse:
    if request.method == "POST":
        mandate = AutopayMandate.objects.filter(
            pk=request.POST.get("mandate") or 0, active=True, unit__in=_homes(request)
        ).first()
        if mandate is None:
            raise Http404
        online.autopay_disable(mandate=mandate, by=request.user)
        from django.contrib import messages

        messages.success(request, _("Autopay is off for %(unit)s.") % {"unit": mandate.unit.label})
        return redirect("portal:resident-autopay")
    config = _config(request)
    unavailable = _unavailable(config)
    if not unavailable and (not PaymentSettings.load().autopay_enabled or "card" not in online.enabled_methods()):
        unavailable = _("Autopay is not offered by this company.")
    homes = list(_homes(request))
    mandates = {m.unit_id: m for m in AutopayMandate.objects.filter(active=True, unit__in=homes)}
    return render(
        request,
        "portal/resident/autopay.html",
        {
            "homes": [{"unit": unit, "mandate": mandates.get(unit.pk)} for unit in homes],
            "config": config,
            "unavailable": unavailable,
        },
    )


@permission_required(perms.PAY_ONLINE)
@require_POST
def autopay_enable(request: CompanyRequest) -> JsonResponse:
    try:
        data = _body(request)
        unit = _home(request, data.get("unit"))
        try:
            monthly_max = parse_yuan(str(data.get("monthly_max") or ""))
        except ValueError as exc:
            raise ApplicationError.for_fields({"monthly_max": [_(str(exc))]}) from None
        mandate = online.autopay_enable(
            user=request.user,
            unit=unit,
            payment_method=str(data.get("payment_method") or ""),
            monthly_max=monthly_max,
        )
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse(
        {
            "mandate": mandate.pk,
            "card": f"{mandate.card_brand} •••• {mandate.card_last4}",
            "result_url": reverse("portal:resident-autopay"),
        }
    )
