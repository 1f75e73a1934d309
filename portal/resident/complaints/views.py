"""The resident's complaints and surveys (phone first): file a complaint about their home or estate (what it is
about, what happened, what they ask for, a deadline of their own), my complaints, one with its progress and
outcome where they rate how it was handled or withdraw it; and the surveys sent to their homes, answered once
per home. Only their own complaints and their homes' surveys are found."""

from __future__ import annotations

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
from backend.desk import complaints as services
from backend.desk import surveys
from backend.desk.complaint_models import EVENT_LABELS, OPEN_COMPLAINT, Cause, Complaint, ComplaintStatus
from backend.desk.complaint_selectors import complaints_visible
from backend.desk.survey_models import QuestionKind, Survey, SurveyResponse
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from portal.access import permission_required
from portal.common.forms import DATE_INPUT, add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/complaints"
STARS = [("", "—"), *[(str(n), "★" * n) for n in range(5, 0, -1)]]


class ComplaintForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Which home"), coerce=int)
    cause = forms.ChoiceField(label=gettext_lazy("About"), choices=Cause.choices)
    description = forms.CharField(label=gettext_lazy("What happened"), max_length=2000, widget=forms.Textarea)
    location = forms.CharField(label=gettext_lazy("Where (when not in your home)"), max_length=100, required=False)
    wanted = forms.CharField(label=gettext_lazy("What you ask for"), max_length=500, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    resident_deadline = forms.DateField(
        label=gettext_lazy("Settled by (if you need it sooner or later than 2 days)"), required=False, widget=DATE_INPUT
    )

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.label) for u in units]  # type: ignore[attr-defined]


@permission_required(perms.COMPLAIN)
def complaints(request: CompanyRequest) -> HttpResponse:
    mine = complaints_visible(scope=scope_of(request)).select_related("unit").order_by("-created_at", "-pk")
    return render(request, f"{TEMPLATES}/list.html", {"complaints": list(mine[:100])})


@permission_required(perms.COMPLAIN)
@require_http_methods(["GET", "POST"])
def complaint_new(request: CompanyRequest) -> HttpResponse:
    units = list(resident_units(user_id=request.user.pk))
    form = ComplaintForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"contact_phone": getattr(request.user, "phone", "") or ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_file(
                user=request.user,
                unit_id=data["unit"],
                cause=data["cause"],
                description=data["description"],
                location=data["location"],
                wanted=data["wanted"],
                contact_phone=data["contact_phone"],
                resident_deadline=data["resident_deadline"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Complaint %(code)s registered: we will get back to you.") % {"code": complaint.code}
            )
            return redirect("portal:resident-complaint", pk=complaint.pk)
    return render(
        request,
        f"{TEMPLATES}/new.html",
        {"form": form, "has_homes": bool(units)},
        status=400 if request.method == "POST" else 200,
    )


def _complaint_or_404(request: CompanyRequest, pk: int) -> Complaint:
    complaint = complaints_visible(scope=scope_of(request)).select_related("unit", "estate").filter(pk=pk).first()
    if complaint is None:
        raise Http404
    return complaint


@permission_required(perms.COMPLAIN)
def complaint(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _complaint_or_404(request, pk)
    # What the complainant sees of the timeline: the steps, not staff's internal notes.
    shown = ("filed", "assigned", "waiting", "resumed", "answered", "resolved", "rated", "revisited", "reopened")
    return render(
        request,
        f"{TEMPLATES}/complaint.html",
        {
            "c": found,
            "events": [(e, EVENT_LABELS.get(e.kind, e.kind)) for e in found.events.filter(kind__in=shown)],
            "can_rate": found.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED) and found.rating is None,
            "can_withdraw": found.status in OPEN_COMPLAINT,
            "stars": STARS[1:],
        },
    )


@permission_required(perms.COMPLAIN)
@require_POST
def complaint_step(request: CompanyRequest, pk: int, step: str) -> HttpResponse:
    found = _complaint_or_404(request, pk)
    try:
        if step == "rate":
            score = request.POST.get("score") or ""
            services.complaint_rate(
                complaint=found,
                user=request.user,
                score=int(score) if score.isdigit() else 0,
                comment=request.POST.get("comment", ""),
            )
        elif step == "withdraw":
            services.complaint_withdraw(
                complaint=found,
                by=request.user,
                reason=request.POST.get("reason") or _("Settled by myself"),
                resident=True,
            )
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.text)
    else:
        messages.success(request, _("Thank you."))
    return redirect("portal:resident-complaint", pk=found.pk)


# --- surveys ---------------------------------------------------------------------------------------------------


@permission_required(perms.SURVEY_ANSWER)
def survey_list(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    found = list(surveys.surveys_visible(scope=scope_of(request)).order_by("-opened_at", "-pk")[:50])
    answered = set(
        SurveyResponse.objects.filter(survey__in=found, user=request.user).values_list("survey_id", flat=True)
    )
    rows = [(s, surveys.survey_is_open(s, now), s.pk in answered) for s in found]
    return render(request, f"{TEMPLATES}/surveys.html", {"rows": rows})


def _survey_or_404(request: CompanyRequest, pk: int) -> Survey:
    found = surveys.survey_get(scope=scope_of(request), survey_id=pk)
    if found is None:
        raise Http404
    return found


@permission_required(perms.SURVEY_ANSWER)
@require_http_methods(["GET", "POST"])
def survey(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _survey_or_404(request, pk)
    homes = list(surveys.survey_homes_of(found, request.user))
    done = set(SurveyResponse.objects.filter(survey=found, unit__in=homes).values_list("unit_id", flat=True))
    to_answer = [u for u in homes if u.pk not in done]
    questions = list(found.questions.all())
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        unit = request.POST.get("unit") or ""
        answers = {q.pk: request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            surveys.survey_answer(
                survey=found, user=request.user, unit_id=int(unit) if unit.isdigit() else 0, answers=answers
            )
        except ApplicationError as error:
            errors = error.fields or {"": [error.message]}
        else:
            messages.success(request, _("Thank you for your answers."))
            return redirect("portal:resident-surveys")
    return render(
        request,
        f"{TEMPLATES}/survey.html",
        {
            "survey": found,
            "questions": [(q, (errors.get(f"q{q.pk}") or [""])[0]) for q in questions],
            "homes": to_answer,
            "open": surveys.survey_is_open(found, timezone.now()),
            "errors": [m for k, ms in errors.items() if not k.startswith("q") for m in ms],
            "stars": STARS[1:],
            "Kind": QuestionKind,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=400 if errors else 200,
    )
