"""What the billing replay (backend/demo/billing.py) keeps while it runs: who pays how, what each unit owes
(mirroring the ledger), the timeline of events and the day being replayed."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from backend.accounts.models import User
from backend.audit.context import Actor, acting_as
from backend.billing.ledger_bulk import PaymentIn
from backend.billing.models import FeeItem, Meter
from backend.properties.models import Estate, ManagementOffice, Unit
from backend.properties.scope import Scope

from .plans import BillingPlan


@dataclass
class Payer:
    """How one unit pays."""

    unit: Unit
    kind: str  # owner | developer | arrears | prepay_start | prepay_mid | resident
    method: str
    offset: int  # habitual days after the due date (negative: before)
    unpaid_months: int = 0
    payer: str = ""


@dataclass
class Book:
    """What each unit owes and holds, followed as the history is replayed (mirrors the ledger)."""

    owed: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    credit: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def charge(self, unit_id: int, amount: int) -> None:
        self.owed[unit_id] += amount
        used = min(self.credit[unit_id], self.owed[unit_id])
        self.credit[unit_id] -= used
        self.owed[unit_id] -= used

    def pay(self, unit_id: int, amount: int) -> None:
        used = min(self.owed[unit_id], amount)
        self.owed[unit_id] -= used
        self.credit[unit_id] += amount - used


@dataclass(order=True)
class Event:
    when: dt.datetime
    seq: int
    action: Callable[[], Any] = field(compare=False)
    # A counter payment: gathered with the day's others and recorded in one go (ledger_bulk).
    batched: bool = field(default=False, compare=False)


def round_fen(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pick(rng: random.Random, weighted: list[tuple[Any, int]] | tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class State:
    """The replay's state, shared by the set-up (billing_setup.py) and the payers (billing_payments.py)."""

    plan: BillingPlan
    tz: ZoneInfo
    now: dt.datetime
    today: dt.date
    finance: User | None
    service: User | None
    resident: User | None
    rng: random.Random
    everything: Scope
    months: list[dt.date]
    billing_day: int
    due_day: int
    book: Book
    counts: dict[str, int]
    events: list[Event]
    day: dt.date  # the business date being replayed
    current: dt.datetime  # the moment of the event being replayed
    pending: list[PaymentIn]
    estates: dict[str, Estate]
    office: ManagementOffice | None
    units: list[Unit]
    resident_units: set[int]
    management: dict[str, FeeItem]
    garbage: FeeItem
    water: FeeItem
    elevator: FeeItem
    parking: FeeItem
    debris: FeeItem
    water_meters: dict[int, Meter]
    elevator_meter: Meter | None
    payers: list[Payer]
    by_unit: dict[int, Payer]
    collections: dict[int, list[tuple[Payer, bool]]]  # month index → (payer, debit succeeds)

    def at(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def add(self, when: dt.datetime, action: Callable[[], Any], *, batched: bool = False) -> None:
        if when <= self.now:
            self.events.append(Event(when, len(self.events), action, batched))

    def cashier(self) -> Any:
        user = self.finance
        return acting_as(Actor(user_id=user.pk if user else None, user_name=user.name if user else "system", ip=None))
