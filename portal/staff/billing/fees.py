"""Portal pages: billing for staff. Fee setup (收费项目 / 收费标准 and which units carry them), bill runs
(计费 / 月结: preview, post, live progress) and a unit's statement (对账单).

Finance and company admins manage; customer service may look (they answer residents' questions). Every
lookup by id goes through the caller's Scope: anything outside it is a 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import runs, services
from backend.billing.models import BillLine, BillRun, FeeAssignment, FeeItem, FeeStandard
from backend.billing.periods import month_end
from backend.billing.selectors import bill_runs_visible, unit_account, unit_bills, unit_deposits, unit_statement
from backend.errors import ApplicationError
from backend.properties import selectors as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from backend.properties.scope import Scope
from tenants.http import CompanyRequest

from ..access import permission_check, permission_required
from ..forms import add_service_errors
from ..forms_billing import (
    AssignForm,
    BillRunForm,
    FeeItemCreateForm,
    FeeItemEditForm,
    FeeStandardForm,
    StatementFilterForm,
    month_or_error,
)


def scope_of(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def can_manage(request: CompanyRequest) -> bool:
    return perms.BILLING_MANAGE.granted_to(request.membership)


# -- fee items and standards ---------------------------------------------------------------------------------


def fee_items_visible(scope: Scope) -> QuerySet[FeeItem]:
    return FeeItem.objects.filter(office__in=registry.office_list(scope=scope).values("pk")).select_related("office")


def _current_standards(items: Sequence[FeeItem], today: dt.date) -> dict[int, list[FeeStandard]]:
    """Per item, the standard in force today for every unit type it has one for (general first)."""
    out: dict[int, list[FeeStandard]] = {}
    seen: set[tuple[int, str]] = set()
    qs = FeeStandard.objects.filter(fee_item__in=items, effective_from__lte=today).order_by(
        "fee_item_id", "unit_type", "-effective_from"
    )
    for st in qs:
        key = (st.fee_item_id, st.unit_type)
        if key not in seen:
            seen.add(key)
            out.setdefault(st.fee_item_id, []).append(st)
    return out


@permission_required(perms.BILLING_READ)
@require_http_methods(["GET", "POST"])
def fee_items(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    form = FeeItemCreateForm(request.POST or None, scope=scope, initial={"priority": 100, "cycle": "monthly"})
    if request.method == "POST":
        permission_check(request, perms.BILLING_MANAGE)
        if form.is_valid():
            office = registry.office_list(scope=scope).filter(pk=form.cleaned_data.get("office") or 0).first()
            try:
                if office is None:
                    raise ApplicationError.for_fields({"office": [_("Choose an office you manage.")]})
                item = services.fee_item_create(office=office, scope=scope, **form.service_data())
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Fee item %(name)s created. Now give it a price.") % {"name": item.name})
                return redirect("portal:billing-fee", pk=item.pk)
    today = timezone.localdate()
    items = list(
        fee_items_visible(scope)
        .annotate(
            carried_by=Count(
                "assignments",
                filter=Q(assignments__start_date__lte=today)
                & (Q(assignments__end_date__isnull=True) | Q(assignments__end_date__gte=today)),
            )
        )
        .order_by("office__name", "priority", "code")
    )
    current = _current_standards(items, today)
    offices: dict[int, dict[str, Any]] = {}
    for item in items:
        item.current_standards = current.get(item.pk, [])  # type: ignore[attr-defined]
        offices.setdefault(item.office_id, {"office": item.office, "items": []})["items"].append(item)
    return render(
        request,
        "portal/billing/staff/fee_items.html",
        {"offices": list(offices.values()), "form": form, "can_manage": can_manage(request)},
        status=400 if request.method == "POST" else 200,
    )


def _assignment_summary(item: FeeItem, scope: Scope, today: dt.date) -> list[dict[str, Any]]:
    units = scope.filter_units(Unit.objects.all()).values("pk")
    rows = (
        FeeAssignment.objects.filter(fee_item=item, unit__in=units)
        .values("unit__estate__name", "unit__building__name", "unit__building_id")
        .annotate(
            current=Count("id", filter=Q(end_date__isnull=True) | Q(end_date__gte=today)),
            ended=Count("id", filter=Q(end_date__lt=today)),
        )
        .order_by("unit__estate__name", "unit__building__name")
    )
    return [dict(row) for row in rows]


def _resolve_units(form: AssignForm, item: FeeItem, scope: Scope) -> list[int] | None:
    """Unit numbers typed by a person → unit ids in the item's office, the caller's scope and the estate or
    building chosen. Unknown numbers are a field error (None)."""
    numbers = form.unit_numbers()
    if not numbers:
        return []
    units = scope.filter_units(Unit.objects.filter(office_id=item.office_id, number__in=numbers))
    if form.cleaned_data.get("estate"):
        units = units.filter(estate_id=int(form.cleaned_data["estate"]))
    if form.cleaned_data.get("building"):
        units = units.filter(building_id=int(form.cleaned_data["building"]))
    found = list(units.values_list("pk", "number"))
    missing = sorted(set(numbers) - {n for _pk, n in found})
    if missing:
        form.add_error("units", _("No such unit here: %(numbers)s") % {"numbers": ", ".join(missing)})
        return None
    return [pk for pk, _n in found]


@permission_required(perms.BILLING_READ)
@require_http_methods(["GET", "POST"])
def fee_item_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = fee_items_visible(scope).filter(pk=pk).first()
    if item is None:
        raise Http404
    today = timezone.localdate()
    action = request.POST.get("form", "") if request.method == "POST" else ""
    edit = FeeItemEditForm(
        request.POST if action == "item" else None,
        prefix="item",
        initial={
            "name": item.name,
            "priority": item.priority,
            "is_active": item.is_active,
            "late_fee_mode": item.late_fee_mode,
            "late_fee_fixed": f"{item.late_fee_fixed / 100:.2f}" if item.late_fee_fixed else "",
            "late_fee_daily_percent": item.late_fee_daily_percent or "",
            "late_fee_grace_days": item.late_fee_grace_days,
            "late_fee_cap": f"{item.late_fee_cap / 100:.2f}" if item.late_fee_cap is not None else "",
        },
    )
    standard = FeeStandardForm(
        request.POST if action == "standard" else None,
        prefix="standard",
        initial={"effective_from": f"{today.replace(day=1):%Y-%m}", "custody_percent": "100"},
    )
    assign = AssignForm(
        request.POST if action == "assign" else None,
        prefix="assign",
        scope=scope,
        office_id=item.office_id,
        month_label=_("Bill from (month)"),
        initial={"month": f"{today.replace(day=1):%Y-%m}"},
    )
    unassign = AssignForm(
        request.POST if action == "unassign" else None,
        prefix="unassign",
        scope=scope,
        office_id=item.office_id,
        month_label=_("Last month billed"),
        initial={"month": f"{today.replace(day=1):%Y-%m}"},
    )
    # The item and its prices belong to the whole office: only someone whose scope names the office changes
    # them. Assigning units is open to any manager, for the units in their scope.
    sets_prices = can_manage(request) and (scope.all_offices or item.office_id in scope.office_ids)
    if request.method == "POST":
        permission_check(request, perms.BILLING_MANAGE)
        if action in ("item", "standard") and not sets_prices:
            raise PermissionDenied("Only someone managing the whole office changes its fee items.")
        done = False
        if action == "item":
            done = _save_item(request, item, edit)
        elif action == "standard":
            done = _save_standard(request, item, standard)
        elif action in ("assign", "unassign"):
            done = _save_assignment(request, item, scope, assign if action == "assign" else unassign, action)
        else:
            raise Http404
        if done:
            return redirect("portal:billing-fee", pk=item.pk)
    standards = list(item.standards.order_by("unit_type", "-effective_from"))
    in_force = {(s.unit_type, s.pk) for ss in _current_standards([item], today).values() for s in ss}
    for s in standards:
        s.in_force = (s.unit_type, s.pk) in in_force  # type: ignore[attr-defined]
    return render(
        request,
        "portal/billing/staff/fee_item.html",
        {
            "item": item,
            "standards": standards,
            "assignments": _assignment_summary(item, scope, today),
            "edit": edit,
            "standard_form": standard,
            "assign": assign,
            "unassign": unassign,
            "can_manage": can_manage(request),
            "sets_prices": sets_prices,
            "has_billed": item.bill_lines.exists(),
            "today": today,
        },
        status=400 if request.method == "POST" else 200,
    )


def _save_item(request: CompanyRequest, item: FeeItem, form: FeeItemEditForm) -> bool:
    if not form.is_valid():
        return False
    try:
        services.fee_item_update(item=item, **form.service_data())
    except ApplicationError as error:
        add_service_errors(form, error)
        item.refresh_from_db()
        return False
    messages.success(request, _("Saved."))
    return True


def _save_standard(request: CompanyRequest, item: FeeItem, form: FeeStandardForm) -> bool:
    if not form.is_valid():
        return False
    month = form.effective_month()
    if month is None:
        return False
    d = form.cleaned_data
    try:
        st = services.fee_standard_create(
            item=item,
            effective_from=month,
            rate=(d.get("rate") or "").strip() or "",
            unit_type=d.get("unit_type") or "",
            custody_percent=(d.get("custody_percent") or "").strip() or "100",
            note=d.get("note") or "",
            by=request.user,  # type: ignore[arg-type]
        )
    except ApplicationError as error:
        add_service_errors(form, error)
        return False
    messages.success(
        request, _("New price ¥%(rate)s from %(month)s.") % {"rate": st.rate.normalize(), "month": f"{month:%Y-%m}"}
    )
    return True


def _save_assignment(request: CompanyRequest, item: FeeItem, scope: Scope, form: AssignForm, action: str) -> bool:
    if not form.is_valid():
        return False
    month = month_or_error(form, "month")
    unit_ids = _resolve_units(form, item, scope)
    if month is None or unit_ids is None:
        return False
    d = form.cleaned_data
    selection: dict[str, Any] = {
        "estate_id": int(d["estate"]) if d.get("estate") else None,
        "building_id": int(d["building"]) if d.get("building") else None,
        "unit_type": d.get("unit_type") or None,
        "unit_ids": unit_ids or None,
    }
    try:
        if action == "assign":
            result = services.fee_assign(item=item, scope=scope, start_date=month, **selection)
        else:
            changed = services.fee_unassign(item=item, scope=scope, end_date=month_end(month), **selection)
    except ApplicationError as error:
        if "start_date" in error.fields:
            error.fields.setdefault("month", error.fields.pop("start_date"))
        add_service_errors(form, error)
        return False
    if action == "assign":
        messages.success(
            request,
            _("%(assigned)s units now carry this item from %(month)s; %(already)s carried it already.")
            % {**result, "month": f"{month:%Y-%m}"},
        )
    else:
        messages.success(
            request, _("%(n)s units stop being billed after %(month)s.") % {"n": changed, "month": f"{month:%Y-%m}"}
        )
    return True


# -- bill runs -----------------------------------------------------------------------------------------------


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
        "portal/billing/staff/runs.html",
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
            return render(request, "portal/billing/staff/_run_started.html", context)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Posting the bills…"))
        return redirect("portal:billing-run", pk=run.pk)
    preview = run.preview or {}
    return render(
        request,
        "portal/billing/staff/run.html",
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
    return render(request, "portal/billing/staff/_run_progress.html", context)


# -- a unit's statement -------------------------------------------------------------------------------------


def owed_of(line: Any) -> int:
    """What is still owed on a line annotated by selectors.lines_with_balances (fen)."""
    return int(line.owed)


def line_state(line: BillLine, today: dt.date) -> str:
    owed = owed_of(line)
    if owed <= 0:
        return "paid"
    return "overdue" if line.due_date < today else "unpaid"


def statement_context(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    """What a statement page shows, staff or resident: the account, every bill (unpaid first) with its
    state, the ledger between two dates with a running balance, and the deposits."""
    today = timezone.localdate()
    filters = StatementFilterForm(request.GET or None)
    start = end = None
    if filters.is_bound and filters.is_valid():
        start, end = filters.cleaned_data.get("start"), filters.cleaned_data.get("end")
    bills = unit_bills(unit.pk)
    for line in bills:
        line.state = line_state(line, today)  # type: ignore[attr-defined]
    unpaid = [b for b in bills if owed_of(b) > 0]
    overdue = [b for b in unpaid if b.due_date < today]
    return {
        "unit": unit,
        "today": today,
        "account": unit_account(unit.pk),
        "bills": bills,
        "unpaid_total": sum(owed_of(b) for b in unpaid),
        "overdue_total": sum(owed_of(b) for b in overdue),
        "overdue_count": len(overdue),
        "statement": unit_statement(unit.pk, start=start, end=end),
        "deposits": unit_deposits(unit.pk),
        "filters": filters,
        "start": start,
        "end": end,
    }


@permission_required(perms.BILLING_READ)
def statement(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = registry.unit_get(scope=scope_of(request), unit_id=pk)
    if unit is None:
        raise Http404
    context = statement_context(request, unit)
    status = 400 if context["filters"].is_bound and context["filters"].errors else 200
    return render(request, "portal/billing/staff/statement.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("staff/billing/fees/", fee_items, name="billing-fees"),
    path("staff/billing/fees/<int:pk>/", fee_item_detail, name="billing-fee"),
    path("staff/billing/runs/", bill_runs, name="billing-runs"),
    path("staff/billing/runs/<int:pk>/", bill_run_detail, name="billing-run"),
    path("staff/billing/runs/<int:pk>/progress/", bill_run_progress, name="billing-run-progress"),
    path("staff/billing/units/<int:pk>/statement/", statement, name="billing-statement"),
]
