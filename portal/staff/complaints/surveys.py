"""Satisfaction pages for customer service: the ratings of repairs and complaints by estate for a month (with
a chart), and the company's surveys (满意度调查): the list, a new one (estates or buildings of the caller's
scope, its questions one a line), and one survey sent, closed and read back by estate (with a chart)."""

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
from backend.desk import surveys as services
from backend.desk.complaint_selectors import month_bounds, month_parse
from backend.desk.survey_models import QuestionKind, Survey, SurveyStatus
from backend.errors import ApplicationError
from backend.properties.models import Building, Estate
from portal.access import permission_required
from portal.common.forms import DATE_INPUT, add_service_errors
from portal.common.scope import scope_of
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .charts import hbars

TEMPLATES = "portal/staff/complaints"
PREFIXES = {
    "rating": QuestionKind.RATING,
    "评分": QuestionKind.RATING,
    "choice": QuestionKind.CHOICE,
    "单选": QuestionKind.CHOICE,
    "text": QuestionKind.TEXT,
    "文字": QuestionKind.TEXT,
}


@permission_required(perms.SURVEYS)
def satisfaction(request: CompanyRequest) -> HttpResponse:
    today = timezone.now().astimezone(company_time_zone()).date()
    month = month_parse(request.GET.get("month"), today)
    start, end = month_bounds(month)
    rows = services.satisfaction_by_estate(scope=scope_of(request), start=start, end=end)
    rated = [r for r in rows if r.repairs or r.complaints]
    chart = hbars(
        [(r.estate.name, r.repair_average or 0, r.complaint_average or 0) for r in rated],
        maximum=5,
        legend=(_("Repairs"), _("Complaints")),
    )
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return render(
        request,
        f"{TEMPLATES}/satisfaction.html",
        {
            "rows": rows,
            "chart": chart if rated else None,
            "month": month.strftime("%Y-%m"),
            "previous": previous.strftime("%Y-%m"),
            "next": (month + dt.timedelta(days=32)).replace(day=1).strftime("%Y-%m"),
        },
    )


@permission_required(perms.SURVEYS)
def survey_list(request: CompanyRequest) -> HttpResponse:
    surveys = list(services.surveys_visible(scope=scope_of(request)).prefetch_related("estates")[:100])
    return render(request, f"{TEMPLATES}/surveys.html", {"surveys": surveys})


def questions_parse(text: str) -> list[dict[str, Any]]:
    """One question a line: "评分: 服务态度" (or no prefix) a rating 1–5; "单选: 问题 | 甲 | 乙" one of the
    choices; "文字: 问题" free text. English prefixes rating/choice/text too."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        kind, rest = QuestionKind.RATING, line
        head, sep, tail = line.replace("：", ":").partition(":")
        if sep and head.strip().lower() in PREFIXES:
            kind, rest = PREFIXES[head.strip().lower()], tail.strip()
        parts = [p.strip() for p in rest.replace("｜", "|").split("|")]
        out.append({"text": parts[0], "kind": kind, "choices": parts[1:], "required": kind != QuestionKind.TEXT})
    return out


class SurveyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    intro = forms.CharField(label=gettext_lazy("Introduction"), max_length=1000, required=False, widget=forms.Textarea)
    estates = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Estates"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    buildings = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Only these buildings (none: every building)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    closes_on = forms.DateField(label=gettext_lazy("Closes on"), required=False, widget=DATE_INPUT)
    questions = forms.CharField(
        label=gettext_lazy(
            "Questions, one a line: 评分: question (a rating 1–5), 单选: question | choice | choice, 文字: question"
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, request: CompanyRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        estates = list(Estate.objects.filter(scope_of(request).estate_q()).order_by("name"))
        self.fields["estates"].choices = [(e.pk, e.name) for e in estates]  # type: ignore[attr-defined]
        buildings = (
            Building.objects.filter(estate__in=estates).select_related("estate").order_by("estate__name", "name")
        )
        self.fields["buildings"].choices = [  # type: ignore[attr-defined]
            (b.pk, f"{b.estate.name} {b.name}") for b in buildings[:500]
        ]


@permission_required(perms.SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_new(request: CompanyRequest) -> HttpResponse:
    form = SurveyForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                by=request.user,
                scope=scope_of(request),
                title=data["title"],
                intro=data["intro"],
                estate_ids=data["estates"],
                building_ids=data["buildings"],
                closes_on=data["closes_on"],
                questions=questions_parse(data["questions"]),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Survey saved as a draft: check it, then send it."))
            return redirect("portal:staff-survey", pk=survey.pk)
    return render(
        request, f"{TEMPLATES}/survey_new.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


def _survey_or_404(request: CompanyRequest, pk: int) -> Survey:
    scope = scope_of(request)
    survey = services.survey_get(scope=scope, survey_id=pk)
    if survey is None or scope.is_resident:
        raise Http404
    return survey


@permission_required(perms.SURVEYS)
def survey_page(request: CompanyRequest, pk: int) -> HttpResponse:
    survey = _survey_or_404(request, pk)
    results = services.survey_results(survey=survey, scope=scope_of(request))
    chart = hbars(
        [(r.estate.name, r.average or 0, None) for r in results.estates], maximum=5, legend=(_("Average rating"), "")
    )
    return render(
        request,
        f"{TEMPLATES}/survey.html",
        {
            "survey": survey,
            "r": results,
            "chart": chart if any(r.responses for r in results.estates) else None,
            "buildings": list(survey.buildings.select_related("estate")),
            "choice_rows": [(q, results.choices[q.pk]) for q in results.questions if q.pk in results.choices],
            "text_rows": [(q, results.texts[q.pk]) for q in results.questions if q.pk in results.texts],
            "Status": SurveyStatus,
        },
    )


@permission_required(perms.SURVEYS)
@require_POST
def survey_step(request: CompanyRequest, pk: int, step: str) -> HttpResponse:
    survey = _survey_or_404(request, pk)
    try:
        if step == "open":
            services.survey_open(survey=survey, by=request.user, scope=scope_of(request))
        elif step == "close":
            services.survey_close(survey=survey, by=request.user, scope=scope_of(request))
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done."))
    return redirect("portal:staff-survey", pk=survey.pk)
