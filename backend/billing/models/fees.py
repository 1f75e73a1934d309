"""收费项目 and 收费标准: what is charged (and how it is computed and how often), its versioned rates, and the
units it is charged to. Money is integer fen (`amount`, with `currency`); rates are Decimal yuan per unit of
the basis, rounded half-up to the fen once per bill line."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import ManagementOffice, Unit, UnitType

CURRENCY = "CNY"


class FeeCategory(models.TextChoices):
    MANAGEMENT = "management", _("Property management fee")
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")
    PARKING = "parking", _("Parking")
    GARBAGE = "garbage", _("Garbage removal")
    RENOVATION_DEBRIS = "renovation_debris", _("Renovation debris removal")
    SHARED = "shared", _("Shared utilities (公摊)")
    DEPOSIT = "deposit", _("Deposit")
    TEMPORARY = "temporary", _("One-off charge")
    SERVICE = "service", _("Paid service")
    OTHER = "other", _("Other")


class ChargeMethod(models.TextChoices):
    FIXED = "fixed", _("Fixed amount per unit")
    AREA = "area", _("Rate × building area")
    METER = "meter", _("Rate × meter usage")
    SHARED_METER = "shared_meter", _("Shared meter, apportioned by area")


class Cycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    ONE_OFF = "one_off", _("One-off (posted by hand)")


class MeterKind(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class LateFeeMode(models.TextChoices):
    OFF = "off", _("No late fee")
    FIXED = "fixed", _("Fixed amount")
    DAILY_PERCENT = "daily_percent", _("Percent per day")


class FeeItem(models.Model):
    """收费项目: what is charged, how it is computed and how often, per management office."""

    office = models.ForeignKey(ManagementOffice, on_delete=models.PROTECT, related_name="fee_items")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=FeeCategory.choices)
    method = models.CharField(_("charge method"), max_length=16, choices=ChargeMethod.choices)
    cycle = models.CharField(_("billing cycle"), max_length=12, choices=Cycle.choices, default=Cycle.MONTHLY)
    meter_kind = models.CharField(_("meter kind"), max_length=12, choices=MeterKind.choices, blank=True)
    # Lower settles first when the company settles by priority (BillingSettings.settlement_order).
    priority = models.PositiveSmallIntegerField(_("settlement priority"), default=100)
    late_fee_mode = models.CharField(_("late fee"), max_length=16, choices=LateFeeMode.choices, default=LateFeeMode.OFF)
    late_fee_fixed = models.BigIntegerField(_("fixed late fee (fen)"), default=0)
    late_fee_daily_percent = models.DecimalField(
        _("late fee % per day"), max_digits=7, decimal_places=4, default=0, help_text=_("e.g. 0.03 for 0.03%/day")
    )
    late_fee_grace_days = models.PositiveSmallIntegerField(_("grace days after the due date"), default=0)
    late_fee_cap = models.BigIntegerField(_("late fee cap (fen)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["office_id", "priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="fee_item_code_unique_in_office"),
            models.CheckConstraint(
                condition=Q(method__in=["fixed", "area"], meter_kind="") | Q(method__in=["meter", "shared_meter"]),
                name="fee_item_meter_kind_only_for_meters",
            ),
            models.CheckConstraint(condition=~Q(method="meter", meter_kind=""), name="fee_item_meter_needs_kind"),
            models.CheckConstraint(
                condition=Q(late_fee_fixed__gte=0, late_fee_daily_percent__gte=0), name="fee_item_late_fee_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FeeStandard(models.Model):
    """收费标准: the rate of a fee item from a date on, optionally for one unit type. A price change is a new
    row; the old one keeps billing the months before it."""

    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="standards")
    unit_type = models.CharField(
        _("unit type"), max_length=16, choices=UnitType.choices, blank=True, help_text=_("blank: every type")
    )
    effective_from = models.DateField(_("effective from"))
    rate = models.DecimalField(
        _("rate (yuan)"),
        max_digits=12,
        decimal_places=4,
        help_text=_("per unit, per m² of building area, or per unit of usage, per month"),
    )
    custody_percent = models.DecimalField(
        _("Percent charged for units in custody"), max_digits=5, decimal_places=2, default=100
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fee_item_id", "unit_type", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee_item", "unit_type", "effective_from"], name="fee_standard_one_version_per_date"
            ),
            models.CheckConstraint(condition=Q(effective_from__day=1), name="fee_standard_starts_on_first"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="fee_standard_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(custody_percent__gte=0, custody_percent__lte=100), name="fee_standard_custody_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.rate} from {self.effective_from}"


class FeeAssignment(models.Model):
    """Which units are charged which items, from (and until) which month."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="fee_assignments")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="assignments")
    start_date = models.DateField(_("billed from"))
    end_date = models.DateField(_("billed until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "fee_item"], name="fee_assignment_once_per_unit"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="fee_assignment_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["fee_item", "unit"], name="fee_assignment_item_unit")]

    def __str__(self) -> str:
        return f"unit {self.unit_id} · {self.fee_item_id}"
