"""Bill runs (计费 / 月结): start one for a month and a scope, check its preview, post it and follow its
progress live (a websocket, or htmx polling the progress card)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import runs
from backend.billing.models import BillLine, BillRun
from backend.billing.selectors import bill_runs_visible
from backend.errors import ApplicationError
from backend.properties.models import Building, Estate, ManagementOffice
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.staff.billing.forms import BillRunForm, month_or_error
from tenants.http import CompanyRequest


def _describe_scopes(run_list: list[BillRun]) -> None:
    office_ids = {i for r in run_list for i in r.office_ids}
    estate_ids = {i for r in run_list for i in r.estate_ids}
    building_ids = {i for r in run_list for i in r.building_ids}
    offices = dict(ManagementOffice.objects.filter(pk__in=office_ids).values_list("pk", "name"))
    estates = dict(Estate.objects.filter(pk__in=estate_ids).values_list("pk", "name"))
    buildings = {
        b.pk: f"{b.estate.name} {b.name}" for b in Building.objects.filter(pk__in=building_ids).select_related("estate")
    }
    for r in run_list:
        names = (
            [offices.get(i, f"#{i}") for i in r.office_ids]
            + [estates.get(i, f"#{i}") for i in r.estate_ids]
            + [buildings.get(i, f"#{i}") for i in r.building_ids]
        )
        r.scope_label = "、".join(names) if names else _("Whole company")  # type: ignore[attr-defined]


@permission_required(perms.BILL_RUN)
@require_http_methods(["GET", "POST"])
def bill_runs(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    form = BillRunForm(request.POST or None, scope=scope, initial={"period": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        period = month_or_error(form, "period")
        if period is not None:
            try:
                run = runs.bill_run_create(
                    period=period,
                    scope=scope,
                    by=request.user,  # type: ignore[arg-type]
                    office_ids=form.ids("office_ids"),
                    estate_ids=form.ids("estate_ids"),
                    building_ids=form.ids("building_ids"),
                )
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.info(request, _("Check the preview, then post the bills."))
                return redirect("portal:billing-run", pk=run.pk)
    page = Paginator(bill_runs_visible(scope=scope).order_by("-created_at"), 30).get_page(request.GET.get("page"))
    _describe_scopes(list(page))
    return render(
        request,
        "portal/staff/billing/runs.html",
        {"form": form, "page": page},
        status=400 if request.method == "POST" else 200,
    )


def _run_get(request: CompanyRequest, pk: int) -> BillRun:
    run = bill_runs_visible(scope=scope_of(request)).filter(pk=pk).first()
    if run is None:
        raise Http404
    _describe_scopes([run])
    return run


def _progress_context(request: HttpRequest, run: BillRun) -> dict[str, Any]:
    context: dict[str, Any] = {"run": run, "percent": run.progress_percent}
    if run.status == BillRun.Status.POSTED:
        billed = (
            BillLine.objects.filter(bill_run=run)
            .values("unit_id", "unit__label")
            .annotate(lines=Count("id"), amount=Sum("amount"))
            .order_by("unit__label", "unit_id")
        )
        context["billed"] = Paginator(billed, 50).get_page(request.GET.get("page"))
    return context


@permission_required(perms.BILL_RUN)
@require_http_methods(["GET", "POST"])
def bill_run_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    run = _run_get(request, pk)
    if request.method == "POST":
        # From the page's button (htmx) the answer is the progress card, swapped in without leaving the page,
        # so the page's websocket stays connected while the worker posts; without JavaScript, a redirect.
        error = ""
        if run.status not in (BillRun.Status.PREVIEW, BillRun.Status.FAILED):
            error = _("This run has been posted already.")
        else:
            try:
                runs.bill_run_start(run=run, scope=scope_of(request), by=request.user)  # type: ignore[arg-type]
            except ApplicationError as exc:
                error = exc.message
            run = _run_get(request, pk)
        if request.htmx:  # type: ignore[attr-defined]
            # 200 either way: htmx swaps only successful answers, and the message belongs in the slot.
            context = {**_progress_context(request, run), "error": error, "started": not error}
            return render(request, "portal/staff/billing/_run_started.html", context)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Posting the bills…"))
        return redirect("portal:billing-run", pk=run.pk)
    preview = run.preview or {}
    return render(
        request,
        "portal/staff/billing/run.html",
        {
            **_progress_context(request, run),
            "preview": preview,
            "can_post": run.status in (BillRun.Status.PREVIEW, BillRun.Status.FAILED),
        },
    )


@permission_required(perms.BILL_RUN)
def bill_run_progress(request: CompanyRequest, pk: int) -> HttpResponse:
    """The progress card alone: polled by htmx every second while the run posts (the websocket is faster)."""
    run = _run_get(request, pk)
    context = {**_progress_context(request, run), "oob_status": True}  # the badge in the title follows
    return render(request, "portal/staff/billing/_run_progress.html", context)
