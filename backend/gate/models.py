"""The gate (门岗): visitor passes (访客通行证) a resident issues, the entries security logs when a pass is
scanned, and parcels (快递) security or reception log for a home, picked up by a code with a signature.

Every row carries its unit's office and estate, so staff's data scope (数据权限) filters without a join, and
residents reach only their current homes' rows (selectors.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import company_file_path


def signature_path(instance: object, filename: str) -> str:
    return company_file_path("parcel-signatures", filename)


class GateSettings(models.Model):
    """The company's gate settings (one row)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    parcel_reminder_days = models.PositiveSmallIntegerField(
        _("remind residents of parcels uncollected after (days)"), default=3
    )
    free_parking_minutes = models.PositiveIntegerField(_("free parking for a visitor's car (minutes)"), default=120)
    pass_longest_days = models.PositiveSmallIntegerField(_("longest a visitor pass may last (days)"), default=7)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "gate settings"
        constraints = [models.CheckConstraint(condition=Q(singleton=True), name="gate_settings_single_row")]

    def __str__(self) -> str:
        return "gate settings"

    @classmethod
    def load(cls) -> GateSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj


class PassStatus(models.TextChoices):
    ACTIVE = "active", _("Valid")
    USED = "used", _("Used")
    CANCELLED = "cancelled", _("Cancelled")


class VisitorPass(models.Model):
    code = models.CharField(max_length=12, unique=True)
    # The visitor's share link (a page that shows the QR code without signing in): long and unguessable.
    token = models.CharField(max_length=43, unique=True)
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    visitor_name = models.CharField(_("visitor"), max_length=40)
    visitor_phone = models.CharField(_("visitor's phone"), max_length=20, blank=True)
    plate = models.CharField(_("car plate"), max_length=12, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    multiple = models.BooleanField(_("may enter more than once"), default=False)
    free_parking_minutes = models.PositiveIntegerField(default=0)  # copied from the settings for a car pass
    status = models.CharField(max_length=10, choices=PassStatus.choices, default=PassStatus.ACTIVE)
    entries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "-created_at"], name="gate_pass_unit"),
            models.Index(fields=["estate", "-valid_from"], name="gate_pass_estate"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="gate_pass_window"),
            models.CheckConstraint(condition=Q(multiple=True) | Q(entries__lte=1), name="gate_pass_single_use"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_car(self) -> bool:
        return bool(self.plate)


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class GateEntry(models.Model):
    """One pass at the gate: in (an entry) or out (a car leaving, with its parking time)."""

    visitor_pass = models.ForeignKey(VisitorPass, on_delete=models.CASCADE, related_name="gate_entries")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    plate = models.CharField(max_length=12, blank=True)
    parked_minutes = models.PositiveIntegerField(null=True, blank=True)  # out: since the last in
    over_minutes = models.PositiveIntegerField(null=True, blank=True)  # out: past the free parking

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["visitor_pass", "-at"], name="gate_entry_pass"),
            models.Index(fields=["office", "-at"], name="gate_entry_office"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_pass_id} {self.direction} {self.at:%Y-%m-%d %H:%M}"


class Carrier(models.TextChoices):
    SF = "sf", _("SF Express (顺丰)")
    JD = "jd", _("JD (京东)")
    ZTO = "zto", _("ZTO (中通)")
    YTO = "yto", _("YTO (圆通)")
    STO = "sto", _("STO (申通)")
    YUNDA = "yunda", _("Yunda (韵达)")
    JT = "jt", _("J&T (极兔)")
    EMS = "ems", _("EMS (邮政)")
    OTHER = "other", _("Other")


class ParcelStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting to be picked up")
    COLLECTED = "collected", _("Picked up")
    RETURNED = "returned", _("Returned to the carrier")


class Parcel(models.Model):
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    estate = models.ForeignKey("properties.Estate", on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey("properties.ManagementOffice", on_delete=models.PROTECT, related_name="+")
    carrier = models.CharField(_("carrier"), max_length=8, choices=Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    shelf = models.CharField(_("shelf"), max_length=20)
    # Six digits the resident is told; unique among the parcels still waiting (a partial unique index).
    pickup_code = models.CharField(max_length=6)
    status = models.CharField(max_length=10, choices=ParcelStatus.choices, default=ParcelStatus.WAITING)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    logged_at = models.DateTimeField()
    collected_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    collected_name = models.CharField(_("picked up by"), max_length=40, blank=True)
    signature = models.FileField(upload_to=signature_path, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "-logged_at"], name="gate_parcel_unit"),
            models.Index(fields=["office", "logged_at"], name="gate_parcel_waiting", condition=Q(status="waiting")),
            models.Index(fields=["office", "-logged_at"], name="gate_parcel_office"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pickup_code"], condition=Q(status="waiting"), name="gate_parcel_code_waiting"
            ),
            models.CheckConstraint(
                condition=~Q(status="collected") | Q(collected_at__isnull=False), name="gate_parcel_collected_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_number}"
