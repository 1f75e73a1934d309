"""Payments on top of the billing ledger: online payments (Stripe PaymentIntents), autopay mandates,
receipts (收费票据) with a gap-free number, refunds and voids, and cashiers' day closes (日结).

Money itself lives in billing: every payment here ends as one `billing.Payment` (posted with
`ledger.payment_record`) and every refund as one ledger refund entry. These rows say how it got there."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.billing.models import CURRENCY, BillRun, LedgerEntry, Payment
from backend.properties.models import Unit


class PaymentSettings(models.Model):
    """The company's payment rules: receipt numbering (单据编码规则), online methods, follow-up."""

    class DateFormat(models.TextChoices):
        DAY = "YYYYMMDD", _("Year, month and day (20261122)")
        MONTH = "YYYYMM", _("Year and month (202611)")
        YEAR = "YYYY", _("Year (2026)")

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    receipt_prefix = models.CharField(_("receipt number prefix"), max_length=10, default="SF", blank=True)
    receipt_date_format = models.CharField(
        _("date in the receipt number"), max_length=8, choices=DateFormat.choices, default=DateFormat.DAY
    )
    receipt_digits = models.PositiveSmallIntegerField(_("digits of the sequence"), default=6)
    online_enabled = models.BooleanField(_("residents can pay online"), default=True)
    card_enabled = models.BooleanField(_("bank cards"), default=True)
    alipay_enabled = models.BooleanField(_("Alipay (支付宝)"), default=False)
    wechat_enabled = models.BooleanField(_("WeChat Pay (微信支付)"), default=False)
    autopay_enabled = models.BooleanField(_("residents can turn on autopay"), default=True)
    followup_minutes = models.PositiveSmallIntegerField(
        _("list online payments without a webhook after (minutes)"), default=30
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(receipt_digits__gte=3, receipt_digits__lte=10), name="receipt_digits"),
        ]

    def __str__(self) -> str:
        return "payment settings"

    @classmethod
    def load(cls) -> PaymentSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj


class ReceiptCounter(models.Model):
    """The last receipt sequence number of a year. Incremented inside the payment's transaction, so a
    rolled-back payment gives its number back: numbers are gap-free per company and year."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"receipts {self.year}: {self.last}"


class Receipt(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        VOIDED = "voided", _("Voided (作废)")

    number = models.CharField(_("receipt number"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    issued_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VALID)
    print_count = models.PositiveIntegerField(default=0, help_text="printed (downloaded) this many times")
    last_printed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_year_sequence"),
            models.CheckConstraint(condition=Q(status="valid") | ~Q(void_reason=""), name="receipt_void_needs_reason"),
        ]

    def __str__(self) -> str:
        return self.number


class StripeCustomer(models.Model):
    """The Stripe customer of a resident (saved cards hang off it)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    customer_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.customer_id


