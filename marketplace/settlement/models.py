"""Commission and settlement with merchants, in the company's schema (the company settles with each merchant it
admits; its residents' orders never leave it). Money is integer fen.

- `PayableEntry`: the append-only payables ledger per (company, merchant). Each paid order line posts a sale
  and the company's commission on it; each refund posts the refund and the commission given back on it; each
  payout posts the payout. Amounts are positive, the kind gives the sign (SIGN). A database trigger refuses
  UPDATE and DELETE on the table: corrections are new entries, balances are sums.
- `Statement` (结算单): one per merchant per month (the company's time zone, Asia/Shanghai by default). It
  takes every entry of the merchant not yet on a statement dated before the month's end, through
  `StatementLine` (one row per entry, the entry unique: an entry is on at most one statement), so a refund
  given after a month was settled is on the next statement. Its totals are frozen at issue.
- `Payout`: finance pays a confirmed statement's amount due, by a recorded bank transfer or, where the
  merchant has a Stripe Connect account, by a Stripe Transfer (idempotency key per payout).
- `PayoutAccount`: the merchant's payout details for this company (bank, Stripe Connect account id)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    SALE = "sale", _("Sale")
    REFUND = "refund", _("Refund")
    COMMISSION = "commission", _("Commission")
    COMMISSION_REVERSAL = "commission_reversal", _("Commission given back")
    PAYOUT = "payout", _("Payout")


# What each kind does to what the company owes the merchant.
SIGN: dict[str, int] = {
    EntryKind.SALE: 1,
    EntryKind.REFUND: -1,
    EntryKind.COMMISSION: -1,
    EntryKind.COMMISSION_REVERSAL: 1,
    EntryKind.PAYOUT: -1,
}
# The kinds a statement carries (a payout pays a statement; it is not on one).
STATEMENT_KINDS = (EntryKind.SALE, EntryKind.REFUND, EntryKind.COMMISSION, EntryKind.COMMISSION_REVERSAL)


class PayableEntry(models.Model):
    merchant_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount_fen = models.PositiveIntegerField()
    order_id = models.BigIntegerField(null=True, blank=True)
    order_code = models.CharField(max_length=20, blank=True)
    order_line = models.ForeignKey(
        "marketplace_orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    category_code = models.SlugField(max_length=40, blank=True)
    payout = models.ForeignKey("Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["merchant_id", "occurred_at"], name="payable_merchant_time"),
            models.Index(fields=["order_line", "kind"], name="payable_line_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payable_amount_positive"),
            # A paid line's sale and commission are posted once.
            models.UniqueConstraint(
                fields=["order_line", "kind"],
                condition=Q(kind__in=["sale", "commission"]),
                name="payable_sale_once_per_line",
            ),
            models.UniqueConstraint(fields=["payout"], condition=Q(kind="payout"), name="payable_payout_once"),
            models.CheckConstraint(
                condition=Q(kind="payout", payout__isnull=False, order_line__isnull=True)
                | (~Q(kind="payout") & Q(payout__isnull=True, order_line__isnull=False)),
                name="payable_entry_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen} (merchant {self.merchant_id})"

    @property
    def signed_fen(self) -> int:
        return SIGN[self.kind] * self.amount_fen


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("Waiting for the merchant's confirmation")
    CONFIRMED = "confirmed", _("Confirmed, to be paid")
    PAYING = "paying", _("Payout being sent")
    PAID = "paid", _("Paid")
    CARRIED = "carried", _("Nothing to pay: carried to the next statement")


class Statement(models.Model):
    code = models.CharField(max_length=40, unique=True)
    merchant_id = models.BigIntegerField()
    merchant_name = models.CharField(max_length=100)
    month = models.DateField(help_text="The first day of the month settled")
    status = models.CharField(max_length=12, choices=StatementStatus.choices, default=StatementStatus.ISSUED)
    sales_fen = models.PositiveIntegerField(default=0)
    refunds_fen = models.PositiveIntegerField(default=0)
    commission_fen = models.PositiveIntegerField(default=0)
    reversal_fen = models.PositiveIntegerField(default=0)
    # sales − refunds − commission + reversal (may be below zero: refunds of earlier months).
    net_fen = models.IntegerField(default=0)
    # The previous statement's amount when it was below zero (carried, never paid): taken off this one.
    carried_in_fen = models.IntegerField(default=0)
    due_fen = models.IntegerField(default=0)
    # How many of its entries are from before the month (refunds after the earlier month was settled).
    earlier_entries = models.PositiveIntegerField(default=0)
    issued_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_id = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "merchant_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant_id", "month"], name="statement_once_per_month"),
            models.CheckConstraint(
                condition=Q(
                    net_fen=models.F("sales_fen")
                    - models.F("refunds_fen")
                    - models.F("commission_fen")
                    + models.F("reversal_fen")
                ),
                name="statement_net_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(due_fen=models.F("net_fen") + models.F("carried_in_fen")), name="statement_due_adds_up"
            ),
            models.CheckConstraint(condition=Q(carried_in_fen__lte=0), name="statement_carry_never_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class StatementLine(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    entry = models.OneToOneField(PayableEntry, on_delete=models.PROTECT, related_name="statement_line")

    class Meta:
        ordering = ["entry_id"]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.entry_id}"


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    STRIPE_TRANSFER = "stripe_transfer", _("Stripe Transfer")


class PayoutStatus(models.TextChoices):
    SENDING = "sending", _("Being sent")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class Payout(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="payouts")
    merchant_id = models.BigIntegerField()
    amount_fen = models.PositiveIntegerField()
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    status = models.CharField(max_length=8, choices=PayoutStatus.choices)
    reference = models.CharField(_("transfer reference"), max_length=80, blank=True)
    destination = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_amount_positive"),
            # A statement is paid once: at most one payout that is not failed.
            models.UniqueConstraint(
                fields=["statement"], condition=~Q(status="failed"), name="payout_once_per_statement"
            ),
            # The same bank transfer is not recorded twice.
            models.UniqueConstraint(
                fields=["method", "reference"], condition=~Q(reference=""), name="payout_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} of {self.statement_id}"

    def idempotency_key(self, schema: str) -> str:
        return f"{schema}:payout:{self.pk}"


class PayoutAccount(models.Model):
    merchant_id = models.BigIntegerField(unique=True)
    bank_name = models.CharField(_("bank"), max_length=80, blank=True)
    account_name = models.CharField(_("account name"), max_length=100, blank=True)
    account_number = models.CharField(_("account number"), max_length=40, blank=True)
    stripe_account_id = models.CharField(
        _("Stripe Connect account"), max_length=64, blank=True, help_text=_("acct_…; empty: paid by bank transfer")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stripe_account_id="") | Q(stripe_account_id__startswith="acct_"),
                name="payout_account_stripe_id_shape",
            )
        ]

    def __str__(self) -> str:
        return f"payout account of merchant {self.merchant_id}"

    @property
    def account_masked(self) -> str:
        n = self.account_number
        return f"****{n[-4:]}" if len(n) > 4 else n
