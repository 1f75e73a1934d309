"""The operator console on the platform domain (/operator/console/, for platform operators: is_staff):

- companies: status, size on disk, members, estimated units, last activity; one company's page with its
  support access (given with a reason, time-limited, written to the company's own audit log)
- the onboarding funnel: signed up → an admin signed in → registry loaded → billed → paid online
- platform health: the database, Redis, the Celery queues, spare schemas, webhook events needing a look
- the Stripe webhook inbox, with a retry
- the merchant directory

Every figure for all companies comes from one catalog or public-schema query (pg_stat_user_tables'
live-row estimates, pg_total_relation_size), never one query per company, so the pages stay quick with
1,000 companies."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.client_ip import client_ip
from backend.errors import ApplicationError

from .models import SupportGrant, Tenant


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/operator/login/")
        if not (user.is_active and user.is_staff):
            return HttpResponseForbidden(_("Platform operators only."))
        return view(request, *args, **kwargs)

    return wrapped


def _table_rows(tables: list[str]) -> dict[str, dict[str, int]]:
    """schema → table → live rows (the statistics collector's estimate), for the given tables, one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s)", [tables]
        )
        out: dict[str, dict[str, int]] = {}
        for schema, table, rows in cursor.fetchall():
            out.setdefault(schema, {})[table] = int(rows)
    return out


def _schema_sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, SUM(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' GROUP BY n.nspname"
        )
        return {schema: int(size or 0) for schema, size in cursor.fetchall()}


def companies_overview() -> list[dict[str, Any]]:
    companies = list(
        Tenant.objects.filter(status__in=[Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED])
        .annotate(
            members=Count("memberships", filter=Q(memberships__is_active=True)),
            last_login=Max("memberships__user__last_login"),
        )
        .order_by("-created_at")
    )
    sizes = _schema_sizes()
    rows = _table_rows(["properties_unit", "billing_billrun", "payments_onlinepayment"])
    out = []
    for t in companies:
        counts = rows.get(t.schema_name, {})
        out.append(
            {
                "tenant": t,
                "members": t.members,
                "last_login": t.last_login,
                "size_mb": round(sizes.get(t.schema_name, 0) / 1024 / 1024, 1),
                "units": counts.get("properties_unit", 0),
                "bill_runs": counts.get("billing_billrun", 0),
                "online_payments": counts.get("payments_onlinepayment", 0),
            }
        )
    return out


def onboarding_funnel(overview: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = [
        (_("Signed up"), lambda c: True),
        (_("An admin signed in"), lambda c: c["last_login"] is not None),
        (_("Registry loaded"), lambda c: c["units"] > 0),
        (_("Billed"), lambda c: c["bill_runs"] > 0),
        (_("Paid online"), lambda c: c["online_payments"] > 0),
    ]
    total = len(overview) or 1
    funnel = []
    for label, reached in steps:
        n = sum(1 for c in overview if reached(c))
        funnel.append({"label": label, "count": n, "percent": round(100 * n / total)})
    return funnel


def platform_health() -> list[dict[str, Any]]:
    from django.core.cache import cache

    from backend.gateway.models import WebhookEvent
    from backend.observability.metrics import CeleryQueueCollector

    checks: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks.append({"name": "PostgreSQL", "ok": True, "detail": f"{(time.perf_counter() - started) * 1000:.1f} ms"})
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        checks.append({"name": "PostgreSQL", "ok": False, "detail": str(exc)[:200]})
    started = time.perf_counter()
    try:
        cache.get("console-health")
        checks.append({"name": "Redis", "ok": True, "detail": f"{(time.perf_counter() - started) * 1000:.1f} ms"})
    except Exception as exc:  # noqa: BLE001
        checks.append({"name": "Redis", "ok": False, "detail": str(exc)[:200]})
    for family in CeleryQueueCollector().collect():
        for sample in family.samples:
            waiting = int(sample.value)
            checks.append(
                {
                    "name": _("Celery queue %(q)s") % {"q": sample.labels["queue"]},
                    "ok": waiting < 1000,
                    "detail": waiting,
                }
            )
    spares = Tenant.objects.filter(status=Tenant.Status.SPARE).count()
    checks.append({"name": _("Spare schemas"), "ok": spares > 0, "detail": spares})
    stuck = WebhookEvent.objects.filter(status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.FLAGGED]).count()
    checks.append({"name": _("Webhook events to look at"), "ok": stuck == 0, "detail": stuck})
    return checks


