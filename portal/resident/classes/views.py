"""Training classes (培训班) for residents: the classes open to their homes, a class's page with enrolment (for
which home, for whom), the fee paid through the ordinary pay page, their enrolments and withdrawal (the refund
policy and the amount said before confirming).

A resident sees the published classes of the facilities their homes may book and their own enrolments, by the
scoped selectors (another's enrolment, a draft, another estate's class: 404). Writes go through
backend/club/classes_money.py; its refusals (full, closed, arrears, suspended) are shown on the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.money import yuan
from backend.club import classes_money as money
from backend.club.classes_selectors import class_get, class_list, enrolment_get, enrolment_list
from backend.club.models import ClassSession, ClassStatus, Enrolment, EnrolmentStatus, TrainingClass
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from backend.properties.selectors import resident_units
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.resident.classes.forms import EnrolForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/classes"


def _scope(request: CompanyRequest) -> Scope:
    """Always the resident's own view, whatever staff roles the person also holds."""
    return Scope(all_offices=False, resident_user_id=request.user.pk)


def _scheduled() -> Prefetch:
    return Prefetch(
        "sessions",
        queryset=ClassSession.objects.filter(status=ClassSession.Status.SCHEDULED).order_by("starts_at", "id"),
        to_attr="scheduled",
    )


def pay_url(enrolment: Enrolment) -> str | None:
    """The pay page for the enrolment's fee, while it is owed (None when there is nothing to pay)."""
    if enrolment.status != EnrolmentStatus.ENROLLED or enrolment.paid_at is not None or enrolment.charge_id is None:
        return None
    return f"{reverse('portal:resident-pay')}?{urlencode({'unit': enrolment.unit_id, 'lines': enrolment.charge_id})}"


def _rows(enrolments: Any) -> list[dict[str, Any]]:
    return [{"e": e, "pay_url": pay_url(e)} for e in enrolments]


@permission_required(perms.CLUB_CLASS_ENROL)
def open_classes(request: CompanyRequest) -> HttpResponse:
    qs = class_list(scope=_scope(request), status=ClassStatus.OPEN).prefetch_related(_scheduled())
    return render(request, f"{TEMPLATES}/list.html", {"classes": list(qs[:100])})


def _class_or_404(request: CompanyRequest, pk: int) -> TrainingClass:
    klass = class_get(scope=_scope(request), class_id=pk)
    if klass is None:
        raise Http404
    return klass


@permission_required(perms.CLUB_CLASS_ENROL)
@require_http_methods(["GET", "POST"])
def class_page(request: CompanyRequest, pk: int) -> HttpResponse:
    klass = _class_or_404(request, pk)
    homes = list(resident_units(user_id=request.user.pk).select_related("estate"))
    form = EnrolForm(request.POST or None, homes=homes)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            unit = next(h for h in homes if h.pk == form.cleaned_data["unit"])
            try:
                enrolment = money.enrolment_create(
                    training_class=klass, user=request.user, unit=unit, participant=form.cleaned_data["participant"]
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
                status = exc.status if exc.status >= 400 else 400
            else:
                if pay_url(enrolment):
                    messages.success(
                        request,
                        _("You are enrolled. Pay the fee of %(amount)s to keep the seat.")
                        % {"amount": yuan(enrolment.price_fen)},
                    )
                else:
                    messages.success(request, _("You are enrolled."))
                return redirect("portal:resident-class", pk=klass.pk)
        else:
            status = 400
    sessions = list(klass.sessions.exclude(status=ClassSession.Status.CANCELLED).order_by("starts_at", "id"))
    mine = enrolment_list(scope=_scope(request), class_id=klass.pk)
    return render(
        request,
        f"{TEMPLATES}/class.html",
        {
            "klass": klass,
            "sessions": sessions,
            "form": form,
            "mine": _rows(mine),
            "can_enrol": klass.status == ClassStatus.OPEN and bool(homes),
        },
        status=status,
    )


@permission_required(perms.CLUB_CLASS_ENROL)
def my_enrolments(request: CompanyRequest) -> HttpResponse:
    rows = enrolment_list(scope=_scope(request)).order_by("-created_at", "-id")
    return render(request, f"{TEMPLATES}/mine.html", {"rows": _rows(rows[:200])})


@permission_required(perms.CLUB_CLASS_ENROL)
@require_http_methods(["GET", "POST"])
def withdraw(request: CompanyRequest, pk: int) -> HttpResponse:
    enrolment = enrolment_get(scope=_scope(request), enrolment_id=pk)
    if enrolment is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            ended = money.enrolment_withdraw(enrolment=enrolment, by=request.user)
        except ApplicationError as exc:
            error = exc.message
        else:
            if ended.refunded_fen:
                text = _("Withdrawn. %(amount)s went back to your home's prepaid balance.")
                messages.success(request, text % {"amount": yuan(ended.refunded_fen)})
            else:
                messages.success(request, _("Withdrawn."))
            return redirect("portal:resident-enrolments")
    quote = money.withdraw_quote(enrolment, now=timezone.now())
    return render(
        request,
        f"{TEMPLATES}/withdraw.html",
        {
            "e": enrolment,
            "klass": enrolment.training_class,
            "quote": quote,
            "error": error,
            "live": enrolment.status == EnrolmentStatus.ENROLLED and not quote["over"],
        },
        status=409 if error else 200,
    )
