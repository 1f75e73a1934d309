"""会所 models, by area: facilities.py (facilities and their rules, opening hours, photos, closures) and
bookings.py (the slot and quota counters, bookings, waitlist, suspensions, weekly series). Code imports them
from here: `from backend.club.models import Facility`. classes.py: training classes (teachers, sessions,
enrolments, attendance)."""

from __future__ import annotations

from .bookings import (
    LIVE_STATUSES,
    UNLIMITED,
    Booking,
    BookingSeries,
    BookingSource,
    BookingStatus,
    BookingSuspension,
    QuotaCounter,
    QuotaPeriod,
    SlotCell,
    WaitlistEntry,
)
from .classes import (
    Attendance,
    ClassSession,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    RefundPolicy,
    Teacher,
    TrainingClass,
)
from .facilities import (
    MINUTES_A_DAY,
    BookingMode,
    Closure,
    Facility,
    FacilityKind,
    FacilityPhoto,
    OpeningHours,
    PriceMode,
)

__all__ = [
    "LIVE_STATUSES",
    "MINUTES_A_DAY",
    "UNLIMITED",
    "Attendance",
    "Booking",
    "BookingMode",
    "BookingSeries",
    "BookingSource",
    "BookingStatus",
    "BookingSuspension",
    "ClassSession",
    "ClassStatus",
    "Closure",
    "Enrolment",
    "EnrolmentStatus",
    "Facility",
    "FacilityKind",
    "FacilityPhoto",
    "OpeningHours",
    "PriceMode",
    "QuotaCounter",
    "QuotaPeriod",
    "RefundPolicy",
    "SlotCell",
    "Teacher",
    "TrainingClass",
    "WaitlistEntry",
]