@operator_required
def console_home(request: HttpRequest) -> HttpResponse:
    overview = companies_overview()
    return render(
        request,
        "tenants/console/home.html",
        {"companies": overview, "funnel": onboarding_funnel(overview), "health": platform_health()},
    )


@operator_required
@require_http_methods(["GET", "POST"])
def console_company(request: HttpRequest, slug: str) -> HttpResponse:
    from backend.accounts.models import Role

    from .services import company_url
    from .support import MAX_HOURS, support_access_grant

    tenant = get_object_or_404(Tenant, slug=slug, status__in=[Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED])
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            hours = int(request.POST.get("hours") or 0)
        except ValueError:
            hours = 0
        try:
            _grant, ticket = support_access_grant(
                operator=request.user,  # type: ignore[arg-type]
                tenant=tenant,
                reason=request.POST.get("reason", ""),
                hours=hours,
                role=request.POST.get("role", Role.CUSTOMER_SERVICE),
                ip=client_ip(request.META),
            )
        except ApplicationError as error:
            errors = error.fields or {"general": [error.message]}
        else:
            domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first() or ""
            return redirect(company_url(domain, f"/handoff/{ticket}/?next=/staff/"))
    overview = next((c for c in companies_overview() if c["tenant"].pk == tenant.pk), None)
    grants = SupportGrant.objects.filter(tenant=tenant).select_related("operator").order_by("-granted_at")[:20]
    return render(
        request,
        "tenants/console/company.html",
        {
            "company": overview,
            "tenant": None,
            "subject": tenant,
            "grants": grants,
            "errors": errors,
            "max_hours": MAX_HOURS,
            "values": request.POST,
        },
        status=400 if errors else 200,
    )


@operator_required
@require_POST
def console_grant_end(request: HttpRequest, pk: int) -> HttpResponse:
    from .support import support_access_end

    grant = get_object_or_404(SupportGrant, pk=pk)
    support_access_end(grant=grant, by=request.user)  # type: ignore[arg-type]
    return redirect("console:company", slug=grant.tenant.slug)


@operator_required
def console_webhooks(request: HttpRequest) -> HttpResponse:
    from backend.gateway.models import WebhookEvent

    status = request.GET.get("status", "")
    events = WebhookEvent.objects.order_by("-received_at")
    if status in WebhookEvent.Status.values:
        events = events.filter(status=status)
    counts = dict(WebhookEvent.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return render(
        request,
        "tenants/console/webhooks.html",
        {
            "events": events.only("event_id", "type", "tenant_schema", "status", "note", "attempts", "received_at")[
                :200
            ],
            "status": status,
            "statuses": [(value, label, counts.get(value, 0)) for value, label in WebhookEvent.Status.choices],
        },
    )


@operator_required
@require_POST
def console_webhook_retry(request: HttpRequest, pk: int) -> HttpResponse:
    from backend.celery import task_named
    from backend.gateway.models import WebhookEvent
    from backend.gateway.webhooks import WEBHOOK_EVENT_PROCESS

    event = get_object_or_404(WebhookEvent, pk=pk)
    # A worker processes it (the handler may ask Stripe); its claim makes a retry racing the periodic one harmless.
    task_named(WEBHOOK_EVENT_PROCESS).delay(event.pk)
    messages.info(request, _("Event %(id)s queued for another try.") % {"id": event.event_id})
    return redirect(f"{reverse('console:webhooks')}?status={event.status}")


@operator_required
def console_merchants(request: HttpRequest) -> HttpResponse:
    from marketplace.models import ApplicationStatus, Merchant

    merchants = Merchant.objects.annotate(
        approved=Count("applications", filter=Q(applications__status=ApplicationStatus.APPROVED)),
        pending=Count("applications", filter=Q(applications__status=ApplicationStatus.PENDING)),
        listings_count=Count("listings", distinct=True),
    ).order_by("-created_at")[:500]
    return render(request, "tenants/console/merchants.html", {"merchants": merchants})
