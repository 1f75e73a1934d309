"""The company's billing rules (BillingSettings, one row per company): billing and due days, automatic runs,
how prepaid money settles, late fees, meter anomalies, reminders and the sanctions for units in arrears."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Sanction(models.TextChoices):
    """Restrictions a company may switch on for units in arrears. Never water, power or heating."""

    NO_CERTIFICATES = "no_certificates", _("No certificates issued")
    NO_RENOVATION = "no_renovation", _("No renovation approval")
    NO_MONTHLY_PARKING = "no_monthly_parking", _("No monthly parking")
    NO_CARD_REPLACEMENT = "no_card_replacement", _("No access card replacement")
    NO_PAID_BOOKING = "no_paid_booking", _("No paid facility booking")


class SettlementOrder(models.TextChoices):
    OLDEST_FIRST = "oldest_first", _("Oldest period first")
    PRIORITY = "priority", _("By fee item priority, then oldest")


class BillingSettings(models.Model):
    """The company's billing rules: one row per company (BillingSettings.load())."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    auto_bill_run = models.BooleanField(_("run bills automatically on the billing day"), default=True)
    settlement_order = models.CharField(
        _("prepaid balance settles"),
        max_length=16,
        choices=SettlementOrder.choices,
        default=SettlementOrder.OLDEST_FIRST,
    )
    meter_anomaly_ratio = models.DecimalField(
        _("flag usage above this multiple of the unit's average"), max_digits=5, decimal_places=2, default=3
    )
    # Reminder ladder (催缴)
    reminders_enabled = models.BooleanField(_("send payment reminders"), default=True)
    remind_days_before_due = models.PositiveSmallIntegerField(_("remind this many days before the due date"), default=3)
    remind_on_overdue = models.BooleanField(_("remind on the day a bill becomes overdue"), default=True)
    remind_every_days = models.PositiveSmallIntegerField(_("then remind every N days"), default=5)
    remind_max_per_week = models.PositiveSmallIntegerField(_("at most this many reminders a week"), default=2)
    remind_hour_from = models.PositiveSmallIntegerField(_("send reminders from (hour)"), default=9)
    remind_hour_to = models.PositiveSmallIntegerField(_("send reminders until (hour)"), default=20)
    # Sanctions
    sanctions = ArrayField(models.CharField(max_length=24, choices=Sanction.choices), default=list, blank=True)
    sanction_min_overdue_days = models.PositiveSmallIntegerField(_("sanctions apply after overdue days"), default=30)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "billing settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="billing_settings_single_row"),
            models.CheckConstraint(
                condition=Q(remind_hour_from__lt=models.F("remind_hour_to"), remind_hour_to__lte=24),
                name="billing_settings_reminder_hours",
            ),
            models.CheckConstraint(condition=Q(meter_anomaly_ratio__gt=1), name="billing_settings_anomaly_ratio"),
        ]

    def __str__(self) -> str:
        return "billing settings"

    @classmethod
    def load(cls) -> BillingSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj
