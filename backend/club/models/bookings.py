"""Bookings and the counters that make them race-proof.

SlotCell: the places taken in one cell of a facility's time (created lazily; a missing cell means nothing
taken). QuotaCounter: what a unit used of a facility in a day, week or month. Both are changed only by one
conditional UPDATE each (booking.py, quotas.py) and guarded by CHECK constraints, so two requests can never
both take the last place, however many arrive at once. Booking: one reservation, its money and its life
(held → confirmed → checked in, …). WaitlistEntry, BookingSuspension (no-shows) and BookingSeries (weekly)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.billing.models import BillLine, Deposit, Payment
from backend.payments.models import OnlinePayment
from backend.properties.models import Unit

from .facilities import Facility

# "No limit" on a quota counter row (limits are copied onto the row so the CHECK can hold them).
UNLIMITED = 2_000_000_000


class SlotCell(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    taken = models.IntegerField(default=0)
    # How many closures (or, later, class sessions) hold the cell; a blocked cell takes no booking.
    blocks = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "starts_at"], name="club_slotcell_unique"),
            models.CheckConstraint(
                condition=Q(taken__gte=0, taken__lte=models.F("capacity")), name="club_slotcell_within_capacity"
            ),
            models.CheckConstraint(condition=Q(blocks__gte=0), name="club_slotcell_blocks_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}@{self.starts_at:%Y-%m-%d %H:%M} {self.taken}/{self.capacity}"


class QuotaPeriod(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class QuotaCounter(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=QuotaPeriod.choices)
    period_start = models.DateField()
    bookings = models.IntegerField(default=0)
    minutes = models.IntegerField(default=0)
    max_bookings = models.IntegerField(default=UNLIMITED)
    max_minutes = models.IntegerField(default=UNLIMITED)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "unit", "period", "period_start"], name="club_quota_unique"),
            models.CheckConstraint(
                condition=Q(
                    bookings__gte=0,
                    minutes__gte=0,
                    bookings__lte=models.F("max_bookings"),
                    minutes__lte=models.F("max_minutes"),
                ),
                name="club_quota_within_limits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.period_start}: {self.bookings} / {self.minutes} min"


class BookingStatus(models.TextChoices):
    HELD = "held", _("Waiting for payment")
    PENDING = "pending", _("Waiting for approval")
    OFFERED = "offered", _("Offered from the waitlist")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# Statuses that hold places in the cells.
LIVE_STATUSES = (
    BookingStatus.HELD,
    BookingStatus.PENDING,
    BookingStatus.OFFERED,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
)


class RefundStatus(models.TextChoices):
    NONE = "", _("Not settled")
    GATEWAY = "gateway", _("Waiting for the payment gateway")
    DONE = "done", _("Settled")


class DeskMethod(models.TextChoices):
    """How a walk-in guest paid at the club's desk (a guest has no ledger: the money is recorded club-side)."""

    CASH = "cash", _("Cash")
    POS = "pos", _("POS card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class DeskDeposit(models.TextChoices):
    NONE = "", _("Held")
    RELEASED = "released", _("Handed back")
    FORFEITED = "forfeited", _("Kept")


class BookingSource(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    STAFF = "staff", _("Staff")
    WAITLIST = "waitlist", _("Waitlist")
    SERIES = "series", _("Weekly series")
    CLASS = "class", _("Class")


class BookingSeries(models.Model):
    """A weekly series (staff, and residents where the facility allows): one booking per week."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="series")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    guest_name = models.CharField(max_length=60, blank=True)
    guest_phone = models.CharField(max_length=20, blank=True)
    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveSmallIntegerField()
    minutes = models.PositiveSmallIntegerField()
    party_size = models.PositiveSmallIntegerField(default=1)
    first_date = models.DateField()
    last_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    # The last week tried (booked or skipped as full or closed): the daily extension goes on from here.
    booked_through = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="club_series_weekday"),
            models.CheckConstraint(
                condition=Q(last_date__isnull=True) | Q(last_date__gte=models.F("first_date")),
                name="club_series_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"series {self.pk} of {self.facility_id}"


class Booking(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings")
    # A resident's booking is their unit's (quotas, arrears, suspensions count per unit); a guest's has none.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    guest_name = models.CharField(_("guest"), max_length=60, blank=True)
    guest_phone = models.CharField(_("guest's phone"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    # The cells it holds: starts_at, starts_at + cell_minutes, … < ends_at (the grain when it was made).
    cell_minutes = models.PositiveSmallIntegerField()
    party_size = models.PositiveSmallIntegerField(_("people"), default=1)
    places = models.PositiveSmallIntegerField(default=1)
    # The quota periods (day, week, month) the booking was counted in, so its release gives back exactly that.
    quota_periods = ArrayField(models.CharField(max_length=5), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices)
    source = models.CharField(max_length=10, choices=BookingSource.choices, default=BookingSource.RESIDENT)
    series = models.ForeignKey(BookingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    # A random code for the QR and check-in by typing (unambiguous alphabet).
    code = models.CharField(max_length=16, unique=True)
    # "<user id>:<Idempotency-Key>": a repeated request returns the booking it made.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    # Money (fen). The payment references are filled by the payments side of bookings.
    price_fen = models.PositiveIntegerField(_("fee (fen)"), default=0)
    deposit_fen = models.PositiveIntegerField(_("deposit (fen)"), default=0)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    online_payment = models.ForeignKey(OnlinePayment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # "Charge to my account" / pay online: the fee as a one-off line on the unit's ledger.
    charge = models.OneToOneField(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="club_booking"
    )
    # The deposit as its own one-off line (money.py: paid through the same flow as the fee), and the billing
    # Deposit that registers it as held once that line is paid (released or forfeited through billing).
    deposit_charge = models.OneToOneField(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="club_booking_deposit"
    )
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # "Charge to my account": confirmed with the lines left owed on the unit's ledger (paid_at is then set too).
    charged_to_account_at = models.DateTimeField(null=True, blank=True)
    # What the resident is owed back after a cancellation (cutoff rule) or a closure; refunded_at once done.
    refund_due_fen = models.PositiveIntegerField(default=0)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # refunds.py, a cancellation's money: "" not settled yet; "gateway": the ledger is settled and its Stripe
    # refunds wait for the gateway; "done": settled once and for all. refund_ids: the payments.Refund rows of
    # the booking (its cancellation's and its deposit's), written as requested before Stripe is asked.
    refund_status = models.CharField(max_length=8, choices=RefundStatus.choices, blank=True, default="")
    refund_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # A guest's booking paid at the desk (desk.py): how and to whom; paid_at is set then. Its deposit is handed
    # back or kept at the desk too (desk_deposit, with when and why).
    desk_method = models.CharField(max_length=16, choices=DeskMethod.choices, blank=True)
    desk_paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    desk_deposit = models.CharField(max_length=10, choices=DeskDeposit.choices, blank=True, default="")
    desk_deposit_at = models.DateTimeField(null=True, blank=True)
    desk_deposit_reason = models.CharField(max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    rejected_reason = models.CharField(max_length=300, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    no_show_at = models.DateTimeField(null=True, blank=True)
    # The reminder an hour before (club.booking_reminder) went out then: each booking is reminded once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="club_booking_ends_after"),
            models.CheckConstraint(condition=Q(party_size__gte=1, places__gte=1), name="club_booking_people"),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="club_booking_status_valid"),
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | ~Q(guest_name=""), name="club_booking_unit_or_guest"
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="club_booking_hold_expires"
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "starts_at"], name="club_booking_facility_idx"),
            models.Index(fields=["user", "starts_at"], name="club_booking_user_idx"),
            models.Index(fields=["unit", "starts_at"], name="club_booking_unit_idx"),
            models.Index(
                fields=["hold_expires_at"],
                condition=Q(status__in=["held", "offered"]),
                name="club_booking_holds_idx",
            ),
            # The reminder and no-show sweeps read confirmed bookings by their start.
            models.Index(fields=["starts_at"], condition=Q(status="confirmed"), name="club_booking_confirmed_idx"),
        ]

    def __str__(self) -> str:
        return f"booking {self.code}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def total_fen(self) -> int:
        return self.price_fen + self.deposit_fen


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="waitlist")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    party_size = models.PositiveSmallIntegerField(default=1)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    offered_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="club_waitlist_ends_after"),
            models.UniqueConstraint(
                fields=["facility", "starts_at", "user"],
                condition=Q(status__in=["waiting", "offered"]),
                name="club_waitlist_once_per_slot",
            ),
        ]
        indexes = [models.Index(fields=["facility", "starts_at", "status"], name="club_waitlist_lookup_idx")]

    def __str__(self) -> str:
        return f"waitlist {self.pk} ({self.status})"


class BookingSuspension(models.Model):
    """A unit may not book until `until` (company-wide), e.g. after too many no-shows."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-until"]
        indexes = [models.Index(fields=["unit", "until"], name="club_suspension_unit_idx")]

    def __str__(self) -> str:
        return f"suspension of {self.unit_id} until {self.until:%Y-%m-%d}"
