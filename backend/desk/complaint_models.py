"""Complaints (投诉) by severity, with the handbook's time limits (客户服务手册, 投诉接待 (5)):

- major (重大): to the director (管理处主任) the same day, a clear answer within 2 days, resolved within 10 days;
- important (重要): to the department supervisor within 1 hour, done within 3 days;
- minor (轻微): within 2 days, or the resident's own deadline.

Each complaint keeps its clocks' targets (business minutes, counted like the repairs' SLA clocks in
backend.desk.clock) and the instants they fall due; waiting on the complainant pauses the answer and
resolution clocks. Its timeline is ComplaintEvent."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    MAJOR = "major", _("Major (重大)")
    IMPORTANT = "important", _("Important (重要)")
    MINOR = "minor", _("Minor (轻微)")


class Level(models.IntegerChoices):
    """Who holds the complaint: customer service, the department supervisor, the director."""

    DESK = 0, _("Customer service")
    SUPERVISOR = 1, _("Supervisor")
    DIRECTOR = 2, _("Director")


# The level each severity must reach, and by when (complaint_clock.escalate_target).
REQUIRED_LEVEL = {Severity.MAJOR: Level.DIRECTOR, Severity.IMPORTANT: Level.SUPERVISOR, Severity.MINOR: Level.DESK}


class Cause(models.TextChoices):
    """What the complaint is about (the monthly cause analysis counts by these)."""

    ATTITUDE = "attitude", _("Staff attitude")
    REPAIRS = "repairs", _("Repairs and their quality")
    SECURITY = "security", _("Security and order")
    CLEANING = "cleaning", _("Cleaning")
    GREENERY = "greenery", _("Greenery")
    PARKING = "parking", _("Parking and vehicles")
    NOISE = "noise", _("Noise and neighbours")
    FACILITIES = "facilities", _("Public facilities")
    FEES = "fees", _("Fees and charges")
    OTHER = "other", _("Other")


class Department(models.TextChoices):
    """The department complained about (涉及部门)."""

    CUSTOMER_SERVICE = "customer_service", _("Customer service centre")
    ENGINEERING = "engineering", _("Engineering")
    SECURITY = "security", _("Security department")
    ENVIRONMENT = "environment", _("Cleaning and greenery")
    MANAGEMENT = "management", _("Management office")
    OTHER = "other", _("Other / not the company")


class ComplaintChannel(models.TextChoices):
    APP = "app", _("Resident's phone")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    LETTER = "letter", _("Letter")


class ComplaintStatus(models.TextChoices):
    NEW = "new", _("Registered, not yet taken")
    IN_PROGRESS = "in_progress", _("Being handled")
    RESOLVED = "resolved", _("Resolved, waiting for the revisit")
    CLOSED = "closed", _("Closed after the revisit")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_COMPLAINT = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS)


class ToldVia(models.TextChoices):
    PHONE = "phone", _("By phone")
    VISIT = "visit", _("In person")
    APP = "app", _("On the resident's phone")


class Complaint(models.Model):
    code = models.CharField(max_length=20, unique=True)
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    location = models.CharField(_("where"), max_length=100, blank=True)
    cause = models.CharField(_("what it is about"), max_length=12, choices=Cause.choices, default=Cause.OTHER)
    department = models.CharField(_("department concerned"), max_length=20, choices=Department.choices, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    description = models.CharField(_("what happened"), max_length=2000)
    wanted = models.CharField(_("what the resident asks for"), max_length=500, blank=True)
    contact_name = models.CharField(_("contact"), max_length=60)
    contact_phone = models.CharField(_("phone"), max_length=20)
    channel = models.CharField(max_length=8, choices=ComplaintChannel.choices)
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    resident_deadline = models.DateField(_("the resident's deadline"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.NEW)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.DESK)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    clock_from = models.DateTimeField(null=True, blank=True)  # the clocks' start: filing, or the last reopening
    escalated_at = models.DateTimeField(null=True, blank=True)  # when it reached the level its severity needs
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=1000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=1000, blank=True)
    root_cause = models.CharField(_("cause found"), max_length=300, blank=True)
    told_via = models.CharField(max_length=8, choices=ToldVia.choices, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Targets in business minutes (0: this severity has no such clock) and their due instants given the pauses
    # so far (answer and resolution: null while paused; the escalation clock does not pause).
    escalate_target = models.PositiveIntegerField(default=0)
    answer_target = models.PositiveIntegerField(default=0)
    resolve_target = models.PositiveIntegerField(default=0)
    escalate_due = models.DateTimeField(null=True, blank=True)
    answer_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    alert_at = models.DateTimeField(null=True, blank=True)
    alerted = models.JSONField(default=list, blank=True)  # "escalate.breach", "answer.near", …
    breached = models.BooleanField(default=False)
    revisit_due = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                "office",
                models.F("breached").desc(),
                models.F("resolve_due").asc(nulls_last=True),
                name="desk_complaint_queue",
                condition=Q(status__in=["new", "in_progress"]),
            ),
            models.Index("alert_at", name="desk_complaint_alert_at", condition=Q(status__in=["new", "in_progress"])),
            models.Index(fields=["complainant", "created_at"], name="desk_complaint_by"),
            models.Index(fields=["created_at"], name="desk_complaint_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__range=(1, 5)), name="desk_complaint_rating"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def clock_start(self) -> dt.datetime:
        return self.clock_from or self.created_at

    @property
    def required_level(self) -> int:
        return int(REQUIRED_LEVEL[Severity(self.severity)])


class ComplaintPause(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.complaint_id} paused {self.started_at:%Y-%m-%d %H:%M}"


class ComplaintEvent(models.Model):
    """The complaint's timeline (the 《客户投诉登记表》's record): one row per step, with who did it."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+")
    note = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


# The timeline's steps, as people read them.
EVENT_LABELS = {
    "filed": _("Registered"),
    "classified": _("Severity and cause set"),
    "assigned": _("Taken"),
    "escalated": _("Escalated"),
    "escalated_on_breach": _("Escalated: past its time limit"),
    "waiting": _("Waiting on the complainant"),
    "resumed": _("Resumed"),
    "answered": _("Answered"),
    "resolved": _("Resolved, complainant told"),
    "rated": _("Rated"),
    "revisited": _("Revisited"),
    "reopened": _("Reopened"),
    "withdrawn": _("Withdrawn"),
}
