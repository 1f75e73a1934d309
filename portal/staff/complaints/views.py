"""Customer service's complaint pages (phone friendly): the work queue (mine, my team's open ones, new ones not
yet taken, revisits due, closed; breaches first, then the soonest due), a call / walk-in / letter intake, one
complaint with its clocks, its timeline and the steps (take, give to a colleague, classify, escalate, wait,
answer, resolve with the outcome told, revisit, withdraw), and the monthly cause analysis with its chart.
Every step is one service call (backend.desk.complaints); complaints are found through the scoped selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.accounts.models import User
from backend.desk import complaints as services
from backend.desk.complaint_models import (
    EVENT_LABELS,
    OPEN_COMPLAINT,
    Cause,
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    Department,
    Level,
    Severity,
    ToldVia,
)
from backend.desk.complaint_selectors import QUEUES, complaint_analysis, complaint_get, complaint_queue, month_parse
from backend.errors import ApplicationError
from backend.properties.models import Estate
from portal.access import permission_required
from portal.common.forms import DATE_INPUT, add_service_errors
from portal.common.scope import scope_of, units_in_scope
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .charts import hbars

TEMPLATES = "portal/staff/complaints"
SHOWN = 100


def _today() -> dt.date:
    return timezone.now().astimezone(company_time_zone()).date()


@permission_required(perms.COMPLAINTS)
def queue(request: CompanyRequest) -> HttpResponse:
    tab = request.GET.get("tab") or "team"
    if tab not in QUEUES:
        tab = "team"
    rows = list(
        complaint_queue(scope=scope_of(request), user=request.user, queue=tab).select_related("estate", "unit")[:SHOWN]
    )
    return render(request, f"{TEMPLATES}/queue.html", {"tab": tab, "tabs": QUEUES, "complaints": rows})


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[(c.value, c.label) for c in ComplaintChannel if c != ComplaintChannel.APP],
    )
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Severity.choices, initial=Severity.MINOR)
    cause = forms.ChoiceField(label=gettext_lazy("About"), choices=Cause.choices)
    department = forms.ChoiceField(
        label=gettext_lazy("Department concerned"), choices=[("", "—"), *Department.choices], required=False
    )
    unit = forms.TypedChoiceField(label=gettext_lazy("Home"), coerce=int, required=False, empty_value=None)
    estate = forms.TypedChoiceField(
        label=gettext_lazy("Estate (not about a home)"), coerce=int, required=False, empty_value=None
    )
    location = forms.CharField(label=gettext_lazy("Where"), max_length=100, required=False)
    description = forms.CharField(label=gettext_lazy("What happened"), max_length=2000, widget=forms.Textarea)
    wanted = forms.CharField(label=gettext_lazy("What the resident asks for"), max_length=500, required=False)
    contact_name = forms.CharField(label=gettext_lazy("Contact"), max_length=60)
    contact_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    resident_deadline = forms.DateField(
        label=gettext_lazy("The resident's deadline (minor)"), required=False, widget=DATE_INPUT
    )

    def __init__(self, *args: Any, request: CompanyRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_in_scope(request).order_by("label")[:2000]
        self.fields["unit"].choices = [("", "—"), *[(u.pk, u.label) for u in units]]  # type: ignore[attr-defined]
        estates = Estate.objects.filter(scope_of(request).estate_q()).order_by("name")
        self.fields["estate"].choices = [("", "—"), *[(e.pk, e.name) for e in estates]]  # type: ignore[attr-defined]


@permission_required(perms.COMPLAINTS)
@require_http_methods(["GET", "POST"])
def intake(request: CompanyRequest) -> HttpResponse:
    form = IntakeForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_intake(
                by=request.user,
                scope=scope_of(request),
                channel=data["channel"],
                severity=data["severity"],
                cause=data["cause"],
                department=data["department"],
                description=data["description"],
                wanted=data["wanted"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                unit_id=data["unit"],
                estate_id=data["estate"],
                location=data["location"],
                resident_deadline=data["resident_deadline"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Complaint %(code)s recorded.") % {"code": complaint.code})
            return redirect("portal:staff-complaint", pk=complaint.pk)
    return render(request, f"{TEMPLATES}/intake.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _complaint_or_404(request: CompanyRequest, pk: int) -> Complaint:
    scope = scope_of(request)
    complaint = complaint_get(scope=scope, complaint_id=pk)
    if complaint is None or scope.is_resident:
        raise Http404
    return complaint


def _handlers(complaint: Complaint) -> list[User]:
    ids = set(services.staff_of(complaint, services.HANDLER_ROLES))
    return list(User.objects.filter(pk__in=ids).order_by("name", "pk"))


@permission_required(perms.COMPLAINTS)
def complaint_page(request: CompanyRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    is_open = complaint.status in OPEN_COMPLAINT
    return render(
        request,
        f"{TEMPLATES}/complaint.html",
        {
            "c": complaint,
            "events": [(e, EVENT_LABELS.get(e.kind, e.kind)) for e in complaint.events.select_related("by")],
            "is_open": is_open,
            "handlers": _handlers(complaint) if is_open else [],
            "levels": [(v, label) for v, label in Level.choices if v > complaint.level],
            "severities": Severity.choices,
            "causes": Cause.choices,
            "departments": Department.choices,
            "told_choices": [
                (v, label) for v, label in ToldVia.choices if v != ToldVia.APP or complaint.complainant_id
            ],
            "Status": ComplaintStatus,
            "severity_needs": Level(complaint.required_level).label,
        },
    )


@permission_required(perms.COMPLAINTS)
@require_POST
def complaint_step(request: CompanyRequest, pk: int, step: str) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    user, post = request.user, request.POST
    try:
        if step == "take":
            services.complaint_assign(complaint=complaint, handler=user, by=user)
        elif step == "assign":
            handler = User.objects.filter(pk=post.get("handler") or 0).first()
            if handler is None:
                raise ApplicationError.for_fields({"handler": [_("Choose who handles it.")]})
            services.complaint_assign(complaint=complaint, handler=handler, by=user)
        elif step == "classify":
            services.complaint_classify(
                complaint=complaint,
                by=user,
                severity=post.get("severity", ""),
                cause=post.get("cause", ""),
                department=post.get("department", ""),
            )
        elif step == "escalate":
            try:
                to = int(post.get("to") or 0)
            except ValueError:
                to = 0
            services.complaint_escalate(complaint=complaint, by=user, to=to, note=post.get("note", ""))
        elif step == "wait":
            services.complaint_wait(complaint=complaint, by=user, reason=post.get("reason", ""))
        elif step == "resume":
            services.complaint_resume(complaint=complaint, by=user)
        elif step == "answer":
            services.complaint_answer(complaint=complaint, by=user, answer=post.get("answer", ""))
        elif step == "resolve":
            services.complaint_resolve(
                complaint=complaint,
                by=user,
                outcome=post.get("outcome", ""),
                root_cause=post.get("root_cause", ""),
                told_via=post.get("told_via", ""),
            )
        elif step == "revisit":
            score = post.get("score") or None
            services.complaint_revisit(
                complaint=complaint,
                by=user,
                satisfied=post.get("satisfied") == "1",
                note=post.get("note", ""),
                score=int(score) if score and score.isdigit() else None,
            )
        elif step == "withdraw":
            services.complaint_withdraw(complaint=complaint, by=user, reason=post.get("reason", ""), resident=False)
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.text)
    else:
        messages.success(request, _("Done."))
    return redirect("portal:staff-complaint", pk=complaint.pk)


@permission_required(perms.COMPLAINTS)
def analysis(request: CompanyRequest) -> HttpResponse:
    """客户投诉分析: the month's complaints by cause (against the month before, charted), department and
    severity; the homes complained about again; limits kept; satisfaction."""
    month = month_parse(request.GET.get("month"), _today())
    result = complaint_analysis(scope=scope_of(request), month=month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    chart = hbars(
        [(r.label, r.count, r.previous) for r in result.by_cause if r.count or r.previous],
        legend=(month.strftime("%Y-%m"), previous.strftime("%Y-%m")),
    )
    return render(
        request,
        f"{TEMPLATES}/analysis.html",
        {
            "a": result,
            "month": month.strftime("%Y-%m"),
            "previous": previous.strftime("%Y-%m"),
            "next": (month + dt.timedelta(days=32)).replace(day=1).strftime("%Y-%m"),
            "chart": chart if chart.bars else None,
        },
    )
