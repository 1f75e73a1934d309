"""Meters and readings (抄表).

billing-meters            meters with filters; finance / company admin add unit and shared meters
billing-meter             one meter: facts, edit, reading history, usage trend, record a reading
billing-readings          entry grid for a building and month, and the review queue of flagged readings
billing-readings-import   .xlsx import of readings (and its template)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import meter_imports, meter_readings, meters, reading_review
from backend.billing.models import Meter, MeterReading
from backend.billing.periods import month_start, parse_period
from backend.errors import ApplicationError
from backend.properties.models import Unit
from backend.properties.scope import Scope
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.staff.meters.forms import (
    GridForm,
    MeterEditForm,
    MeterFilterForm,
    ReadingForm,
    ReadingsImportForm,
    SharedMeterForm,
    UnitMeterForm,
)
from tenants.http import CompanyRequest


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- meters -----------------------------------------------------------------------------------------------


@permission_required(perms.METER_READ)
@require_http_methods(["GET", "POST"])
def meter_list(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    can_setup = perms.METER_MANAGE.granted_to(request.membership)
    unit_form = UnitMeterForm(prefix="unit", scope=scope)
    shared_form = SharedMeterForm(prefix="shared", scope=scope)
    status = 200
    if request.method == "POST":
        permission_check(request, perms.METER_MANAGE)
        kind = request.POST.get("add")
        form: UnitMeterForm | SharedMeterForm
        if kind == "unit":
            form = unit_form = UnitMeterForm(request.POST, prefix="unit", scope=scope)
        elif kind == "shared":
            form = shared_form = SharedMeterForm(request.POST, prefix="shared", scope=scope)
        else:
            raise Http404
        form.is_valid()
        d = form.cleaned_data
        try:
            if form.errors:
                raise ApplicationError.for_fields({})
            if isinstance(form, UnitMeterForm):
                meter = _unit_meter_create(scope, d)
            else:
                meter = meters.shared_meter_create(
                    scope=scope,
                    estate_id=_int(d.get("estate")),
                    kind=d.get("kind") or "",
                    number=d.get("number") or "",
                    fee_item_id=_int(d.get("fee_item")),
                    building_ids=[int(b) for b in d.get("building_ids") or []],
                    unit_ids=d.get("unit_ids") or [],
                    multiplier=d.get("multiplier") or "1",
                )
        except ApplicationError as error:
            _put_errors(form, error)
            status = 400
        else:
            messages.success(request, _("Meter %(number)s added.") % {"number": meter.number})
            return redirect("portal:billing-meter", pk=meter.pk)
    filters = MeterFilterForm(request.GET or {"active": "1"}, scope=scope)
    data = filters.cleaned_data if filters.is_valid() else {}
    shared = {"unit": False, "shared": True}.get(data.get("shared") or "")
    active = {"1": True, "0": False}.get(data.get("active") or "")
    qs = meters.meters_with_reading_counts(
        meters.meter_list(
            scope=scope,
            estate_id=_int(data.get("estate")),
            building_id=_int(data.get("building")),
            kind=data.get("kind") or "",
            shared=shared,
            active=active,
            q=data.get("q") or "",
        )
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/staff/meters/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_setup": can_setup,
            "unit_form": unit_form,
            "shared_form": shared_form,
            "open_form": request.POST.get("add", "") if request.method == "POST" else "",
            "flagged": reading_review.flagged_count(scope=scope),
        },
        status=status,
    )


def _unit_meter_create(scope: Scope, d: dict[str, Any]) -> Meter:
    building_id = _int(d.get("building"))
    number = (d.get("unit_number") or "").strip()
    errors: dict[str, list[str]] = {}
    unit = None
    if not building_id:
        errors["building"] = [_("Choose a building.")]
    if not number:
        errors["unit_number"] = [_("Enter the unit number.")]
    if building_id and number:
        unit = scope.filter_units(Unit.objects.filter(building_id=building_id, number=number)).first()
        if unit is None:
            errors["unit_number"] = [_("No such unit in this building.")]
    try:
        meter = meters.meter_create(
            scope=scope,
            unit_id=unit.pk if unit else None,
            kind=d.get("kind") or "",
            number=d.get("number") or "",
            multiplier=d.get("multiplier") or "1",
        )
    except ApplicationError as error:
        fields = {("unit_number" if k == "unit" else k): v for k, v in error.fields.items()}
        raise ApplicationError.for_fields({**fields, **errors}) from None
    return meter


@permission_required(perms.METER_READ)
@require_http_methods(["GET", "POST"])
def meter_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    meter = meters.meter_get(scope=scope, meter_id=pk)
    if meter is None:
        raise Http404
    can_setup = perms.METER_MANAGE.granted_to(request.membership)
    can_record = perms.READING_RECORD.granted_to(request.membership) and meter.is_active
    edit_form = MeterEditForm(
        prefix="edit", initial={"number": meter.number, "multiplier": meter.multiplier, "is_active": meter.is_active}
    )
    today = timezone.localdate()
    reading_form = ReadingForm(prefix="reading", initial={"period": f"{today:%Y-%m}", "read_on": today})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                permission_check(request, perms.METER_MANAGE)
                edit_form = MeterEditForm(request.POST, prefix="edit")
                edit_form.is_valid()
                d = edit_form.cleaned_data
                meters.meter_update(
                    meter=meter,
                    scope=scope,
                    number=d.get("number") or "",
                    multiplier=d.get("multiplier") or "",
                    is_active=bool(d.get("is_active")),
                )
                messages.success(request, _("Saved."))
            elif action == "reading":
                permission_check(request, perms.READING_RECORD)
                reading_form = ReadingForm(request.POST, prefix="reading")
                reading_form.is_valid()
                d = reading_form.cleaned_data
                period = _period_or_error(d.get("period") or "")
                if reading_form.errors:
                    raise ApplicationError.for_fields({})
                reading = meter_readings.reading_record(
                    meter=meter,
                    period=period,
                    reading=d.get("reading") or "",
                    read_on=d.get("read_on"),
                    initial=d.get("starting") or None,
                    by=request.user,
                )
                _reading_message(request, [reading])
            elif action in ("confirm", "reject"):
                _review(request, scope, action)
            else:
                raise Http404
        except ApplicationError as error:
            form = edit_form if action == "edit" else reading_form
            if action in ("edit", "reading"):
                _put_errors(form, error)
            else:
                messages.error(request, error.text)
                return redirect("portal:billing-meter", pk=meter.pk)
            status = 400
        else:
            return redirect("portal:billing-meter", pk=meter.pk)
    readings = list(meter.readings.select_related("entered_by", "reviewed_by").order_by("-period")[:60])
    if any(r.status != MeterReading.Status.REJECTED for r in readings):
        reading_form.fields.pop("starting", None)  # only a meter's first reading takes a starting reading
    trend = meter_readings.meter_trend(meter, months=12)
    shared_units = list(meter.shared_units.order_by("label")[:200]) if meter.is_shared else []
    return render(
        request,
        "portal/staff/meters/detail.html",
        {
            "meter": meter,
            "readings": readings,
            "trend": _chart(trend),
            "average": meter_readings.meter_average(meter),
            "shared_units": shared_units,
            "shared_count": meter.shared_units.count() if meter.is_shared else 0,
            "can_setup": can_setup,
            "can_record": can_record,
            "has_readings": bool(readings),
            "edit_form": edit_form,
            "reading_form": reading_form,
        },
        status=status,
    )


def _period_or_error(text: str) -> dt.date:
    try:
        return parse_period(text)
    except ValueError:
        raise ApplicationError.for_fields({"period": [_("Enter a month as YYYY-MM.")]}) from None


def _put_errors(form: Any, error: ApplicationError) -> None:
    if not error.fields:
        if not form.errors:
            form.add_error(None, error.message)
        return
    for name, msgs in error.fields.items():
        field = {"initial": "starting", "unit": "unit_number"}.get(name, name)
        target = field if field in form.fields else None
        if target and target in form.errors:
            continue
        for m in msgs:
            form.add_error(target, m)


def _chart(points: list[meter_readings.TrendPoint]) -> dict[str, Any]:
    """An SVG bar chart of usage per month (no script; the viewBox scales it to the screen)."""
    n = len(points)
    step = 30
    width, height = max(300, n * step), 170
    top, bottom = 20, 18  # room for the values above and the months below
    bars = []
    for i, p in enumerate(points):
        h = round((height - top - bottom) * p.percent / 100, 1)
        y = round(height - bottom - h, 1)
        bars.append(
            {
                "x": round(i * step + step * 0.15, 1),
                "w": round(step * 0.7, 1),
                "y": y,
                "h": h,
                "vy": round(y - 4, 1),
                "label": f"{p.period:%m}",
                "title": f"{p.period:%Y-%m}: {p.usage}",
                "tx": round(i * step + step / 2, 1),
                "flagged": p.status == MeterReading.Status.FLAGGED,
                "usage": p.usage,
                "show_value": n <= 12,
            }
        )
    return {"bars": bars, "width": width, "height": height, "label_y": height - 4}


def _reading_message(request: CompanyRequest, saved: list[MeterReading]) -> None:
    flagged = [r for r in saved if r.status == MeterReading.Status.FLAGGED]
    if flagged:
        messages.warning(
            request,
            _("%(n)s reading(s) saved; %(f)s flagged for review and not billed until confirmed.")
            % {"n": len(saved), "f": len(flagged)},
        )
    else:
        messages.success(request, _("%(n)s reading(s) saved.") % {"n": len(saved)})


def _review(request: CompanyRequest, scope: Scope, action: str) -> MeterReading:
    permission_check(request, perms.METER_MANAGE)
    reading = meter_readings.reading_get(scope=scope, reading_id=_int(request.POST.get("reading")) or 0)
    if reading is None:
        raise Http404
    if action == "confirm":
        reading_review.reading_confirm(reading=reading, by=request.user)
        messages.success(
            request,
            _("Reading %(meter)s %(month)s confirmed; the next bill run bills it.")
            % {"meter": reading.meter.number, "month": f"{reading.period:%Y-%m}"},
        )
    else:
        reading_review.reading_reject(reading=reading, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(
            request,
            _("Reading %(meter)s %(month)s rejected; enter the month again when you have the right reading.")
            % {"meter": reading.meter.number, "month": f"{reading.period:%Y-%m}"},
        )
    return reading


# --- readings: entry grid and review queue ----------------------------------------------------------------


@permission_required(perms.METER_READ)
@require_http_methods(["GET", "POST"])
def readings(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    today = timezone.localdate()
    params = request.GET.copy()
    params.setdefault("month", f"{month_start(today):%Y-%m}")
    chosen = bool(request.GET.get("building"))
    grid_form = GridForm(params, scope=scope) if chosen else GridForm(initial={"month": params["month"]}, scope=scope)
    building_id = period = None
    kind = ""
    if chosen and grid_form.is_valid():
        building_id = _int(grid_form.cleaned_data["building"])
        kind = grid_form.cleaned_data.get("kind") or ""
        try:
            period = parse_period(grid_form.cleaned_data["month"])
        except ValueError:
            grid_form.add_error("month", _("Enter a month as YYYY-MM."))
    rows = (
        meter_readings.reading_grid(scope=scope, building_id=building_id, period=period, kind=kind)
        if building_id and period
        else []
    )
    here = f"{reverse('portal:billing-readings')}?{params.urlencode()}"
    errors: dict[int, str] = {}
    posted: dict[int, str] = {}
    read_on_text = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("confirm", "reject"):
            try:
                _review(request, scope, action)
            except ApplicationError as error:
                messages.error(request, error.text)
            return redirect(here)
        if action != "grid" or period is None:
            raise Http404
        permission_check(request, perms.READING_RECORD)
        read_on_text = request.POST.get("read_on", "").strip()
        read_on = None
        if read_on_text:
            try:
                read_on = dt.date.fromisoformat(read_on_text)
            except ValueError:
                messages.error(request, _("Write dates as 2024-05-01."))
                read_on_text = ""
                status = 400
        saved: list[MeterReading] = []
        if status == 200:
            for row in rows:
                text = request.POST.get(f"r{row.meter.pk}", "").strip()
                if not text or row.locked:
                    continue
                posted[row.meter.pk] = text
                if row.current is not None and row.current.status != MeterReading.Status.REJECTED:
                    try:
                        if Decimal(text.replace(",", "")) == row.current.reading and (
                            read_on is None or read_on == row.current.read_on
                        ):
                            continue
                    except ArithmeticError:
                        pass
                try:
                    saved.append(
                        meter_readings.reading_record(
                            meter=row.meter, period=period, reading=text, read_on=read_on, by=request.user
                        )
                    )
                except ApplicationError as error:
                    errors[row.meter.pk] = error.text
        if saved:
            _reading_message(request, saved)
        if not errors and status == 200:
            if not saved:
                messages.info(request, _("Nothing to save: no new readings were entered."))
            return redirect(here)
        status = 400
        if errors:
            messages.error(request, _("%(n)s reading(s) could not be saved; see the marked rows.") % {"n": len(errors)})
        rows = meter_readings.reading_grid(scope=scope, building_id=building_id, period=period, kind=kind)  # type: ignore[arg-type]
    queue_qs = reading_review.flagged_readings(scope=scope)
    queue = list(queue_qs[:200])
    for r in queue:
        r.average = meter_readings.meter_average(r.meter, before=r.period)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/staff/meters/readings.html",
        {
            "grid_form": grid_form,
            "rows": rows,
            "period": period,
            "here": here,
            "query": params.urlencode(),
            "errors": errors,
            "posted": posted,
            "read_on": read_on_text or today.isoformat(),
            "can_record": perms.READING_RECORD.granted_to(request.membership),
            "can_review": perms.METER_MANAGE.granted_to(request.membership),
            "queue": queue,
            "queue_count": queue_qs.count(),
            "open_rows": sum(1 for r in rows if not r.locked),
        },
        status=status,
    )


# --- import -----------------------------------------------------------------------------------------------


@permission_required(perms.READING_RECORD)
@require_http_methods(["GET", "POST"])
def readings_import(request: CompanyRequest) -> HttpResponse:
    form = ReadingsImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = meter_imports.readings_import(data=upload.data, scope=scope_of(request), by=request.user)
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                if result.ok:
                    status = 200
                    text = _(
                        "Imported %(rows)s rows: %(c)s new, %(r)s replaced, %(u)s unchanged; %(f)s flagged for review."
                    ) % {
                        "rows": result.rows,
                        "c": result.created,
                        "r": result.replaced,
                        "u": result.unchanged,
                        "f": result.flagged,
                    }
                    (messages.warning if result.flagged else messages.success)(request, text)
                else:
                    messages.error(
                        request, _("Nothing was imported: the file has %(n)s problem(s).") % {"n": len(result.errors)}
                    )
    return render(
        request,
        "portal/staff/meters/import.html",
        {"form": form, "result": result, "review_url": reverse("portal:billing-readings")},
        status=status,
    )


@permission_required(perms.READING_RECORD)
def readings_template(request: CompanyRequest) -> HttpResponse:
    response = HttpResponse(
        meter_imports.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="meter-readings-template.xlsx"'
    return response


def readings_url(building_id: int, period: dt.date) -> str:
    """The entry grid for a building and month (for links from other pages)."""
    query = urlencode({"building": str(building_id), "month": f"{period:%Y-%m}"})
    return f"{reverse('portal:billing-readings')}?{query}"