class AutopayMandate(models.Model):
    """自动扣款: a resident lets the company charge a saved card when bills are issued, up to a monthly maximum."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    payment_method_id = models.CharField(max_length=100)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    monthly_max = models.BigIntegerField(_("monthly maximum (fen)"))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(active=True), name="autopay_one_active_per_unit"),
            models.CheckConstraint(condition=Q(monthly_max__gt=0), name="autopay_max_positive"),
        ]

    def __str__(self) -> str:
        return f"autopay {self.unit_id} {self.card_brand} {self.card_last4}"


class OnlinePayment(models.Model):
    """One attempt to pay online: a PaymentIntent for exactly `amount`, stored against `line_ids` (or a top-up
    of the prepaid balance). It becomes a `billing.Payment` once, when Stripe says it succeeded: by the
    browser's return, the webhook or the periodic re-check, whichever comes first."""

    class Status(models.TextChoices):
        CREATED = "created", _("Awaiting payment")
        REQUIRES_ACTION = "requires_action", _("Awaiting authentication")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    class MethodType(models.TextChoices):
        CARD = "card", _("Bank card")
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat_pay", _("WeChat Pay")

    FINAL = ("succeeded", "canceled")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    amount = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(max_length=3, default=CURRENCY)
    line_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    to_prepaid = models.BooleanField(default=False)
    provider = models.CharField(max_length=12, default="stripe")
    method_type = models.CharField(max_length=12, choices=MethodType.choices, default=MethodType.CARD)
    channel = models.CharField(max_length=10, choices=Payment.Channel.choices, default=Payment.Channel.ONLINE)
    intent_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=140, unique=True, null=True, blank=True)
    mandate = models.ForeignKey(AutopayMandate, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bill_run = models.ForeignKey(BillRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="online")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="when the payer submitted it")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    webhook_at = models.DateTimeField(null=True, blank=True, help_text="first webhook about it")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="last re-check against Stripe")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="online_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(payment__isnull=False), name="online_succeeded_has_payment"
            ),
            # An autopay charge per mandate and bill run, once.
            models.UniqueConstraint(
                fields=["mandate", "bill_run"],
                condition=Q(mandate__isnull=False, bill_run__isnull=False),
                name="online_autopay_once_per_run",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="online_status_created")]

    def __str__(self) -> str:
        return f"online payment {self.pk} ¥{self.amount / 100:.2f} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class Refund(models.Model):
    """Money given back from a payment (a Stripe refund, a cash refund) or a voided receipt's reversal."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        VOID = "void", _("Void (作废)")

    class Status(models.TextChoices):
        # requested: written before Stripe is asked (no ledger entry yet); it counts against what is left to
        # refund until Stripe's answer is applied (succeeded / pending) or it failed.
        REQUESTED = "requested", _("Sent to the gateway, not confirmed yet")
        SUCCEEDED = "succeeded", _("Refunded")
        PENDING = "pending", _("Pending at the gateway")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REFUND)
    amount = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    provider = models.CharField(max_length=12, default="offline")
    provider_refund_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    failure_code = models.CharField(max_length=60, blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="last re-check against Stripe")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            # Money that went back is in the ledger; a refund not (yet) made has no ledger entry.
            models.CheckConstraint(
                condition=(Q(status__in=["succeeded", "pending"]) & Q(entry__isnull=False))
                | (Q(status__in=["requested", "failed"]) & Q(entry__isnull=True)),
                name="refund_entry_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self) -> str:
        return f"refund {self.pk} ¥{self.amount / 100:.2f}"


class DayClose(models.Model):
    """日结: a cashier's day, totalled by method and locked. Nothing dated that day by that cashier can be
    recorded, voided or refunded afterwards."""

    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    business_date = models.DateField(_("day"))
    payment_count = models.PositiveIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    refund_total = models.BigIntegerField(default=0)
    totals = models.JSONField(default=dict, help_text="fen by payment method")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-business_date", "cashier_id"]
        constraints = [models.UniqueConstraint(fields=["cashier", "business_date"], name="day_close_once")]

    def __str__(self) -> str:
        return f"day close {self.business_date} {self.cashier_id}"


class BankCollection(models.Model):
    """银行托收: one result file the bank returned for a collection run (the bank debited owners' accounts under
    their collection agreements). Finance uploads it (pending: checked, shown, nothing counted) and confirms
    it (applied: each successful debit a payment). The same file, by its SHA-256, is taken once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Checked, not applied")
        APPLIED = "applied", _("Applied")

    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    data = models.BinaryField(help_text="the file as uploaded (kept: it is the bank's record of the debits)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    rows = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0, help_text="debits that became payments")
    failed = models.PositiveIntegerField(default=0, help_text="debits the bank could not make")
    skipped = models.PositiveIntegerField(default=0, help_text="debits already imported from another file")
    amount = models.BigIntegerField(default=0, help_text="fen received (the succeeded debits)")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(applied_at__isnull=False), name="bank_collection_applied_at"
            )
        ]

    def __str__(self) -> str:
        return f"bank collection {self.pk} {self.file_name}"


class BankCollectionRow(models.Model):
    """One debit of an applied file, as it was counted: a payment, a failed debit (the bank's reason) or a
    debit skipped because another file already brought it in (by the bank's serial number)."""

    class Outcome(models.TextChoices):
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Debit failed")
        SKIPPED = "skipped", _("Already imported")

    collection = models.ForeignKey(BankCollection, on_delete=models.CASCADE, related_name="debits")
    row = models.PositiveIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount (fen)"))
    debited_on = models.DateField(_("debit date"))
    serial = models.CharField(_("bank serial number"), max_length=60)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["collection_id", "row"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "row"], name="bank_collection_row_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_collection_row_amount_positive"),
            models.CheckConstraint(
                condition=Q(outcome="paid", payment__isnull=False) | (~Q(outcome="paid") & Q(payment__isnull=True)),
                name="bank_collection_row_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"debit {self.serial} ¥{self.amount / 100:.2f}"
