"""Renovation (装修), the work flow: an owner applies (plans, contractor, dates, scope), customer service and
engineering each approve or reject with a reason, inspections are logged with photos, the completion check
passes or lists what to put right. The money (the deposit, the debris fee, the permit once they are paid, and
the deposit's end) is money.py's.

Rules (DOMAIN.md §4, §7; the handbook's 业主装修接待):
- Only a current owner (业主) of the home applies; a tenant or household member cannot.
- A home in arrears cannot apply, and an application cannot be approved, while the company has switched on
  the sanction "no renovation approval" (billing's BillingSettings.sanctions, Sanction.NO_RENOVATION) and the
  home owes a bill past the sanction's grace days: ApplicationError code `arrears` (409).
- The two approvals are given by two different people (a company admin holds both permissions, but one person
  cannot approve both sides). Either side rejects with a reason, and the application is rejected.
- Each step writes a timeline event and an audit entry in its transaction and notifies the resident (and
  the staff who act next, within their data scope)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.arrears import unit_sanctioned
from backend.billing.ledger import unit_lock
from backend.billing.models import Sanction
from backend.errors import ApplicationError
from backend.properties.models import Occupancy, OccupancyRole, Unit
from backend.uploads.kinds import RENOVATION_DOCUMENT, RENOVATION_PHOTO
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload

from .models import (
    Application,
    Decision,
    Document,
    DocumentKind,
    Inspection,
    InspectionKind,
    InspectionPhoto,
    RenovationSettings,
    Status,
)
from .money import charges_cancel, charges_post
from .steps import event_record, notify_resident, notify_staff

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_DOCUMENTS = 10
MAX_PHOTOS = 6
MAX_WORKERS = 50
SIDES = ("desk", "engineering")


def _code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def arrears_refuse(unit_id: int, *, today: dt.date) -> None:
    """The sanction "no renovation approval" (see the module docstring): a clear 409 when it applies."""
    if unit_sanctioned(unit_id, Sanction.NO_RENOVATION, today=today):
        raise ApplicationError(
            _(
                "Renovation is not approved while this home has overdue fees (欠费). Please pay the overdue bills "
                "first, then apply again."
            ),
            code="arrears",
            fields={"unit": [_("This home has overdue fees: renovation approval is suspended.")]},
            status=409,
        )


def owner_units(user: User) -> list[Unit]:
    """The homes `user` currently owns (业主): the ones they may apply for."""
    return list(
        Unit.objects.filter(
            occupancies__person__user_id=user.pk,
            occupancies__end_date__isnull=True,
            occupancies__role=OccupancyRole.OWNER,
        )
        .select_related("estate", "building")
        .distinct()
        .order_by("estate__name", "building__name", "number")
    )


def _documents_add(application: Application, files: Iterable[tuple[str, AcceptedUpload]], by: User) -> int:
    count = 0
    for kind, upload in files:
        if upload.kind != RENOVATION_DOCUMENT:
            raise ApplicationError.for_fields({"documents": [_("Upload the plans as PDF or images.")]})
        if kind not in DocumentKind.values:
            raise ApplicationError.for_fields({"documents": [_("Say what the document is.")]})
        document = Document(application=application, kind=kind, file=upload.content_file(), uploaded_by=by)
        with files_removed_on_error(document):
            document.save()
        count += 1
    return count


def workers_clean(workers: Iterable[Any]) -> list[dict[str, str]]:
    """[{"name", "phone"}] from dicts or "name phone" lines; blanks dropped."""
    out: list[dict[str, str]] = []
    for worker in workers:
        if isinstance(worker, dict):
            name, phone = str(worker.get("name") or "").strip(), str(worker.get("phone") or "").strip()
        else:
            parts = str(worker).split()
            name, phone = (parts[0] if parts else ""), " ".join(parts[1:])
        if name:
            out.append({"name": name[:30], "phone": phone[:20]})
    return out


def application_submit(
    *,
    user: User,
    unit_id: int,
    scope: str,
    starts_on: dt.date,
    ends_on: dt.date,
    contractor_company: str,
    contractor_contact: str,
    contractor_phone: str,
    workers: Iterable[Any] = (),
    structural: bool = False,
    applicant_phone: str = "",
    documents: Iterable[tuple[str, AcceptedUpload]] = (),
    now: dt.datetime | None = None,
) -> Application:
    """An owner applies to renovate one of their homes, with at least one plan (PDF or image)."""
    now = now or timezone.now()
    unit = next((u for u in owner_units(user) if u.pk == unit_id), None)
    if unit is None:
        raise ApplicationError.for_fields({"unit": [_("Only the home's owner (业主) applies to renovate it.")]})
    files = list(documents)
    people = workers_clean(workers)
    errors: dict[str, list[str]] = {}
    scope = (scope or "").strip()
    if not scope:
        errors["scope"] = [_("Describe the works.")]
    elif len(scope) > 1000:
        errors["scope"] = [_("At most %(n)s characters.") % {"n": 1000}]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The works end on or after the day they start.")]
    if starts_on < _today(now):
        errors["starts_on"] = [_("The works cannot start in the past.")]
    elif (ends_on - starts_on).days > 366:
        errors["ends_on"] = [_("Renovation works last at most a year.")]
    for field, value in (
        ("contractor_company", contractor_company),
        ("contractor_contact", contractor_contact),
        ("contractor_phone", contractor_phone),
    ):
        if not (value or "").strip():
            errors[field] = [_("This field is required.")]
    if not people:
        errors["workers"] = [_("List the workers who will need a pass.")]
    elif len(people) > MAX_WORKERS:
        errors["workers"] = [_("At most %(n)s workers.") % {"n": MAX_WORKERS}]
    if not any(kind == DocumentKind.PLAN for kind, _upload in files):
        errors["documents"] = [_("Attach the renovation plan (PDF or images).")]
    elif len(files) > MAX_DOCUMENTS:
        errors["documents"] = [_("At most %(n)s documents.") % {"n": MAX_DOCUMENTS}]
    if errors:
        raise ApplicationError.for_fields(errors)
    arrears_refuse(unit.pk, today=_today(now))
    settings_ = RenovationSettings.load()
    with transaction.atomic():
        application = Application.objects.create(
            code=_code("ZX"),
            unit=unit,
            estate_id=unit.estate_id,
            office_id=unit.office_id,
            applicant=user,
            applicant_name=(user.name or "")[:60],
            applicant_phone=(applicant_phone or getattr(user, "phone", "") or "").strip()[:20],
            scope=scope,
            structural=bool(structural),
            starts_on=starts_on,
            ends_on=ends_on,
            contractor_company=contractor_company.strip()[:100],
            contractor_contact=contractor_contact.strip()[:60],
            contractor_phone=contractor_phone.strip()[:20],
            workers=people,
            created_at=now,
            deposit_fen=settings_.deposit_fen,
            debris_fee_fen=settings_.debris_fee_fen,
        )
        count = _documents_add(application, files, user)
        event_record(
            application,
            "submitted",
            by=user,
            now=now,
            documents=count,
            workers=len(people),
            deposit_fen=application.deposit_fen,
            debris_fee_fen=application.debris_fee_fen,
        )
        notify_resident(application, _("submitted: waiting for approval"))
        notify_staff(
            application,
            perms.RENOVATION_REVIEW_DESK.roles | perms.RENOVATION_REVIEW_ENGINEERING.roles,
            _("renovation application to review"),
            kind="renovation.review",
        )
    return application


def _locked(application: Application) -> Application:
    """The unit's ledger lock, then the application's row (the order a payment takes them in: money.py)."""
    unit_lock(application.unit_id)
    return Application.objects.select_for_update(of=("self",)).select_related("unit").get(pk=application.pk)


def application_review(
    *,
    application: Application,
    by: User,
    side: str,
    approve: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> Application:
    """Customer service (`side` "desk") or engineering ("engineering") approves or rejects (a reason needed).
    The second approval posts the deposit and the debris fee on the home's ledger (money.charges_post) and,
    when they are paid already (prepaid money), issues the permit."""
    now = now or timezone.now()
    if side not in SIDES:
        raise ApplicationError.for_fields({"side": [_("Customer service or engineering.")]})
    note = (note or "").strip()
    if not approve and not note:
        raise ApplicationError.for_fields({"note": [_("Give the reason for the rejection.")]})
    if approve:
        arrears_refuse(application.unit_id, today=_today(now))
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != Status.SUBMITTED:
            raise ApplicationError(
                _("This application is %(status)s.") % {"status": locked.get_status_display()},
                code="invalid_state",
                status=409,
            )
        if getattr(locked, f"{side}_decision") != Decision.PENDING:
            raise ApplicationError(_("This side has decided already."), code="already_decided", status=409)
        other = "engineering" if side == "desk" else "desk"
        if approve and getattr(locked, f"{other}_by_id") == by.pk:
            raise ApplicationError(
                _("The two approvals are given by two different people."), code="four_eyes", status=403
            )
        setattr(locked, f"{side}_decision", Decision.APPROVED if approve else Decision.REJECTED)
        setattr(locked, f"{side}_by", by)
        setattr(locked, f"{side}_at", now)
        setattr(locked, f"{side}_note", note[:300])
        if not approve:
            locked.status = Status.REJECTED
            locked.rejection_reason = note[:300]
        elif locked.approvals_done:
            locked.status = Status.APPROVED
            locked.approved_at = now
        locked.save()
        event_record(locked, f"{side}_{'approved' if approve else 'rejected'}", by=by, now=now, note=note, side=side)
        if not approve:
            notify_resident(locked, _("rejected"), note)
        elif locked.status == Status.APPROVED:
            charges_post(locked, by=by, now=now)
        else:
            notify_resident(
                locked,
                _("approved by customer service") if side == "desk" else _("approved by engineering"),
            )
    return Application.objects.get(pk=locked.pk)


def application_cancel(
    *, application: Application, by: User, reason: str = "", now: dt.datetime | None = None
) -> Application:
    """The applicant withdraws an application before its permit is issued: unpaid lines are corrected (owed no
    more); anything paid on them goes back as prepaid credit (money.charges_cancel)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(application)
        if locked.applicant_id != by.pk:
            raise ApplicationError(_("Only the applicant withdraws an application."), code="not_applicant", status=403)
        if locked.status not in (Status.SUBMITTED, Status.APPROVED):
            raise ApplicationError(
                _("Once the permit is issued, the application is closed by the completion check."),
                code="invalid_state",
                status=409,
            )
        corrected = charges_cancel(locked, by=by, reason=reason or _("Renovation application withdrawn"))
        locked.status = Status.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
        event_record(locked, "cancelled", by=by, now=now, note=reason, corrected=corrected)
        notify_resident(locked, _("withdrawn"))
    return locked


