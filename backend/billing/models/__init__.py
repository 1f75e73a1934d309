"""收费管理 models, by area: fees.py (fee items, standards, assignments), meters.py (meters, readings),
bills.py (bill runs, bill lines), ledger.py (the ledger, payments, deposits, waivers; its docstring has the
table of entry kinds), settings.py (the company's billing rules), dunning.py (reminders, contacts). Django
finds the models through this package, and code imports them from here: `from backend.billing.models import
BillLine`."""

from __future__ import annotations

from .bills import BillLine, BillRun
from .dunning import DunningContact, ReminderLog
from .fees import (
    CURRENCY,
    ChargeMethod,
    Cycle,
    FeeAssignment,
    FeeCategory,
    FeeItem,
    FeeStandard,
    LateFeeMode,
    MeterKind,
)
from .ledger import Deposit, LedgerEntry, Payment, WaiverRequest
from .meters import Meter, MeterReading
from .settings import BillingSettings, Sanction, SettlementOrder

__all__ = [
    "CURRENCY",
    "FeeCategory",
    "ChargeMethod",
    "Cycle",
    "MeterKind",
    "LateFeeMode",
    "FeeItem",
    "FeeStandard",
    "FeeAssignment",
    "Meter",
    "MeterReading",
    "BillRun",
    "BillLine",
    "Payment",
    "Deposit",
    "LedgerEntry",
    "WaiverRequest",
    "Sanction",
    "SettlementOrder",
    "BillingSettings",
    "ReminderLog",
    "DunningContact",
]
