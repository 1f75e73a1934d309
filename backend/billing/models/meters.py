"""抄表: meters (a unit's own or shared, 公摊) and their monthly readings (the rules: billing/reading_rules.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Estate, Unit

from .fees import FeeItem, MeterKind


class Meter(models.Model):
    """A water / electricity / gas meter: a unit's own, or a shared meter (公摊) whose usage is apportioned
    by building area across `shared_units` under `fee_item`."""

    kind = models.CharField(_("kind"), max_length=12, choices=MeterKind.choices)
    number = models.CharField(_("meter number"), max_length=40)
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="meters")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="meters")
    shared_units = models.ManyToManyField(Unit, blank=True, related_name="shared_meters")
    fee_item = models.ForeignKey(
        FeeItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_meters",
        help_text=_("for a shared meter: the item its usage is billed under"),
    )
    multiplier = models.DecimalField(_("multiplier"), max_digits=8, decimal_places=2, default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["estate_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="meter_number_unique_in_estate"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="meter_multiplier_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_shared(self) -> bool:
        return self.unit_id is None


class MeterReading(models.Model):
    """抄表: one reading per meter and month. An anomaly (lower than the last reading, or usage far above
    the unit's average) is `flagged` and not billed until someone confirms it."""

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        FLAGGED = "flagged", _("Flagged for review")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField(_("month"))
    reading = models.DecimalField(_("reading"), max_digits=14, decimal_places=2)
    previous = models.DecimalField(_("previous reading"), max_digits=14, decimal_places=2, null=True, blank=True)
    usage = models.DecimalField(_("usage"), max_digits=14, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK)
    flag_reason = models.CharField(max_length=200, blank=True)
    read_on = models.DateField(_("read on"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    BILLABLE = ("ok", "confirmed")

    class Meta:
        ordering = ["meter_id", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "period"], name="meter_reading_once_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="meter_reading_period_first_of_month"),
        ]
        indexes = [models.Index(fields=["status", "period"], name="meter_reading_status_period")]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.period:%Y-%m}"