def inspection_record(
    *,
    application: Application,
    by: User,
    passed: bool,
    findings: str = "",
    photos: Iterable[AcceptedUpload] = (),
    completion: bool = False,
    now: dt.datetime | None = None,
) -> Inspection:
    """An inspection (巡查) during the works, or the completion check (验收, `completion`): in order or not,
    what was found, photos. A passed completion check ends the works (status completed: the deposit is
    settled next); a failed one lists what to put right and the works go on. Findings are needed when
    something is not in order."""
    now = now or timezone.now()
    images = list(photos)
    findings = (findings or "").strip()
    if not passed and not findings:
        raise ApplicationError.for_fields({"findings": [_("Say what is not in order.")]})
    if len(findings) > 1000:
        raise ApplicationError.for_fields({"findings": [_("At most %(n)s characters.") % {"n": 1000}]})
    if len(images) > MAX_PHOTOS:
        raise ApplicationError.for_fields({"photos": [_("At most %(n)s photos.") % {"n": MAX_PHOTOS}]})
    if any(image.kind != RENOVATION_PHOTO for image in images):
        raise ApplicationError.for_fields({"photos": [_("Upload photos.")]})
    with transaction.atomic():
        locked = _locked(application)
        if locked.status != Status.PERMITTED:
            raise ApplicationError(
                _("Inspections are made while the works are under way (permit issued)."),
                code="invalid_state",
                status=409,
            )
        inspection = Inspection.objects.create(
            application=locked,
            kind=InspectionKind.COMPLETION if completion else InspectionKind.PATROL,
            passed=bool(passed),
            findings=findings,
            by=by,
            at=now,
        )
        for image in images:
            photo = InspectionPhoto(inspection=inspection, image=image.content_file())
            with files_removed_on_error(photo):
                photo.save()
        if completion and passed:
            locked.status = Status.COMPLETED
            locked.completed_at = now
            locked.save(update_fields=["status", "completed_at"])
        kind = "completion_" + ("passed" if passed else "failed") if completion else "inspected"
        event_record(
            locked, kind, by=by, now=now, note=findings, inspection=inspection.pk, passed=passed, photos=len(images)
        )
        if completion and passed:
            notify_resident(locked, _("completion check passed: the deposit is settled next"), findings)
            notify_staff(
                locked, perms.RENOVATION_DEPOSIT.roles, _("deposit to settle"), kind="renovation.staff", exclude=by.pk
            )
        elif completion:
            notify_resident(locked, _("completion check: some things to put right"), findings)
        elif not passed:
            notify_resident(locked, _("inspection found a violation: please put it right"), findings)
        else:
            notify_resident(locked, _("inspected: in order"), findings)
    return inspection


