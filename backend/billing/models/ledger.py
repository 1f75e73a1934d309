"""The append-only ledger every unit's account is derived from, and what moves it: payments, deposits and
waiver requests. Money is integer fen (`amount`, with `currency`). Nothing here is edited once posted: a
correction is a new entry.

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
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.properties.models import Unit

from .bills import BillLine
from .fees import CURRENCY


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
