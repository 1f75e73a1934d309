"""会所 models, by area: facilities.py (facilities and their rules, opening hours, photos, closures),
bookings.py (the slot and quota counters, bookings, waitlist, suspensions, weekly series), settings.py (the
company's club settings) and classes.py (training classes: teachers, sessions, enrolments, attendance). Code
imports them from here: `from backend.club.models import Facility`."""

from __future__ import annotations

from .bookings import (
    LIVE_STATUSES,
    UNLIMITED,
    Booking,
    BookingSeries,
    BookingSource,
    BookingStatus,
    BookingSuspension,
    DeskDeposit,
    DeskMethod,
    QuotaCounter,
    QuotaPeriod,
    RefundStatus,
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
from .settings import ClubSettings

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
    "DeskDeposit",
    "DeskMethod",
    "Closure",
    "Enrolment",
    "EnrolmentStatus",
    "ClubSettings",
    "Facility",
    "FacilityKind",
    "FacilityPhoto",
    "OpeningHours",
    "PriceMode",
    "QuotaCounter",
    "QuotaPeriod",
    "RefundPolicy",
    "RefundStatus",
    "SlotCell",
    "Teacher",
    "TrainingClass",
    "WaitlistEntry",
]
