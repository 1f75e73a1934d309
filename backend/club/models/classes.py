"""Training classes (培训班): a teacher with a revenue share, a class on a facility with seats and a fee for the
whole course, its sessions (which block the facility's cells, like a closure), enrolments and attendance.

The seats are a counter on the class row (seats_taken, CHECK 0 ≤ seats_taken ≤ seats) changed only by one
conditional UPDATE (classes.py), so however many residents press "enrol" at once, no more than `seats` get
in. Money is integer fen; an enrolment's fee is an ad-hoc line on its home's ledger (`charge`), paid through
the ordinary payment flow; a refund is a correction (红冲) of that line, so the home's prepaid balance gets
the money back exactly once."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.billing.models import BillLine, FeeItem, LedgerEntry
from backend.properties.models import Unit

from .facilities import Facility


class Teacher(models.Model):
    """A teacher (often from outside): the share of each class's income they get, the company keeping the rest."""

    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Users live in the public schema: DO_NOTHING, as every user link of a company's schema.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    share_percent = models.PositiveSmallIntegerField(
        _("teacher's share (%)"), help_text=_("60 means the teacher gets 60% and the company 40%.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(share_percent__lte=100), name="club_teacher_share_percent"),
        ]

    def __str__(self) -> str:
        return self.name


class ClassStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for enrolment")
    CLOSED = "closed", _("Enrolment closed")
    CANCELLED = "cancelled", _("Cancelled")


class RefundPolicy(models.TextChoices):
    # Before the first session starts every policy but NONE refunds in full.
    PRO_RATA = "pro_rata", _("Full before the first session; then the sessions not yet held")
    BEFORE_START = "before_start", _("Full before the first session; nothing after")
    NONE = "none", _("No refund on withdrawal")


class TrainingClass(models.Model):
    """培训班: a course of sessions on one facility, `seats` places, `price_fen` for the whole course."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="classes")
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="classes")
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    seats = models.PositiveIntegerField(_("seats"))
    seats_taken = models.IntegerField(default=0, editable=False)
    price_fen = models.PositiveIntegerField(_("fee for the course (fen)"), default=0)
    # What the fee is charged as on the home's ledger (an item of the facility's office); required when paid.
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    enrol_opens_at = models.DateTimeField(_("enrolment opens"), null=True, blank=True)
    enrol_closes_at = models.DateTimeField(_("enrolment closes"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ClassStatus.choices, default=ClassStatus.DRAFT)
    refund_policy = models.CharField(
        _("refund on withdrawal"), max_length=12, choices=RefundPolicy.choices, default=RefundPolicy.PRO_RATA
    )
    # An unpaid enrolment of a paid class holds its seat this long, then expires (classes_holds.py).
    hold_minutes = models.PositiveSmallIntegerField(_("an unpaid enrolment waits for payment (minutes)"), default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="club_class_seats_positive"),
            models.CheckConstraint(
                condition=Q(seats_taken__gte=0, seats_taken__lte=F("seats")), name="club_class_seats_within"
            ),
            models.CheckConstraint(condition=Q(status__in=ClassStatus.values), name="club_class_status_valid"),
            models.CheckConstraint(
                condition=Q(refund_policy__in=RefundPolicy.values), name="club_class_refund_policy_valid"
            ),
            models.CheckConstraint(
                condition=Q(enrol_opens_at__isnull=True)
                | Q(enrol_closes_at__isnull=True)
                | Q(enrol_closes_at__gt=F("enrol_opens_at")),
                name="club_class_enrol_window",
            ),
        ]
        indexes = [models.Index(fields=["facility", "status"], name="club_class_facility_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int:
        return max(0, self.seats - self.seats_taken)


class ClassSession(models.Model):
    """One lesson. While scheduled it blocks the facility's cells it overlaps (`blocked_cells`, exactly the
    ones it added a block to, emptied when it gives them back)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        # Not held because the whole class was cancelled; still counts in spreading the fee (classes_money.py).
        CLASS_CANCELLED = "class_cancelled", _("Class cancelled")

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    blocked_cells = ArrayField(models.DateTimeField(), default=list, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="club_session_ends_after"),
        ]
        indexes = [models.Index(fields=["training_class", "starts_at"], name="club_session_class_idx")]

    def __str__(self) -> str:
        return f"{self.training_class_id}@{self.starts_at:%Y-%m-%d %H:%M}"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Class cancelled")
    EXPIRED = "expired", _("Not paid in time")


class Enrolment(models.Model):
    """A seat in a class, for a person of a home (`participant`: a child, say; empty = the user)."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT, related_name="enrolments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    participant = models.CharField(_("participant"), max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED)
    price_fen = models.PositiveIntegerField(default=0)
    charge = models.OneToOneField(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="club_enrolment"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    # Unpaid with a fee: the seat is held until then, unless an online payment for the charge is in flight.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What was given back (a correction of the charge: the home's prepaid balance), once.
    refunded_fen = models.PositiveIntegerField(default=0)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="club_enrolment_refund"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "user", "participant"],
                condition=Q(status="enrolled"),
                name="club_enrolment_once",
            ),
            models.CheckConstraint(condition=Q(status__in=EnrolmentStatus.values), name="club_enrolment_status"),
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("price_fen")), name="club_enrolment_refund_max"),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="club_enrolment_user_idx"),
            models.Index(
                fields=["hold_expires_at"],
                condition=Q(status="enrolled", paid_at__isnull=True, hold_expires_at__isnull=False),
                name="club_enrolment_holds_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"enrolment {self.pk} in {self.training_class_id}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=8, choices=Status.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="club_attendance_once"),
            models.CheckConstraint(condition=Q(status__in=["present", "absent", "excused"]), name="club_attendance_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}@{self.session_id}: {self.status}"
