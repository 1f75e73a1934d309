"""Training classes (培训班), the staff pages: teachers, classes (create, edit, publish, close, cancel with a
reason), their sessions (add; cancel with a reason), enrolments, attendance per session (a phone page) and the
teacher's monthly statement (table, PDF, xlsx).

Every lookup by id goes through the scoped selectors (backend/club/classes_selectors.py): a class, session or
enrolment of a facility outside the caller's data scope is a 404, like another company's. Writes go through
backend/club/classes.py; its refusals come back as field errors (a session over bookings names them)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.billing.models import FeeItem
from backend.club import classes as svc
from backend.club.classes_selectors import (
    class_get,
    class_list,
    enrolment_list,
    session_get,
    session_list,
    teacher_list,
)
from backend.club.models import Attendance, ClassSession, ClassStatus, Enrolment, Facility, Teacher, TrainingClass
from backend.club.selectors import staff_facility_q
from backend.club.statements import statement_pdf, statement_xlsx, teacher_statement
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.staff.club_classes.forms import (
    ClassForm,
    ReasonForm,
    SessionForm,
    StatementForm,
    TeacherForm,
    attendance_form,
    local,
)
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/club_classes"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _status(form: Any, error: ApplicationError | None = None) -> int:
    if error is not None:
        return error.status if error.status >= 400 else 400
    return 400 if form.is_bound and form.errors else 200


# --- teachers --------------------------------------------------------------------------------------------


def _teacher_or_404(pk: int) -> Teacher:
    teacher = teacher_list().filter(pk=pk).first()
    if teacher is None:
        raise Http404
    return teacher


@permission_required(perms.CLUB_CLASSES)
def teachers(request: CompanyRequest) -> HttpResponse:
    return render(request, f"{TEMPLATES}/teachers.html", {"teachers": teacher_list()})


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def teacher_create(request: CompanyRequest) -> HttpResponse:
    form = TeacherForm(request.POST or None, initial={"is_active": True})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            teacher = svc.teacher_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Teacher %(name)s added.") % {"name": teacher.name})
            return redirect("portal:classes-teachers")
    return render(request, f"{TEMPLATES}/teacher_form.html", {"form": form}, status=_status(form, error))


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def teacher_edit(request: CompanyRequest, pk: int) -> HttpResponse:
    teacher = _teacher_or_404(pk)
    initial = {k: getattr(teacher, k) for k in ("name", "phone", "share_percent", "is_active")}
    form = TeacherForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            svc.teacher_update(teacher=teacher, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:classes-teachers")
    return render(
        request, f"{TEMPLATES}/teacher_form.html", {"form": form, "teacher": teacher}, status=_status(form, error)
    )


# --- classes ---------------------------------------------------------------------------------------------


def _class_or_404(request: CompanyRequest, pk: int) -> TrainingClass:
    klass = class_get(scope=scope_of(request), class_id=pk)
    if klass is None:
        raise Http404
    return klass


def _choices(request: CompanyRequest, office_id: int | None = None) -> dict[str, Any]:
    facilities = Facility.objects.filter(staff_facility_q(scope_of(request))).select_related("estate")
    items = FeeItem.objects.filter(office__in=facilities.values("office_id")).select_related("office")
    if office_id is not None:
        items = items.filter(office_id=office_id)
    return {
        "facilities": [(f.pk, f"{f.estate.name} · {f.name}") for f in facilities.order_by("estate__name", "name")],
        "teachers": [(t.pk, f"{t.name} ({t.share_percent}%)") for t in teacher_list().filter(is_active=True)],
        "fee_items": [(i.pk, f"{i.office.name} · {i.name}") for i in items.order_by("office__name", "name")],
    }


def _service_values(form: ClassForm) -> dict[str, Any]:
    """The form's values with the teacher and fee item as objects (any of the company's: the service refuses
    a fee item of another office, and an id that is not one is simply not found)."""
    values = form.values()
    values["teacher"] = teacher_list().filter(pk=values.get("teacher") or 0).first()
    values["fee_item"] = FeeItem.objects.filter(pk=values.get("fee_item") or 0).first()
    return values


@permission_required(perms.CLUB_CLASSES)
def classes(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    qs = class_list(scope=scope_of(request), status=status if status in ClassStatus.values else None)
    return render(
        request,
        f"{TEMPLATES}/classes.html",
        {"classes": qs[:200], "status": status, "statuses": ClassStatus.choices},
    )


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def class_create(request: CompanyRequest) -> HttpResponse:
    form = ClassForm(request.POST or None, initial={"hold_minutes": 30}, **_choices(request))
    error = None
    if request.method == "POST" and form.is_valid():
        facility = (
            Facility.objects.filter(staff_facility_q(scope_of(request)))
            .filter(pk=form.cleaned_data.get("facility") or 0)
            .first()
        )
        if facility is None:
            form.add_error("facility", _("Choose a facility."))
        else:
            try:
                klass = svc.class_create(facility=facility, by=request.user, **_service_values(form))
            except ApplicationError as exc:
                error = exc
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Class created as a draft. Add its sessions, then publish it."))
                return redirect("portal:classes-detail", pk=klass.pk)
    return render(request, f"{TEMPLATES}/class_form.html", {"form": form}, status=_status(form, error))


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def class_edit(request: CompanyRequest, pk: int) -> HttpResponse:
    klass = _class_or_404(request, pk)
    initial = {
        "teacher": klass.teacher_id,
        "title": klass.title,
        "description": klass.description,
        "seats": klass.seats,
        "price_fen": klass.price_fen,
        "fee_item": klass.fee_item_id,
        "refund_policy": klass.refund_policy,
        "hold_minutes": klass.hold_minutes,
        "enrol_opens_at": local(klass.enrol_opens_at),
        "enrol_closes_at": local(klass.enrol_closes_at),
    }
    form = ClassForm(
        request.POST or None, initial=initial, editing=True, **_choices(request, office_id=klass.facility.office_id)
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            svc.class_update(training_class=klass, by=request.user, **_service_values(form))
        except ApplicationError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:classes-detail", pk=klass.pk)
    return render(request, f"{TEMPLATES}/class_form.html", {"form": form, "klass": klass}, status=_status(form, error))


def _detail(
    request: CompanyRequest, klass: TrainingClass, session_form: SessionForm | None = None, status: int = 200
) -> HttpResponse:
    sessions = list(session_list(scope=scope_of(request), class_id=klass.pk).order_by("starts_at", "id"))
    now = timezone.now()
    return render(
        request,
        f"{TEMPLATES}/class_detail.html",
        {
            "klass": klass,
            "sessions": sessions,
            "now": now,
            "session_form": session_form or SessionForm(),
            "enrolled": enrolment_list(scope=scope_of(request), class_id=klass.pk, status="enrolled").count(),
            "can_publish": klass.status in (ClassStatus.DRAFT, ClassStatus.CLOSED),
            "can_close": klass.status == ClassStatus.OPEN,
            "live": klass.status != ClassStatus.CANCELLED,
        },
        status=status,
    )


@permission_required(perms.CLUB_CLASSES)
def class_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    return _detail(request, _class_or_404(request, pk))


@permission_required(perms.CLUB_CLASSES)
@require_POST
def session_add(request: CompanyRequest, pk: int) -> HttpResponse:
    klass = _class_or_404(request, pk)
    form = SessionForm(request.POST)
    if not form.is_valid():
        return _detail(request, klass, form, status=400)
    starts_at, ends_at = form.span()
    try:
        svc.session_add(training_class=klass, by=request.user, starts_at=starts_at, ends_at=ends_at)
    except ApplicationError as exc:
        add_service_errors(form, exc)
        return _detail(request, klass, form, status=exc.status if exc.status >= 400 else 400)
    messages.success(request, _("Session added; the facility is blocked for it."))
    return redirect("portal:classes-detail", pk=klass.pk)


def _move(request: CompanyRequest, pk: int, action: Any, done: str) -> HttpResponse:
    klass = _class_or_404(request, pk)
    try:
        action(training_class=klass, by=request.user)
    except ApplicationError as exc:
        for text in [m for ms in exc.fields.values() for m in ms] or [exc.message]:
            messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("portal:classes-detail", pk=klass.pk)


@permission_required(perms.CLUB_CLASSES)
@require_POST
def class_publish(request: CompanyRequest, pk: int) -> HttpResponse:
    return _move(request, pk, svc.class_publish, _("The class is open for enrolment."))


@permission_required(perms.CLUB_CLASSES)
@require_POST
def class_close(request: CompanyRequest, pk: int) -> HttpResponse:
    return _move(request, pk, svc.class_close, _("Enrolment is closed; the class goes on."))


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def class_cancel(request: CompanyRequest, pk: int) -> HttpResponse:
    klass = _class_or_404(request, pk)
    form = ReasonForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            ended = svc.class_cancel(training_class=klass, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Class cancelled; %(n)d enrolments ended with their refunds.") % {"n": len(ended)},
            )
            return redirect("portal:classes-detail", pk=klass.pk)
    enrolled = enrolment_list(scope=scope_of(request), class_id=klass.pk, status="enrolled").count()
    return render(
        request,
        f"{TEMPLATES}/class_cancel.html",
        {"klass": klass, "form": form, "enrolled": enrolled},
        status=_status(form, error),
    )


# --- sessions and attendance -----------------------------------------------------------------------------


def _session_or_404(request: CompanyRequest, pk: int) -> ClassSession:
    session = session_get(scope=scope_of(request), session_id=pk)
    if session is None:
        raise Http404
    return session


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def session_cancel(request: CompanyRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    form = ReasonForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            svc.session_cancel(session=session, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Session cancelled; the enrolled were told."))
            return redirect("portal:classes-detail", pk=session.training_class_id)
    return render(
        request,
        f"{TEMPLATES}/session_cancel.html",
        {"session": session, "klass": session.training_class, "form": form},
        status=_status(form, error),
    )


def _attending(request: CompanyRequest, session: ClassSession) -> list[Enrolment]:
    """The enrolments live when the session began (those who withdrew later are still on its list)."""
    return [
        e
        for e in enrolment_list(scope=scope_of(request), class_id=session.training_class_id).select_related("user")
        if e.status == "enrolled" or (e.ended_at is not None and e.ended_at > session.starts_at)
    ]


@permission_required(perms.CLUB_CLASSES)
@require_http_methods(["GET", "POST"])
def attendance(request: CompanyRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    enrolments = _attending(request, session)
    marks = dict(Attendance.objects.filter(session=session).values_list("enrolment_id", "status"))
    choices = [(str(v), str(label)) for v, label in Attendance.Status.choices]
    form = attendance_form(enrolments, marks, choices, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        chosen = {e.pk: form.cleaned_data[f"mark_{e.pk}"] for e in enrolments if form.cleaned_data[f"mark_{e.pk}"]}
        if not chosen:
            form.add_error(None, _("Mark at least one person."))
            status = 400
        else:
            try:
                svc.attendance_mark(session=session, marks=chosen, by=request.user)
            except ApplicationError as exc:
                add_service_errors(form, exc)
                status = exc.status if exc.status >= 400 else 400
            else:
                messages.success(request, _("Attendance saved (%(n)d marked).") % {"n": len(chosen)})
                return redirect("portal:classes-attendance", pk=session.pk)
    rows = [(e, form[f"mark_{e.pk}"]) for e in enrolments]
    return render(
        request,
        f"{TEMPLATES}/attendance.html",
        {"session": session, "klass": session.training_class, "form": form, "rows": rows, "marks": marks},
        status=status,
    )


@permission_required(perms.CLUB_CLASSES)
def enrolments(request: CompanyRequest, pk: int) -> HttpResponse:
    klass = _class_or_404(request, pk)
    rows = enrolment_list(scope=scope_of(request), class_id=klass.pk).select_related("user")
    return render(request, f"{TEMPLATES}/enrolments.html", {"klass": klass, "enrolments": rows})


# --- the teacher's monthly statement ---------------------------------------------------------------------


def _statement(request: CompanyRequest) -> tuple[StatementForm, Any]:
    teachers = [(t.pk, t.name) for t in teacher_list()]
    form = StatementForm(request.GET or None, teachers=teachers)
    if not (form.is_bound and form.is_valid()):
        return form, None
    teacher = teacher_list().get(pk=form.cleaned_data["teacher"])
    month = form.cleaned_data["month"]
    return form, teacher_statement(teacher=teacher, month=month, classes=class_list(scope=scope_of(request)))


@permission_required(perms.CLUB_CLASS_STATEMENTS)
def statement(request: CompanyRequest) -> HttpResponse:
    form, found = _statement(request)
    return render(
        request,
        f"{TEMPLATES}/statement.html",
        {"form": form, "statement": found, "query": request.GET.urlencode()},
        status=_status(form),
    )


def _download(request: CompanyRequest, fmt: str) -> HttpResponse:
    form, found = _statement(request)
    if found is None:
        return render(
            request, f"{TEMPLATES}/statement.html", {"form": form, "statement": None, "query": ""}, status=400
        )
    name = f"teacher-{found.teacher.pk}-{found.month:%Y-%m}"
    if fmt == "pdf":
        response = HttpResponse(statement_pdf(found, company_name=request.tenant.name), content_type="application/pdf")
    else:
        response = HttpResponse(statement_xlsx(found), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@permission_required(perms.CLUB_CLASS_STATEMENTS)
def statement_pdf_download(request: CompanyRequest) -> HttpResponse:
    return _download(request, "pdf")


@permission_required(perms.CLUB_CLASS_STATEMENTS)
def statement_xlsx_download(request: CompanyRequest) -> HttpResponse:
    return _download(request, "xlsx")