def settings_update(*, deposit_fen: int, debris_fee_fen: int) -> RenovationSettings:
    """The deposit and the debris fee asked of new applications (integer fen, 0 for none). Audited."""
    errors: dict[str, list[str]] = {}
    for field, value in (("deposit_fen", deposit_fen), ("debris_fee_fen", debris_fee_fen)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000_000:
            errors[field] = [_("An amount in fen, from 0 to ¥1,000,000.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        RenovationSettings.load()
        current = RenovationSettings.objects.select_for_update().get(singleton=True)
        before = {"deposit_fen": current.deposit_fen, "debris_fee_fen": current.debris_fee_fen}
        current.deposit_fen, current.debris_fee_fen = deposit_fen, debris_fee_fen
        current.save()
        audit_record(
            action="renovation.settings_update",
            target=current,
            changes={"before": before, "after": {"deposit_fen": deposit_fen, "debris_fee_fen": debris_fee_fen}},
        )
    return current


def occupancy_is_owner(user: User, unit_id: int) -> bool:
    return Occupancy.objects.filter(
        unit_id=unit_id, person__user_id=user.pk, end_date__isnull=True, role=OccupancyRole.OWNER
    ).exists()


def permit_check(*, code: str, by: User, scope: Any, now: dt.datetime | None = None) -> tuple[Application, bool, str]:
    """Security checks a permit at the gate (scanned or typed): the application, whether the permit is valid
    today and why not. Each check of a permit within the caller's scope is logged; a code that names nothing
    in their scope is refused as not found (another estate's or company's permit is not theirs to check)."""
    from .models import PermitCheck
    from .selectors import permit_find, permit_valid_on

    now = now or timezone.now()
    application = permit_find(scope=scope, code=code)
    if application is None:
        raise ApplicationError(
            _("No renovation permit with this code here."),
            code="not_found",
            fields={"code": [_("No renovation permit with this code here.")]},
            status=404,
        )
    valid, reason = permit_valid_on(application, _today(now))
    with transaction.atomic():
        PermitCheck.objects.create(application=application, valid=valid, reason=reason[:200], by=by, at=now)
        audit_record(
            action="renovation.permit_check",
            target=application,
            changes={"valid": valid, "reason": reason[:200]},
        )
    return application, valid, reason
