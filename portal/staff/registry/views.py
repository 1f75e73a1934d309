"""Staff pages of the property registry: tree, generation, unit list and bulk edit, unit 360° page, people,
binding approvals, .xlsx import/export, search. Every page reads through the caller's Scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.properties import exports, imports, selectors, services, sheets
from backend.properties.models import BindingRequest, ImportJob, UnitStatus, UnitType
from backend.properties.sections import unit_sections_for
from backend.uploads.kinds import BINDING_DOCUMENT
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.links import id_link
from portal.common.scope import scope_of
from portal.staff.registry.forms import (
    BuildingForm,
    EstateForm,
    GenerateUnitsForm,
    ImportForm,
    MoveInForm,
    OfficeForm,
    ParkingForm,
    UnitBulkForm,
    UnitFilterForm,
)
from portal.staff.registry.rows import unit_rows_html
from tenants.http import CompanyRequest


@permission_required(perms.REGISTRY_READ)
@require_http_methods(["GET", "POST"])
def registry_tree(request: CompanyRequest) -> HttpResponse:
    """The tree browser, with forms to add an office, an estate and a building."""
    scope = scope_of(request)
    forms: dict[str, Any] = {
        "office": OfficeForm(prefix="office"),
        "estate": EstateForm(prefix="estate", scope=scope),
        "building": BuildingForm(prefix="building", scope=scope),
        "parking": ParkingForm(prefix="parking", scope=scope),
    }
    status = 200
    if request.method == "POST":
        if not perms.REGISTRY_WRITE.granted_to(request.membership):
            raise Http404
        kind = request.POST.get("add", "")
        if kind not in forms:
            raise Http404
        form: Any = (
            OfficeForm(request.POST, prefix=kind)
            if kind == "office"
            else forms[kind].__class__(request.POST, prefix=kind, scope=scope)  # type: ignore[call-arg]
        )
        forms[kind] = form
        if form.is_valid():
            try:
                if kind == "office":
                    services.office_create(scope=scope, **form.cleaned_data)
                elif kind == "estate":
                    services.estate_create(
                        scope=scope,
                        office_id=int(form.cleaned_data["office"]),
                        name=form.cleaned_data["name"],
                        address=form.cleaned_data["address"],
                    )
                elif kind == "parking":
                    services.parking_space_create(
                        scope=scope,
                        estate_id=int(form.cleaned_data["estate"]),
                        number=form.cleaned_data["number"],
                        kind=form.cleaned_data["kind"],
                    )
                else:
                    building = services.building_create(
                        scope=scope, estate_id=int(form.cleaned_data["estate"]), name=form.cleaned_data["name"]
                    )
                    messages.success(request, _("Building %(b)s added. Now generate its units.") % {"b": building})
                    return redirect("portal:registry-generate", pk=building.pk)
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("portal:registry")
        status = 400
    context = {
        "tree": selectors.tree(scope=scope),
        "forms": forms,
        "can_write": perms.REGISTRY_WRITE.granted_to(request.membership),
    }
    return render(request, "portal/staff/registry/tree.html", context, status=status)


@permission_required(perms.REGISTRY_WRITE)
@require_http_methods(["GET", "POST"])
def building_generate(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    building = selectors.building_list(scope=scope).filter(pk=pk).first()
    if building is None:
        raise Http404
    form = GenerateUnitsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.units_generate(
                building_id=building.pk,
                scope=scope,
                first_floor=data["first_floor"],
                last_floor=data["last_floor"],
                units_per_floor=data["units_per_floor"],
                pattern=data["pattern"],
                skip_floors=data["skip_floors"],
                area=data["area"],
                unit_type=data["unit_type"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(created)s units created, %(skipped)s already existed.") % result)
            return redirect(f"{reverse('portal:units')}?building={building.pk}")
    return render(
        request,
        "portal/staff/registry/generate.html",
        {"building": building, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _unit_filters(form: UnitFilterForm) -> selectors.UnitFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.UnitFilters(
        estate_id=int(data["estate"]) if data.get("estate") else None,
        building_id=int(data["building"]) if data.get("building") else None,
        unit_type=data.get("unit_type") or "",
        status=data.get("status") or "",
        floor=data.get("floor"),
        q=data.get("q") or "",
    )


@permission_required(perms.REGISTRY_READ)
@require_http_methods(["GET", "POST"])
def unit_list(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    if request.method == "POST":
        bulk = UnitBulkForm(request.POST)
        if not perms.REGISTRY_WRITE.granted_to(request.membership):
            raise Http404
        if bulk.is_valid():
            try:
                n = services.units_bulk_update(
                    scope=scope,
                    unit_ids=[int(i) for i in request.POST.getlist("unit_ids") if i.isdigit()],
                    unit_type=bulk.cleaned_data["unit_type"] or None,
                    status=bulk.cleaned_data["status"] or None,
                    area=bulk.cleaned_data["area"] or None,
                )
            except ApplicationError as error:
                messages.error(request, error.text)
            else:
                messages.success(request, _("%(n)s units updated.") % {"n": n})
        return redirect(f"{reverse('portal:units')}?{request.GET.urlencode()}")
    form = UnitFilterForm(request.GET or None, scope=scope)
    units = selectors.unit_list(scope=scope, filters=_unit_filters(form))
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    # What each row shows, worked out once here (a link and two labels per row would otherwise be a URL
    # resolution and two choice lookups each in the template).
    page.object_list = list(page.object_list)
    unit_link = id_link("portal:unit")
    type_labels, status_labels = dict(UnitType.choices), dict(UnitStatus.choices)
    for unit in page.object_list:
        unit.url = unit_link(unit.pk)  # type: ignore[attr-defined]
        unit.type_label = type_labels.get(unit.unit_type, unit.unit_type)  # type: ignore[attr-defined]
        unit.status_label = status_labels.get(unit.status, unit.status)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    can_write = perms.REGISTRY_WRITE.granted_to(request.membership)
    return render(
        request,
        "portal/staff/registry/units.html",
        {
            "form": form,
            "page": page,
            "rows_html": unit_rows_html(page.object_list, can_write=can_write),
            "query": query.urlencode(),
            "bulk": UnitBulkForm(),
            "can_write": can_write,
        },
    )


@permission_required(perms.REGISTRY_READ)
def unit_export(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    form = UnitFilterForm(request.GET or None, scope=scope)
    units = selectors.unit_list(scope=scope, filters=_unit_filters(form)).select_related("building", "estate")
    return _xlsx(sheets.units_export_xlsx(units.iterator(chunk_size=2000)), "units")


@permission_required(perms.REGISTRY_READ)
def residents_export(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    form = UnitFilterForm(request.GET or None, scope=scope)
    units = selectors.unit_list(scope=scope, filters=_unit_filters(form))
    data = exports.residents_export(
        units=units,
        full_personal_data=perms.PERSONAL_DATA_FULL.granted_to(request.membership),
        filters=request.GET.urlencode(),
    )
    return _xlsx(data, "residents")


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


@permission_required(perms.REGISTRY_READ)
@require_http_methods(["GET", "POST"])
def unit_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    """联查: the unit and its sections (people, history, parking, binding requests; later bills and more)."""
    scope = scope_of(request)
    unit = selectors.unit_get(scope=scope, unit_id=pk)
    if unit is None or request.membership is None:
        raise Http404
    move_in = MoveInForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST":
        if not perms.REGISTRY_WRITE.granted_to(request.membership):
            raise Http404
        try:
            if "move_out" in request.POST:
                services.occupancy_move_out(
                    occupancy_id=int(request.POST["move_out"]),
                    end_date=dt.date.fromisoformat(request.POST.get("end_date") or timezone.localdate().isoformat()),
                    scope=scope,
                )
                messages.success(request, _("Moved out."))
                return redirect("portal:unit", pk=unit.pk)
            if move_in.is_valid():
                data = move_in.cleaned_data
                occupancy = services.person_move_in(
                    unit_id=unit.pk,
                    name=data["name"],
                    phone=data["phone"],
                    id_number=data["id_number"],
                    birthday=data["birthday"],
                    role=data["role"],
                    start_date=data["start_date"],
                    scope=scope,
                )
                messages.success(request, _("%(name)s moved in.") % {"name": occupancy.person.name})
                return redirect("portal:unit", pk=unit.pk)
        except (ApplicationError, ValueError) as error:
            if isinstance(error, ApplicationError):
                add_service_errors(move_in, error)
            else:
                messages.error(request, _("Write dates as 2024-05-01."))
    return render(
        request,
        "portal/staff/registry/unit.html",
        {
            "unit": unit,
            "sections": unit_sections_for(unit, request.membership),
            "move_in": move_in,
            "can_write": perms.REGISTRY_WRITE.granted_to(request.membership),
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.REGISTRY_READ)
def people(request: CompanyRequest) -> HttpResponse:
    qs = selectors.person_list(scope=scope_of(request), q=request.GET.get("q", "")).order_by("name", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/staff/registry/people.html",
        {"page": page, "query": query.urlencode(), "q": request.GET.get("q", "")},
    )


@permission_required(perms.REGISTRY_READ)
@require_http_methods(["GET", "POST"])
def person_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(scope=scope_of(request), person_id=pk)
    if person is None:
        raise Http404
    full_view = perms.PERSONAL_DATA_FULL.granted_to(request.membership)
    revealed = None
    if request.method == "POST":
        if not full_view:
            raise Http404
        revealed = services.person_reveal(person=person, field="id_number")
    from backend.properties.models import Occupancy

    return render(
        request,
        "portal/staff/registry/person.html",
        {
            "person": person,
            "full_view": full_view,
            "revealed_id": revealed,
            "occupancies": Occupancy.objects.filter(person=person).select_related("unit"),
        },
    )


@permission_required(perms.REGISTRY_READ)
@require_http_methods(["GET", "POST"])
def bindings(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    if request.method == "POST":
        if not perms.BINDING_REVIEW.granted_to(request.membership):
            raise Http404
        try:
            pk = int(request.POST.get("request", "0"))
            if request.POST.get("decision") == "approve":
                services.binding_request_approve(
                    request_id=pk, by=request.user, scope=scope, note=request.POST.get("note", "")
                )
                messages.success(request, _("Approved. The resident has been told."))
            else:
                services.binding_request_reject(
                    request_id=pk, by=request.user, scope=scope, note=request.POST.get("note", "")
                )
                messages.success(request, _("Rejected. The resident has been told why."))
        except ApplicationError as error:
            messages.error(request, error.text)
        return redirect("portal:bindings")
    status_filter = request.GET.get("status", BindingRequest.Status.PENDING)
    qs = selectors.binding_request_list(scope=scope, status=status_filter)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    from backend.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=[b.user_id for b in page])}
    for b in page:
        b.requester = users.get(b.user_id)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/staff/registry/bindings.html",
        {"page": page, "status": status_filter, "query": f"status={status_filter}"},
    )


@permission_required(perms.BINDING_REVIEW)
def binding_document(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A binding request's document, for staff whose scope covers the unit (the file is never public)."""
    binding = selectors.binding_request_list(scope=scope_of(request)).filter(pk=pk).first()
    if binding is None:
        raise Http404
    return upload_response(binding.document, kind=BINDING_DOCUMENT, download_name=f"binding-{binding.pk}")


