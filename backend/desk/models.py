"""Repairs (报修): the company's categories with their SLA targets, tickets with their timeline, pauses
(waiting on the resident) and photos, and the desk's settings (business hours, an engineer's load cap)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import company_file_path


def repair_photo_path(instance: object, filename: str) -> str:
    return company_file_path("repairs", filename)


def default_business_hours() -> list[list[int]]:
    """Mon–Sat 08:30–12:00 and 13:30–17:30 (the handbook's office day; nights are on duty, not on the clock)."""
    return [[d, 510, 720] for d in range(6)] + [[d, 810, 1050] for d in range(6)]


class DeskSettings(models.Model):
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    business_hours = models.JSONField(
        _("business hours"), default=default_business_hours, help_text=_("[[weekday, from minute, to minute], …]")
    )
    near_breach_percent = models.PositiveSmallIntegerField(_("warn at this share of the target (%)"), default=80)
    engineer_open_cap = models.PositiveSmallIntegerField(_("most open tickets an engineer may hold"), default=5)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "desk settings"
        constraints = [models.CheckConstraint(condition=Q(singleton=True), name="desk_settings_single_row")]

    def __str__(self) -> str:
        return "desk settings"

    @classmethod
    def load(cls) -> DeskSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class RevisitRule(models.TextChoices):
    STANDARD = "standard", _("Within 2 days of completion")
    SAFETY = "safety", _("Safety facility: within 2 days")
    LEAK = "leak", _("Leak: within 3 days of the leak test")


class RepairCategory(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    paid = models.BooleanField(_("paid (有偿) by default"), default=False)
    revisit_rule = models.CharField(
        _("revisit"), max_length=10, choices=RevisitRule.choices, default=RevisitRule.STANDARD
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "repair categories"

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """Response (accepted) and resolution (finished) targets, in business minutes, per category and priority."""

    category = models.ForeignKey(RepairCategory, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="desk_sla_one_per_priority")]

    def __str__(self) -> str:
        return f"{self.category_id}/{self.priority}"


class Status(models.TextChoices):
    NEW = "new", _("Waiting for dispatch")
    ASSIGNED = "assigned", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    ON_THE_WAY = "on_the_way", _("On the way")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed, waiting for the resident")
    CONFIRMED = "confirmed", _("Confirmed, waiting for the revisit")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED, Status.ON_THE_WAY, Status.IN_PROGRESS)
# An engineer's load: what they hold and have not finished.
LOAD_STATUSES = (Status.ASSIGNED, Status.ACCEPTED, Status.ON_THE_WAY, Status.IN_PROGRESS)


class Place(models.TextChoices):
    IN_UNIT = "in_unit", _("In the home (特约)")
    PUBLIC = "public", _("Public area (公共)")


class Channel(models.TextChoices):
    APP = "app", _("Resident's phone")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")


class Ticket(models.Model):
    code = models.CharField(max_length=20, unique=True)
    category = models.ForeignKey(RepairCategory, on_delete=models.PROTECT, related_name="tickets")
    place = models.CharField(_("where"), max_length=8, choices=Place.choices)
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("location"), max_length=100, blank=True)
    description = models.CharField(_("what is wrong"), max_length=1000)
    contact_name = models.CharField(_("contact"), max_length=60)
    contact_phone = models.CharField(_("phone"), max_length=20)
    preferred_time = models.CharField(_("preferred time"), max_length=60, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(max_length=8, choices=Priority.choices)
    paid = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    # When the SLA clocks started: the report, or the last reopening (null: created_at).
    clock_from = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # SLA: targets copied at intake (business minutes) and the instants they fall due given the pauses so far
    # (null while paused). Recomputed on each pause/resume; the sweep alerts on them.
    response_target = models.PositiveIntegerField(default=0)
    resolution_target = models.PositiveIntegerField(default=0)
    response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    # The next instant an SLA alert falls due (near or breach, whichever comes first; null: none pending or
    # paused): the sweep reads only tickets whose instant has come.
    alert_at = models.DateTimeField(null=True, blank=True)
    alerted = models.JSONField(default=list, blank=True)  # "response.near", "response.breach", …
    breached = models.BooleanField(default=False)
    leak_tested_at = models.DateTimeField(null=True, blank=True)
    revisit_due = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=300, blank=True)
    materials = models.JSONField(default=list, blank=True)  # [{"name", "quantity", "price_fen"}]
    labour_fen = models.PositiveIntegerField(default=0)
    charge = models.OneToOneField(
        "billing.BillLine", on_delete=models.PROTECT, null=True, blank=True, related_name="repair_ticket"
    )
    reopened = models.PositiveSmallIntegerField(default=0)

    class Meta:
        # The work queues (selectors.queue_*): open tickets, breaches first, then the soonest due.
        indexes = [
            models.Index(
                "assignee",
                models.F("breached").desc(),
                models.F("resolution_due").asc(nulls_last=True),
                name="desk_queue_assignee",
                condition=Q(status__in=["new", "assigned", "accepted", "on_the_way", "in_progress"]),
            ),
            models.Index(
                "office",
                models.F("breached").desc(),
                models.F("resolution_due").asc(nulls_last=True),
                name="desk_queue_office",
                condition=Q(status__in=["new", "assigned", "accepted", "on_the_way", "in_progress"]),
            ),
            models.Index(
                "alert_at",
                name="desk_ticket_alert_at",
                condition=Q(status__in=["new", "assigned", "accepted", "on_the_way", "in_progress"]),
            ),
            models.Index(fields=["unit", "created_at"], name="desk_ticket_unit"),
            models.Index(fields=["reporter", "created_at"], name="desk_ticket_reporter"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(place="public") | Q(unit__isnull=False), name="desk_ticket_in_unit_has_unit"
            ),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__range=(1, 5)), name="desk_rating"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def clock_start(self) -> dt.datetime:
        return self.clock_from or self.created_at

    @property
    def charge_fen(self) -> int:
        return self.labour_fen + sum(int(m.get("price_fen", 0)) * int(m.get("quantity", 1)) for m in self.materials)


class TicketPause(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id} paused {self.started_at:%Y-%m-%d %H:%M}"


class TicketEvent(models.Model):
    """The ticket's timeline: one row per step, with who did it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class PhotoStage(models.TextChoices):
    INTAKE = "intake", _("Reported")
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


class TicketPhoto(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=8, choices=PhotoStage.choices)
    image = models.FileField(upload_to=repair_photo_path)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.stage} photo"


# Complaints and satisfaction live in their own modules (models of this app all the same).
from .complaint_models import Complaint, ComplaintEvent, ComplaintPause  # noqa: E402, F401
from .survey_models import Rating, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse  # noqa: E402, F401
