"""Bill runs (计费 / 月结) and the bill lines they post; a line's balance is derived from the ledger
(ledger.py), its `outstanding` column kept by database triggers (migration billing 0002)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Unit

from .fees import CURRENCY, FeeItem


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
            # Lines something is still owed on (the arrears list, reminders, a resident's dues): a few percent of
            # all lines. It carries what those reads take from each line (the period, what is owed), so after a
            # VACUUM (tenants.db.schema_analyze) they are index-only scans that never touch the table.
            models.Index(
                fields=["unit", "due_date"],
                include=["period_start", "outstanding"],
                condition=Q(outstanding__gt=0),
                name="bill_line_open_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.period_start:%Y-%m}"
