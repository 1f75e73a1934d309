"""Fee setup for staff: fee items (收费项目), their standards (收费标准) and which units carry them.

Finance and company admins manage; customer service may look (they answer residents' questions). Every
lookup by id goes through the caller's Scope: anything outside it is a 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import services
from backend.billing.models import FeeAssignment, FeeItem, FeeStandard
from backend.billing.periods import month_end
from backend.errors import ApplicationError
from backend.properties import selectors as registry
from backend.properties.models import Unit
from backend.properties.scope import Scope
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.staff.billing.forms import AssignForm, FeeItemCreateForm, FeeItemEditForm, FeeStandardForm, month_or_error
from tenants.http import CompanyRequest


def can_manage(request: CompanyRequest) -> bool:
    return perms.BILLING_MANAGE.granted_to(request.membership)


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
        "portal/staff/billing/fee_items.html",
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
        "portal/staff/billing/fee_item.html",
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
