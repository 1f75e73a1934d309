"""催缴: the reminders sent to a unit's residents and the contacts staff log while following up arrears."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Unit


class ReminderLog(models.Model):
    """One payment reminder sent to one person about one unit (the ladder's limits count these)."""

    class Stage(models.TextChoices):
        BEFORE_DUE = "before_due", _("Before the due date")
        OVERDUE = "overdue", _("Overdue")
        REPEAT = "repeat", _("Repeated overdue reminder")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    amount = models.BigIntegerField(default=0)
    sent_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            # The ladder runs hourly; one reminder per unit, person and day whatever happens.
            models.UniqueConstraint(fields=["unit", "user", "sent_on"], name="reminder_once_per_day"),
        ]
        indexes = [models.Index(fields=["unit", "sent_at"], name="reminder_unit_sent")]

    def __str__(self) -> str:
        return f"reminder {self.unit_id} {self.sent_on}"


class DunningContact(models.Model):
    """催缴记录: one contact with a unit about its arrears."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        APP = "app", _("App message")
        VISIT = "visit", _("Home visit")
        LETTER = "letter", _("Demand letter")

    class Category(models.TextChoices):
        PROMISED = "promised", _("Promised to pay")
        UNREACHABLE = "unreachable", _("Unreachable")
        AWAY = "away", _("Away")
        DISPUTES = "disputes", _("Disputes a service")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="dunning_contacts")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    contact_name = models.CharField(_("spoke with"), max_length=60, blank=True)
    summary = models.CharField(_("what was said"), max_length=500)
    category = models.CharField(_("outcome"), max_length=12, choices=Category.choices)
    promised_date = models.DateField(_("promised payment date"), null=True, blank=True)
    amount_owed = models.BigIntegerField(default=0)
    contacted_at = models.DateTimeField(_("contacted at"))
    promise_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contacted_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="promised") | Q(promised_date__isnull=False),
                name="dunning_promise_has_date",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "contacted_at"], name="dunning_unit_contacted"),
            models.Index(fields=["promised_date"], name="dunning_promised_date"),
        ]

    def __str__(self) -> str:
        return f"contact {self.unit_id} {self.contacted_at:%Y-%m-%d}"