@permission_required(perms.REGISTRY_IMPORT)
@require_http_methods(["GET", "POST"])
def import_page(request: CompanyRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and request.membership is not None:
        try:
            job = imports.import_job_start(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                membership_id=request.membership.pk,
                user_id=request.user.pk,
                scope=scope_of(request),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if job.status == ImportJob.Status.QUEUED:
                messages.info(request, _("Importing %(n)s rows in the background…") % {"n": job.total_rows})
            elif job.status == ImportJob.Status.DONE:
                messages.success(
                    request,
                    _("Imported: %(c)s new, %(u)s changed, %(s)s unchanged.")
                    % {"c": job.created_count, "u": job.updated_count, "s": job.unchanged_count},
                )
            else:
                messages.error(
                    request, _("Nothing was imported: the file has %(n)s problem(s).") % {"n": len(job.errors)}
                )
            return redirect(f"{reverse('portal:imports')}?job={job.pk}")
    jobs = ImportJob.objects.filter(created_by_id=request.user.pk)[:10]
    current = None
    if request.GET.get("job"):
        current = ImportJob.objects.filter(pk=request.GET["job"], created_by_id=request.user.pk).first()
    return render(
        request,
        "portal/staff/registry/imports.html",
        {"form": form, "jobs": jobs, "current": current},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.REGISTRY_IMPORT)
def import_status(request: CompanyRequest, pk: int) -> JsonResponse:
    job = ImportJob.objects.filter(pk=pk, created_by_id=request.user.pk).first()
    if job is None:
        raise Http404
    return JsonResponse(
        {
            "job": job.pk,
            "status": job.status,
            "processed": job.processed_rows,
            "total": job.total_rows,
            "errors": len(job.errors),
        }
    )


@permission_required(perms.REGISTRY_IMPORT)
def import_template(request: CompanyRequest, kind: str) -> HttpResponse:
    if kind not in sheets.COLUMNS:
        raise Http404
    return _xlsx(sheets.template_xlsx(kind), f"template-{kind}")


@permission_required(perms.REGISTRY_READ)
def search(request: CompanyRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    hits = selectors.registry_search(scope=scope_of(request), q=q)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/staff/registry/_search_results.html", {"hits": hits, "q": q})
    return render(request, "portal/staff/registry/search.html", {"hits": hits, "q": q})
