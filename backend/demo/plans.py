"""What each demo company's billing looks like: its fee items and rates, how long a history, how its units
pay. backend/demo/billing.py replays the plan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.billing.models import Payment


@dataclass(frozen=True)
class EstateFees:
    """Per estate: its management fee item and standards, and the share of its units in arrears."""

    code: str
    name: str
    rates: tuple[tuple[int, str], ...]  # (month index it takes effect, ¥/m²/month)
    shop: str  # ¥/m²/month for shops
    arrears: Decimal
    shops: tuple[tuple[str, int], ...]  # ground-floor shops (底商): (building, floor)
    late_fee: bool = False


@dataclass(frozen=True)
class BillingPlan:
    management: dict[str, EstateFees]  # estate name → its management fee
    months: int  # bill runs, ending with the current month
    developer: str  # pays for the unsold (vacant) units
    # How many of the latest overdue months an arrears unit has left unpaid (weights), so every aging bucket
    # (0–30 / 31–90 / 91–180 / 180+ days) holds units.
    arrears_months: tuple[tuple[int, int], ...]
    elevator: tuple[str, str] | None = None  # (estate, building) with a shared elevator meter
    prepayers: int = 0  # pay a year ahead: half before the first month, half in the middle of the history
    renovations: int = 0
    parking_units_per_estate: int = 30
    waiver: bool = True  # one waiver waiting for approval
    seed: int = 2026


WATER_RATE = "2.80"
ELEVATOR_RATE = "0.68"
GARBAGE = ("10", "50")  # ¥ per month: homes, shops
PARKING_RATE = "150"  # ¥ per month, billed quarterly
DEPOSIT = 200_000  # 装修保证金, fen
DEBRIS = 30_000  # 装修垃圾清运费, fen
# How owners pay: about a third of them under a bank collection agreement (银行托收), debited each month.
METHODS = [
    (Payment.Method.CASH, 20),
    (Payment.Method.POS, 35),
    (Payment.Method.BANK_COLLECTION, 35),
    (Payment.Method.BANK_TRANSFER, 10),
]
COUNTER_METHODS = [(Payment.Method.CASH, 25), (Payment.Method.POS, 45), (Payment.Method.BANK_TRANSFER, 30)]
COLLECTION_FAILURES = ("余额不足", "账户已冻结", "户名与账号不符")

SHIFAN_BILLING = BillingPlan(
    management={
        # a price change in the middle of the year
        "阳光花园": EstateFees(
            "mgmt-yg", "物业费（阳光花园）", ((0, "2.00"), (6, "2.20")), "4.50", Decimal("0.12"), (("5栋", 1),)
        ),
        "翠湖苑": EstateFees(
            "mgmt-ch",
            "物业费（翠湖苑）",
            ((0, "3.50"),),
            "5.80",
            Decimal("0.04"),
            (("1栋", 1), ("2栋", 1)),
            late_fee=True,
        ),
    },
    months=12,
    developer="示范置业有限公司",
    arrears_months=((1, 15), (2, 10), (3, 10), (4, 8), (5, 8), (6, 9), (8, 10), (10, 12), (12, 18)),
    elevator=("阳光花园", "1栋"),
    prepayers=90,
    renovations=4,
)
LVCHENG_BILLING = BillingPlan(
    management={
        "桂花园": EstateFees("mgmt-gh", "物业费（桂花园）", ((0, "2.60"),), "5.00", Decimal("0.06"), (("1栋", 1),)),
    },
    months=3,
    developer="绿城置业有限公司",
    arrears_months=((1, 3), (2, 2), (3, 1)),
    prepayers=6,
    parking_units_per_estate=12,
    waiver=False,
    seed=3311,
)
