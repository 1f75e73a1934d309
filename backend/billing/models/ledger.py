"""收费管理: fee items and their versioned standards, meters and readings, bill runs and bill lines, and the
append-only ledger every unit's account is derived from.

Money is integer fen (`amount`, with `currency`); rates are Decimal yuan per unit of the basis, rounded
half-up to the fen once per bill line. Nothing here is edited once posted: a correction is a new entry.

The ledger (LedgerEntry) in one table, one row per movement, `amount` always > 0 and the kind giving the sign:

    kind        bill line owed   unit balance (owed − credit)   prepaid credit
    charge          +amount          +amount                          ·
    waiver          −amount          −amount                          ·
    payment             ·            −amount                      +amount
    prepayment          ·            −amount                      +amount
    settle          −amount              ·                        −amount
    unsettle        +amount              ·                        +amount
    refund              ·            +amount                      −amount
    deposit_*       (deposits are held apart from the fee account)

so `balance == Σ owed over lines − prepaid credit` always holds (tests/backend/billing/test_ledger_properties.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Estate, ManagementOffice, Unit, UnitType

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


class BillRun(models.Model):
    """计费 / 月结: one run over a period and a scope (whole company, offices, estates or buildings)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Previewed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        POSTED = "posted", _("Posted")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("period"), help_text=_("the first day of the month billed"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEW)
    office_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    estate_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    building_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    total_units = models.PositiveIntegerField(default=0)
    done_units = models.PositiveIntegerField(default=0)
    lines_created = models.PositiveIntegerField(default=0)
    amount_created = models.BigIntegerField(default=0)
    lines_existing = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    scheduled = models.BooleanField(default=False, help_text=_("started by the monthly schedule"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(period__day=1), name="bill_run_period_first_of_month")]

    def __str__(self) -> str:
        return f"bill run {self.period:%Y-%m}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.POSTED:
            return 100
        if not self.total_units:
            return 0
        return min(100, self.done_units * 100 // self.total_units)


class BillLine(models.Model):
    """One thing a unit owes: an item for a period (charge), a late fee on a line (late_fee), or a one-off
    charge posted by staff (adhoc). `amount` is what was charged when the line was created; what is still
    owed is derived from the ledger (selectors.line_owed_q)."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        LATE_FEE = "late_fee", _("Late fee")
        ADHOC = "adhoc", _("One-off charge")

    # FK columns whose lookups a composite index below already serves carry no index of their own: a bill run
    # inserts 100,000 lines at a time and every index costs.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bill_lines", db_index=False)
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="bill_lines", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHARGE)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    amount = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    description = models.CharField(max_length=200, blank=True)
    due_date = models.DateField(_("due date"))
    bill_run = models.ForeignKey(BillRun, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="late_fee_lines")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What is still owed on this line, derived from the ledger by the database, never written by code: the
    # statement-level triggers of migration 0002 add every line entry (charge, unsettle) and subtract every
    # waiver and settlement as it is inserted. The arrears list reads it through a partial index instead of
    # summing the whole ledger; billing_outstanding_check (and the tests) compare it with the ledger's sum.
    outstanding = models.BigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["unit_id", "period_start", "fee_item_id"]
        constraints = [
            # The idempotency of bill runs: a unit × item × period is billed once, whoever asks how often.
            models.UniqueConstraint(
                fields=["unit", "fee_item", "period_start"],
                condition=Q(kind="charge"),
                name="bill_line_once_per_unit_item_period",
            ),
            models.UniqueConstraint(fields=["parent"], condition=Q(kind="late_fee"), name="bill_line_one_late_fee"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_line_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="bill_line_period_order"
            ),
            models.CheckConstraint(
                condition=Q(kind="late_fee", parent__isnull=False) | (~Q(kind="late_fee") & Q(parent__isnull=True)),
                name="bill_line_late_fee_has_parent",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "period_start"], name="bill_line_unit_period"),
            models.Index(fields=["due_date"], name="bill_line_due"),
            models.Index(fields=["fee_item", "period_start"], name="bill_line_item_period"),
            # Lines something is still owed on (the arrears list, reminders): a few percent of all lines.
            models.Index(fields=["unit", "due_date"], condition=Q(outstanding__gt=0), name="bill_line_open"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.period_start:%Y-%m}"


class Payment(models.Model):
    """Money received for a unit, by any channel. The payments issue adds provider details on top; the
    ledger only needs who, how much, how and the reference."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        POS = "pos", _("POS card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        REMOTE_TRANSFER = "remote_transfer", _("Remote remittance (异地汇款)")
        BANK_COLLECTION = "bank_collection", _("Bank collection (银行托收)")
        CARD = "card", _("Card (online)")
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat", _("WeChat Pay")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Counter")
        ONLINE = "online", _("Online")
        AUTOPAY = "autopay", _("Autopay")
        IMPORT = "import", _("Import")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="payments")
    amount = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.COUNTER)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    payer_name = models.CharField(_("payer"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    to_prepaid = models.BooleanField(_("to the prepaid balance"), default=False)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    received_at = models.DateTimeField(_("received at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [models.Index(fields=["unit", "received_at"], name="payment_unit_received")]

    def __str__(self) -> str:
        return f"payment {self.pk} ¥{self.amount / 100:.2f}"


class Deposit(models.Model):
    """押金 / 装修保证金: money held for a unit, later refunded or forfeited (in part or whole)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="deposits")
    purpose = models.CharField(_("purpose"), max_length=100)
    amount = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    method = models.CharField(_("method"), max_length=20, choices=Payment.Method.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    payer_name = models.CharField(_("payer"), max_length=60, blank=True)
    received_at = models.DateTimeField(_("received at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive")]

    def __str__(self) -> str:
        return f"deposit {self.purpose}"


class LedgerEntry(models.Model):
    """The append-only journal of a unit's account. See the module docstring for the sign of each kind."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        WAIVER = "waiver", _("Waiver / credit")
        PAYMENT = "payment", _("Payment")
        PREPAYMENT = "prepayment", _("Prepayment")
        SETTLE = "settle", _("Settled")
        UNSETTLE = "unsettle", _("Settlement reversed")
        REFUND = "refund", _("Refund")
        DEPOSIT_HELD = "deposit_held", _("Deposit held")
        DEPOSIT_REFUNDED = "deposit_refunded", _("Deposit refunded")
        DEPOSIT_FORFEITED = "deposit_forfeited", _("Deposit forfeited")

    class WaiverKind(models.TextChoices):
        WAIVER = "waiver", _("Waiver (减免)")
        CORRECTION = "correction", _("Correction (红冲)")

    # Lookups by unit, line and payment use the composite (…, kind) indexes below; no single-column ones.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default=CURRENCY)
    bill_line = models.ForeignKey(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    deposit = models.ForeignKey(
        Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    # Late fees accrue one charge entry per day on their line; the date makes the daily task idempotent.
    accrual_date = models.DateField(null=True, blank=True)
    waiver_kind = models.CharField(max_length=12, choices=WaiverKind.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_index=False
    )
    occurred_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    LINE_KINDS = ("charge", "waiver", "settle", "unsettle")
    PAYMENT_KINDS = ("payment", "prepayment", "settle", "unsettle", "refund")
    DEPOSIT_KINDS = ("deposit_held", "deposit_refunded", "deposit_forfeited")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=~Q(kind__in=["charge", "waiver", "settle", "unsettle"]) | Q(bill_line__isnull=False),
                name="ledger_line_kinds_name_a_line",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["payment", "prepayment", "settle", "unsettle", "refund"])
                | Q(payment__isnull=False),
                name="ledger_payment_kinds_name_a_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["deposit_held", "deposit_refunded", "deposit_forfeited"])
                | Q(deposit__isnull=False),
                name="ledger_deposit_kinds_name_a_deposit",
            ),
            models.CheckConstraint(
                condition=~Q(kind="waiver") | Q(approved_by__isnull=False), name="ledger_waiver_approved"
            ),
            # A bill line has one charge entry; a late-fee line has one per accrual day.
            models.UniqueConstraint(
                fields=["bill_line"],
                condition=Q(kind="charge", accrual_date__isnull=True),
                name="ledger_one_charge_per_line",
            ),
            models.UniqueConstraint(
                fields=["bill_line", "accrual_date"],
                condition=Q(kind="charge", accrual_date__isnull=False),
                name="ledger_one_accrual_per_line_day",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind__in=["payment", "prepayment"]),
                name="ledger_one_receipt_per_payment",
            ),
            models.UniqueConstraint(
                fields=["deposit"], condition=Q(kind="deposit_held"), name="ledger_one_hold_per_deposit"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "kind"], name="ledger_unit_kind"),
            models.Index(fields=["bill_line", "kind"], name="ledger_line_kind"),
            models.Index(fields=["payment", "kind"], name="ledger_payment_kind"),
            models.Index(fields=["occurred_on"], name="ledger_occurred_on"),
            models.Index(fields=["deposit"], condition=Q(deposit__isnull=False), name="ledger_deposit"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class WaiverRequest(models.Model):
    """减免 / 红冲 awaiting approval: a credit on one bill line, with a reason; a second person approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    bill_line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="waiver_requests")
    kind = models.CharField(
        max_length=12, choices=LedgerEntry.WaiverKind.choices, default=LedgerEntry.WaiverKind.WAIVER
    )
    amount = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="waiver_request_amount_positive")]

    def __str__(self) -> str:
        return f"waiver {self.pk}"


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
