"""收费管理 models, by area. Django finds models through this package, and code imports them from here:
`from backend.billing.models import BillLine`."""

from __future__ import annotations

from .ledger import (
    CURRENCY,
    BillingSettings,
    BillLine,
    BillRun,
    ChargeMethod,
    Cycle,
    Deposit,
    DunningContact,
    FeeAssignment,
    FeeCategory,
    FeeItem,
    FeeStandard,
    LateFeeMode,
    LedgerEntry,
    Meter,
    MeterKind,
    MeterReading,
    Payment,
    ReminderLog,
    Sanction,
    SettlementOrder,
    WaiverRequest,
)

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
