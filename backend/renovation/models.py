"""Renovation (装修): a home owner's application with its plans and contractor, the two approvals (customer
service and engineering), the money (a deposit 装修保证金 and a debris fee 装修垃圾清运费, both bill lines on the
home's ledger), the permit (出入证) security checks at the gate, inspections with photos, the completion check
and the deposit's end (refunded or forfeited, in part or whole, with a reason).

Money is integer fen. The lines and billing's Deposit are one-to-one with the application, so an application
is charged, and its deposit registered, once however often the services run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import company_file_path


def renovation_file_path(instance: object, filename: str) -> str:
    return company_file_path("renovation", filename)


class RenovationSettings(models.Model):
    """What a company asks of every renovation: the deposit and the debris fee (copied into each application
    when it is submitted, so a change applies to new applications only)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    deposit_fen = models.PositiveIntegerField(_("renovation deposit (fen)"), default=200000)
    debris_fee_fen = models.PositiveIntegerField(_("debris removal fee (fen)"), default=30000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "renovation settings"
        constraints = [models.CheckConstraint(condition=Q(singleton=True), name="renovation_settings_single_row")]

    def __str__(self) -> str:
        return "renovation settings"

    @classmethod
    def load(cls) -> RenovationSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved, waiting for the deposit and fee")
    PERMITTED = "permitted", _("Permit issued, works under way")
    COMPLETED = "completed", _("Completion check passed")
    CLOSED = "closed", _("Closed, deposit settled")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.SUBMITTED, Status.APPROVED, Status.PERMITTED, Status.COMPLETED)


class Decision(models.TextChoices):
    PENDING = "", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Application(models.Model):
    code = models.CharField(max_length=20, unique=True)
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    applicant_name = models.CharField(_("applicant"), max_length=60)
    applicant_phone = models.CharField(_("phone"), max_length=20)
    scope = models.CharField(_("scope of the works"), max_length=1000)
    structural = models.BooleanField(_("alters the structure or adds heavy loads"), default=False)
    starts_on = models.DateField(_("works start"))
    ends_on = models.DateField(_("works end"))
    contractor_company = models.CharField(_("contractor"), max_length=100)
    contractor_contact = models.CharField(_("contractor's contact"), max_length=60)
    contractor_phone = models.CharField(_("contractor's phone"), max_length=20)
    workers = models.JSONField(_("workers"), default=list, blank=True)  # [{"name", "phone"}]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField()
    # The two approvals: customer service (客服) and engineering (工程部), each by a different person.
    desk_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    desk_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    desk_at = models.DateTimeField(null=True, blank=True)
    desk_note = models.CharField(max_length=300, blank=True)
    engineering_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    engineering_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    engineering_at = models.DateTimeField(null=True, blank=True)
    engineering_note = models.CharField(max_length=300, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Money: amounts copied from the settings at submission; the lines posted on approval.
    deposit_fen = models.PositiveIntegerField(default=0)
    debris_fee_fen = models.PositiveIntegerField(default=0)
    deposit_charge = models.OneToOneField(
        "billing.BillLine", on_delete=models.PROTECT, null=True, blank=True, related_name="renovation_deposit"
    )
    debris_charge = models.OneToOneField(
        "billing.BillLine", on_delete=models.PROTECT, null=True, blank=True, related_name="renovation_debris"
    )
    deposit = models.OneToOneField(
        "billing.Deposit", on_delete=models.PROTECT, null=True, blank=True, related_name="renovation"
    )
    # The permit (出入证): its code is what the QR code carries.
    permit_code = models.CharField(max_length=20, unique=True, null=True, blank=True)
    permit_issued_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The deposit's end: what went back, what was kept and why; card refunds (payments.Refund ids).
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    refunded_fen = models.PositiveIntegerField(default=0)
    forfeited_fen = models.PositiveIntegerField(default=0)
    settle_reason = models.CharField(max_length=300, blank=True)
    refund_ids = models.JSONField(default=list, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["office", "status", "created_at"], name="renovation_office_status"),
            models.Index(fields=["unit", "created_at"], name="renovation_unit"),
            models.Index(fields=["applicant", "created_at"], name="renovation_applicant"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="renovation_dates_order"),
            models.CheckConstraint(
                condition=Q(permit_code__isnull=True) | Q(deposit__isnull=False) | Q(deposit_fen=0),
                name="renovation_permit_needs_deposit",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def approvals_done(self) -> bool:
        return self.desk_decision == Decision.APPROVED and self.engineering_decision == Decision.APPROVED


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("Plan or drawing")
    AGREEMENT = "agreement", _("Renovation agreement")
    AUTHORISATION = "authorisation", _("Authorisation or approval")
    OTHER = "other", _("Other")


class Document(models.Model):
    """A plan (PDF or image), the signed agreement, an authority's approval for structural works."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=14, choices=DocumentKind.choices, default=DocumentKind.PLAN)
    file = models.FileField(upload_to=renovation_file_path)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class InspectionKind(models.TextChoices):
    PATROL = "patrol", _("Inspection (巡查)")
    COMPLETION = "completion", _("Completion check (验收)")


class Inspection(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="inspections")
    kind = models.CharField(max_length=10, choices=InspectionKind.choices)
    passed = models.BooleanField(_("in order"))
    findings = models.CharField(_("findings"), max_length=1000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {'ok' if self.passed else 'violation'}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=renovation_file_path)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.inspection_id} photo"


EVENT_LABELS = {
    "submitted": _("Submitted"),
    "desk_approved": _("Approved by customer service"),
    "desk_rejected": _("Rejected by customer service"),
    "engineering_approved": _("Approved by engineering"),
    "engineering_rejected": _("Rejected by engineering"),
    "charged": _("Deposit and debris fee added to the bills"),
    "permit_issued": _("Permit issued"),
    "inspected": _("Inspection"),
    "completion_failed": _("Completion check: to put right"),
    "completion_passed": _("Completion check passed"),
    "deposit_settled": _("Deposit settled"),
    "cancelled": _("Withdrawn"),
}


class Event(models.Model):
    """The application's timeline: one row per step, with who took it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class PermitCheck(models.Model):
    """A gate check of a permit by security (出入证查验): valid or refused, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="checks")
    valid = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.application_id} check {'ok' if self.valid else 'refused'}"
