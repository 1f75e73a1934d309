"""A club facility (会所设施) and its rules: when it opens (per weekday, several ranges a day = breaks), how it
is cut into cells (slots, or free-length bookings with a minimum, a maximum and a step), who may book and
how far ahead, limits (quotas per unit, party size, cancellation cutoff), price and deposit, approval, and
the no-show rule. Photos, and closures (one-off or weekly) that black periods out.

Facility carries its estate's office id too (kept by services.py): staff lists are filtered by the caller's
data scope on those two columns, without joins. Money is integer fen; times of day are minutes after
midnight in the company's time zone (0–1440)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.billing.models import FeeItem
from backend.properties.models import Estate, ManagementOffice, OccupancyRole
from tenants.storage import company_file_path

MINUTES_A_DAY = 24 * 60


def facility_photo_path(instance: object, filename: str) -> str:
    return company_file_path("facilities", filename)


class FacilityKind(models.TextChoices):
    CLUBHOUSE = "clubhouse", _("Clubhouse")
    GYM = "gym", _("Gym")
    POOL = "pool", _("Swimming pool")
    TENNIS = "tennis_court", _("Tennis court")
    BASKETBALL = "basketball_court", _("Basketball court")
    MEETING_ROOM = "meeting_room", _("Meeting room")
    FUNCTION_ROOM = "function_room", _("Function room")
    LIBRARY = "library", _("Library")
    OTHER = "other", _("Other")


class BookingMode(models.TextChoices):
    SLOT = "slot", _("Fixed slots")
    FREE = "free", _("Free length (minimum, maximum, step)")


class PriceMode(models.TextChoices):
    FREE = "free", _("Free")
    PER_SLOT = "per_slot", _("Per slot")
    PER_HOUR = "per_hour", _("Per hour")
    PER_PERSON = "per_person", _("Per person")


def default_allowed_roles() -> list[str]:
    return list(OccupancyRole.values)


class Facility(models.Model):
    """会所设施: a gym, a pool, a court, a room."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="facilities")
    office = models.ForeignKey(ManagementOffice, on_delete=models.PROTECT, related_name="+", editable=False)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=FacilityKind.choices)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    is_active = models.BooleanField(_("open for bookings"), default=True)

    # How time is cut: every booking takes whole cells of `cell_minutes` (see `cell_minutes` below).
    capacity = models.PositiveIntegerField(_("places per slot"), default=1, help_text=_("1 means exclusive."))
    counts_people = models.BooleanField(
        _("a booking takes one place per person"),
        default=False,
        help_text=_("On for a gym or a pool; off for a court or a room, which a booking takes whole."),
    )
    booking_mode = models.CharField(_("booking mode"), max_length=8, choices=BookingMode.choices, default="slot")
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    min_minutes = models.PositiveSmallIntegerField(_("shortest booking (minutes)"), default=60)
    max_minutes = models.PositiveSmallIntegerField(_("longest booking (minutes)"), default=120)
    step_minutes = models.PositiveSmallIntegerField(_("booking step (minutes)"), default=30)

    # The booking window and limits.
    horizon_days = models.PositiveSmallIntegerField(_("bookable days ahead"), default=14)
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=0)
    cancel_cutoff_minutes = models.PositiveIntegerField(_("free cancellation until (minutes before)"), default=1440)
    late_cancel_refund_percent = models.PositiveSmallIntegerField(
        _("refund of the fee after the cutoff (%)"), default=0
    )
    max_party_size = models.PositiveSmallIntegerField(_("largest party"), default=1)
    # Per unit; 0 = no limit. A booking counts in the day, ISO week and month of its start.
    quota_bookings_day = models.PositiveSmallIntegerField(_("bookings per unit a day"), default=0)
    quota_bookings_week = models.PositiveSmallIntegerField(_("bookings per unit a week"), default=0)
    quota_bookings_month = models.PositiveSmallIntegerField(_("bookings per unit a month"), default=0)
    quota_minutes_day = models.PositiveIntegerField(_("minutes per unit a day"), default=0)
    quota_minutes_week = models.PositiveIntegerField(_("minutes per unit a week"), default=0)
    quota_minutes_month = models.PositiveIntegerField(_("minutes per unit a month"), default=0)

    # Price (fen): the resident price for a unit's booking, the guest price for walk-ins and non-residents.
    price_mode = models.CharField(_("price"), max_length=12, choices=PriceMode.choices, default="free")
    resident_price_fen = models.PositiveIntegerField(_("resident price (fen)"), default=0)
    guest_price_fen = models.PositiveIntegerField(_("guest price (fen)"), default=0)
    deposit_fen = models.PositiveIntegerField(_("deposit (fen)"), default=0)
    hold_minutes = models.PositiveSmallIntegerField(_("a booking waits for payment (minutes)"), default=15)
    # What a paid booking is charged as on the unit's ledger (an item of the estate's office).
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    # Who may book, and how.
    requires_approval = models.BooleanField(_("bookings need approval"), default=False)
    allowed_roles = ArrayField(
        models.CharField(max_length=16, choices=OccupancyRole.choices), default=default_allowed_roles, blank=True
    )
    # Estates whose homes may book; empty = the facility's own estate.
    allowed_estate_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    residents_may_recur = models.BooleanField(_("residents may book a weekly series"), default=False)

    # Waitlist, check-in and no-shows (0 = off: no suspension by default).
    offer_minutes = models.PositiveSmallIntegerField(_("a waitlist offer is held (minutes)"), default=30)
    checkin_grace_minutes = models.PositiveSmallIntegerField(_("check-in grace (minutes)"), default=15)
    no_show_limit = models.PositiveSmallIntegerField(_("no-shows in 30 days before a suspension"), default=0)
    no_show_suspend_days = models.PositiveSmallIntegerField(_("suspension (days)"), default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["estate_id", "name"]
        verbose_name_plural = "facilities"
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="club_facility_name_unique_in_estate"),
            models.CheckConstraint(condition=Q(kind__in=FacilityKind.values), name="club_facility_kind_valid"),
            models.CheckConstraint(condition=Q(booking_mode__in=BookingMode.values), name="club_facility_mode_valid"),
            models.CheckConstraint(condition=Q(price_mode__in=PriceMode.values), name="club_facility_price_valid"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="club_facility_capacity_positive"),
            models.CheckConstraint(condition=Q(max_party_size__gte=1), name="club_facility_party_positive"),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=MINUTES_A_DAY, step_minutes__gte=5),
                name="club_facility_cells_sane",
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__gte=F("step_minutes"), max_minutes__gte=F("min_minutes")),
                name="club_facility_free_length_sane",
            ),
            models.CheckConstraint(
                condition=Q(late_cancel_refund_percent__lte=100), name="club_facility_refund_percent"
            ),
        ]
        indexes = [models.Index(fields=["office", "estate"], name="club_facility_scope_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def cell_minutes(self) -> int:
        """The grain of the facility's time: a slot in slot mode, the step in free mode."""
        return self.slot_minutes if self.booking_mode == BookingMode.SLOT else self.step_minutes

    @property
    def is_paid(self) -> bool:
        return self.price_mode != PriceMode.FREE or self.deposit_fen > 0

    @property
    def bookable_estate_ids(self) -> list[int]:
        return list(self.allowed_estate_ids) or [self.estate_id]


class OpeningHours(models.Model):
    """One opening range of a weekday (Monday = 0). Several a day make breaks (09:00–12:00, 14:00–21:00)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    opens = models.PositiveSmallIntegerField(_("opens (minutes after midnight)"))
    closes = models.PositiveSmallIntegerField(_("closes (minutes after midnight)"))

    class Meta:
        ordering = ["facility_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="club_hours_weekday"),
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes"), closes__lte=MINUTES_A_DAY), name="club_hours_range"
            ),
            models.UniqueConstraint(fields=["facility", "weekday", "opens"], name="club_hours_unique_start"),
        ]

    def __str__(self) -> str:
        opens, closes = divmod(self.opens, 60), divmod(self.closes, 60)
        return f"{self.weekday} {opens[0]:02d}:{opens[1]:02d}–{closes[0]:02d}:{closes[1]:02d}"


class FacilityPhoto(models.Model):
    """A photo of a facility, accepted through backend.uploads (kind FACILITY_PHOTO, re-encoded)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=facility_photo_path)
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility_id", "position", "id"]

    def __str__(self) -> str:
        return self.caption or f"photo {self.pk}"


class Closure(models.Model):
    """A blackout (maintenance, an event): one-off from `starts_at` to `ends_at`, or weekly on `weekday`
    from `start_minute` to `end_minute` between `first_date` and `last_date` (open-ended when empty).

    `blocked_cells`: the cells (their starts) inside the bookable window when the closure was made, whose
    counters it blocks, so a booking racing with the closure loses; later cells are refused by the rules
    (rules.py), which read the closure itself. Removing the closure unblocks exactly these."""

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("One-off")
        WEEKLY = "weekly", _("Every week")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default="one_off")
    reason = models.CharField(_("reason"), max_length=200)
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    start_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    end_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    first_date = models.DateField(_("first day"), null=True, blank=True)
    last_date = models.DateField(_("last day"), null=True, blank=True)
    blocked_cells = ArrayField(models.DateTimeField(), default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility_id", "starts_at", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="one_off",
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        starts_at__lt=F("ends_at"),
                        weekday__isnull=True,
                    )
                    | Q(
                        kind="weekly",
                        weekday__lte=6,
                        start_minute__isnull=False,
                        end_minute__lte=MINUTES_A_DAY,
                        start_minute__lt=F("end_minute"),
                        first_date__isnull=False,
                        starts_at__isnull=True,
                    )
                ),
                name="club_closure_shape",
            ),
            models.CheckConstraint(
                condition=Q(last_date__isnull=True) | Q(last_date__gte=F("first_date")),
                name="club_closure_dates",
            ),
        ]
        indexes = [models.Index(fields=["facility", "ends_at"], name="club_closure_lookup_idx")]

    def __str__(self) -> str:
        return self.reason
