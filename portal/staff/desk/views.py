"""The service desk's staff pages (phone friendly): the work queue (an engineer's own tickets, the team's open
tickets of the caller's scope, the pool waiting for dispatch, revisits due; breaches first, then the soonest
due), the dispatch board (the pool beside each engineer's load), a call or walk-in intake, and one ticket with
its timeline and the steps the caller may take. Every step is one service call (backend.desk.services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.desk import services
from backend.desk.models import (
    LOAD_STATUSES,
    Channel,
    DeskSettings,
    Place,
    Priority,
    RevisitRule,
    Status,
    Ticket,
    TicketPhoto,
)
from backend.desk.selectors import (
    categories_active,
    queue_mine,
    queue_pool,
    queue_team,
    revisits_due,
    ticket_get,
    tickets_visible,
)
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import REPAIR_PHOTO
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of, units_in_scope
from tenants.db import connection
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/desk"
SHOWN = 100
TABS = ("mine", "team", "pool", "revisits")
DISPATCHABLE = (Status.NEW, Status.ASSIGNED)


def _engineers(scope: Scope | None = None) -> list[tuple[User, int]]:
    """The company's engineers with their open load, lightest first; with a dispatcher's `scope`, only those
    who work there (all offices, or one of the scope's offices or estates)."""
    members = Membership.objects.filter(tenant=connection.tenant, is_active=True, roles__contains=[Role.ENGINEER])
    if scope is not None and not scope.all_offices:
        members = members.filter(
            Q(scope_all=True)
            | Q(scope_office_ids__overlap=list(scope.office_ids))
            | Q(scope_estate_ids__overlap=list(scope.estate_ids))
        )
    ids = list(members.values_list("user_id", flat=True))
    loads = dict(
        Ticket.objects.filter(assignee_id__in=ids, status__in=LOAD_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    users = sorted(User.objects.filter(pk__in=ids), key=lambda u: (loads.get(u.pk, 0), u.pk))
    return [(u, loads.get(u.pk, 0)) for u in users]


@permission_required(perms.DESK_QUEUE)
def queue(request: CompanyRequest) -> HttpResponse:
    engineer = perms.DESK_WORK.granted_to(request.membership)
    default = "mine" if engineer else "team"
    tab = request.GET.get("tab") or default
    if tab not in TABS:
        tab = default
    scope = scope_of(request)
    if scope.is_resident:
        raise Http404
    qs: Any
    if tab == "mine":
        qs = queue_mine(user=request.user)
    elif tab == "team":
        qs = queue_team(scope=scope)
    elif tab == "pool":
        qs = queue_pool(scope=scope)
    else:
        qs = revisits_due(scope=scope)
    tickets = list(qs.select_related("category", "unit", "estate")[:SHOWN])
    return render(
        request,
        f"{TEMPLATES}/queue.html",
        {"tab": tab, "tabs": TABS, "tickets": tickets, "engineer": engineer},
    )


@permission_required(perms.DESK_DISPATCH)
def board(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    pool = list(queue_pool(scope=scope).select_related("category", "unit", "estate")[:SHOWN])
    return render(
        request,
        f"{TEMPLATES}/board.html",
        {"pool": pool, "engineers": _engineers(scope), "cap": DeskSettings.load().engineer_open_cap},
    )


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    place = forms.ChoiceField(label=gettext_lazy("Where"), choices=Place.choices)
    unit = forms.TypedChoiceField(label=gettext_lazy("Home"), coerce=int, required=False, empty_value=None)
    estate = forms.TypedChoiceField(
        label=gettext_lazy("Estate (public area)"), coerce=int, required=False, empty_value=None
    )
    location = forms.CharField(label=gettext_lazy("Location"), max_length=100, required=False)
    description = forms.CharField(label=gettext_lazy("What is wrong"), max_length=1000, widget=forms.Textarea)
    contact_name = forms.CharField(label=gettext_lazy("Contact"), max_length=60)
    contact_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    preferred_time = forms.CharField(label=gettext_lazy("Preferred time"), max_length=60, required=False)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=[("", gettext_lazy("The category's")), *Priority.choices],
        required=False,
    )

    def __init__(self, *args: Any, request: CompanyRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from backend.properties.models import Estate

        self.fields["category"].choices = [(c.pk, c.name) for c in categories_active()]  # type: ignore[attr-defined]
        units = units_in_scope(request).order_by("label")[:2000]
        self.fields["unit"].choices = [("", "—"), *[(u.pk, u.label) for u in units]]  # type: ignore[attr-defined]
        estates = Estate.objects.filter(scope_of(request).estate_q()).order_by("name")
        self.fields["estate"].choices = [("", "—"), *[(e.pk, e.name) for e in estates]]  # type: ignore[attr-defined]


@permission_required(perms.DESK_DISPATCH)
@require_http_methods(["GET", "POST"])
def intake(request: CompanyRequest) -> HttpResponse:
    form = IntakeForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = categories_active().filter(pk=data["category"]).first()
        try:
            if category is None:
                raise ApplicationError.for_fields({"category": [_("Choose a category.")]})
            ticket = services.ticket_intake(
                by=request.user,
                scope=scope_of(request),
                category=category,
                channel=data["channel"],
                description=data["description"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                place=data["place"],
                unit_id=data["unit"] if data["place"] == Place.IN_UNIT else None,
                estate_id=data["estate"],
                location=data["location"],
                preferred_time=data["preferred_time"],
                priority=data["priority"] or None,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Repair %(code)s recorded.") % {"code": ticket.code})
            return redirect("portal:staff-desk-ticket", pk=ticket.pk)
    return render(request, f"{TEMPLATES}/intake.html", {"form": form}, status=400 if request.method == "POST" else 200)


class FinishForm(forms.Form):
    photo1 = UploadFormField(kind=REPAIR_PHOTO, label=gettext_lazy("Photo after"))
    photo2 = UploadFormField(kind=REPAIR_PHOTO, label=gettext_lazy("Photo after"), required=False)
    materials = forms.CharField(
        label=gettext_lazy("Materials used, one a line: name, quantity, unit price in yuan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    labour = forms.DecimalField(label=gettext_lazy("Labour (¥)"), min_value=0, decimal_places=2, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


def materials_parse(text: str) -> list[dict[str, Any]]:
    """ "名称, 数量, 单价(元)" a line → [{"name", "quantity", "price_fen"}] (a bad line: an error naming it)."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        try:
            name, quantity, price = parts[0], int(parts[1]), round(float(parts[2]) * 100)
        except (IndexError, ValueError):
            raise ApplicationError.for_fields(
                {"materials": [_("Line %(n)s: write name, quantity, unit price.") % {"n": number}]}
            ) from None
        rows.append({"name": name, "quantity": quantity, "price_fen": price})
    return rows


def _ticket_or_404(request: CompanyRequest, pk: int) -> Ticket:
    ticket = ticket_get(scope=scope_of(request), ticket_id=pk)
    if ticket is None or scope_of(request).is_resident:
        raise Http404
    return ticket


@permission_required(perms.DESK_QUEUE)
def ticket_page(request: CompanyRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    dispatcher = perms.DESK_DISPATCH.granted_to(request.membership)
    mine = ticket.assignee_id == request.user.pk
    return render(
        request,
        f"{TEMPLATES}/ticket.html",
        {
            "ticket": ticket,
            "events": list(ticket.events.all()),
            "photos": list(ticket.photos.all()),
            "dispatcher": dispatcher,
            "engineer": perms.DESK_WORK.granted_to(request.membership),
            "mine": mine,
            "engineers": _engineers(scope_of(request))
            if dispatcher and ticket.status in (Status.NEW, Status.ASSIGNED)
            else [],
            "finish_form": FinishForm() if mine and ticket.status == Status.IN_PROGRESS else None,
            "is_leak": ticket.category.revisit_rule == RevisitRule.LEAK,
            "Status": Status,
        },
    )


ENGINEER_STEPS = {"grab", "accept", "decline", "on_the_way", "start", "finish", "leak_test"}
DISPATCH_STEPS = {"assign", "revisit", "cancel"}


@permission_required(perms.DESK_QUEUE)
@require_POST
def ticket_step(request: CompanyRequest, pk: int, step: str) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    membership, user, post = request.membership, request.user, request.POST
    if step in ENGINEER_STEPS and not perms.DESK_WORK.granted_to(membership):
        raise Http404
    if step in DISPATCH_STEPS and not perms.DESK_DISPATCH.granted_to(membership):
        raise Http404
    try:
        if step == "assign":
            engineer = User.objects.filter(pk=post.get("engineer") or 0).first()
            if engineer is None:
                raise ApplicationError.for_fields({"engineer": [_("Choose an engineer.")]})
            services.ticket_assign(ticket=ticket, engineer=engineer, by=user)
        elif step == "grab":
            services.ticket_grab(ticket=ticket, engineer=user)
        elif step == "accept":
            services.ticket_accept(ticket=ticket, engineer=user)
        elif step == "decline":
            services.ticket_decline(ticket=ticket, engineer=user, reason=post.get("reason", ""))
        elif step == "on_the_way":
            services.ticket_on_the_way(ticket=ticket, engineer=user)
        elif step == "start":
            services.ticket_start(ticket=ticket, engineer=user)
        elif step == "wait":
            services.ticket_wait(ticket=ticket, by=user, reason=post.get("reason", ""))
        elif step == "resume":
            services.ticket_resume(ticket=ticket, by=user)
        elif step == "finish":
            form = FinishForm(post, request.FILES)
            if not form.is_valid():
                raise ApplicationError.for_fields({k: [str(m) for m in v] for k, v in form.errors.items()})
            data = form.cleaned_data
            services.ticket_finish(
                ticket=ticket,
                engineer=user,
                photos=[p for p in (data["photo1"], data.get("photo2")) if p],
                materials=materials_parse(data["materials"]),
                labour_fen=round((data["labour"] or 0) * 100),
                note=data["note"],
            )
        elif step == "leak_test":
            services.leak_test_record(ticket=ticket, by=user)
        elif step == "revisit":
            rating = post.get("rating") or ""
            services.ticket_revisit(
                ticket=ticket,
                by=user,
                fixed=post.get("fixed") == "1",
                note=post.get("note", ""),
                rating=int(rating) if rating.isdigit() else None,
            )
        elif step == "cancel":
            services.ticket_cancel(ticket=ticket, by=user, reason=post.get("reason", ""))
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.text)
    else:
        messages.success(request, _("Done."))
    if step == "grab":
        return redirect("portal:staff-desk-ticket", pk=ticket.pk)
    return redirect(post.get("next") or f"/staff/desk/tickets/{ticket.pk}/")


@permission_required(perms.DESK_QUEUE)
def photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A photo of a repair of the caller's scope (served through backend.uploads, sniffed again)."""
    scope = scope_of(request)
    found = TicketPhoto.objects.filter(pk=pk, ticket__in=tickets_visible(scope=scope)).first()
    if found is None or scope.is_resident:
        raise Http404
    return upload_response(found.image, kind=REPAIR_PHOTO, download_name=f"repair-{found.ticket_id}-{found.pk}")
