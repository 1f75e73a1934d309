"""Online payments to follow up: the ones whose webhook never came (re-check them against Stripe), and the
company's webhook events that were flagged or failed (process them again)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.gateway.models import WebhookEvent
from backend.payments import reports
from backend.payments.models import OnlinePayment, PaymentSettings
from backend.payments.online import online_payment_refresh
from portal.access import permission_check, permission_required
from portal.common.scope import scope_of
from tenants.db import connection
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/payments"


@permission_required(perms.PAYMENTS_READ)
@require_http_methods(["GET", "POST"])
def followup(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    if request.method == "POST":
        permission_check(request, perms.PAYMENT_RECORD)
        action = request.POST.get("action", "")
        raw = request.POST.get("pk", "")
        if not raw.isdigit():
            raise Http404
        if action == "recheck":
            op = OnlinePayment.objects.filter(scope.unit_q("unit__"), pk=int(raw)).first()
            if op is None:
                raise Http404
            try:
                op = online_payment_refresh(op)
            except ApplicationError as error:  # GatewayUnavailable among them
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Online payment %(pk)s re-checked: %(status)s.")
                    % {"pk": op.pk, "status": op.get_status_display()},
                )
        elif action == "retry":
            event = reports.webhook_events_to_review(connection.schema_name).filter(pk=int(raw)).first()
            if event is None:
                raise Http404
            try:
                done = _webhook_retry(event.pk)
            finally:
                # It ran in the company's schema and came back; make sure this request is still there.
                connection.set_tenant(request.tenant)
            if done.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
                messages.success(request, _("Webhook event %(id)s processed.") % {"id": done.event_id})
            else:
                messages.error(
                    request,
                    _("Webhook event %(id)s is still %(status)s: %(note)s")
                    % {"id": done.event_id, "status": done.get_status_display(), "note": done.note},
                )
        else:
            raise Http404
        return redirect("portal:payments-followup")
    rule = PaymentSettings.load()
    now = timezone.now()
    stale = list(reports.followup_online_payments(scope=scope, now=now)[:200])
    for op in stale:
        op.age_minutes = int((now - op.confirmed_at).total_seconds() // 60)  # type: ignore[attr-defined,operator]
    events = list(reports.webhook_events_to_review(connection.schema_name)[:100])
    return render(
        request,
        f"{TEMPLATES}/followup.html",
        {"stale": stale, "events": events, "minutes": rule.followup_minutes},
    )


def _webhook_retry(event_pk: int) -> WebhookEvent:
    from backend.gateway.webhooks import webhook_event_process_now

    # The event row lives in the public schema; processing switches into this company's schema itself.
    return webhook_event_process_now(event_pk)
