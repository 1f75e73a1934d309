"""The billing replay's set-up: shops, fee items, standards and assignments, the meters and a reading a
month (see backend/demo/billing.py for what is billed)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from backend.billing import services
from backend.billing.models import FeeItem, LateFeeMode, Meter, MeterReading
from backend.properties import services as registry
from backend.properties.models import Building, ParkingSpace, Unit, UnitStatus, UnitType
from tenants.db import connection

from .billing_state import State
from .plans import ELEVATOR_RATE, GARBAGE, PARKING_RATE, WATER_RATE


def analyze() -> None:
    """Refresh the planner's statistics of the tables this seeding fills (in its own transaction the
    autovacuum daemon cannot see them; without this the bill runs and payments plan for empty tables)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE billing_feeassignment, billing_meter, billing_meterreading, billing_billline, "
            "billing_ledgerentry, billing_payment, properties_unit"
        )


class Setup(State):
    def shops(self) -> None:
        for estate_name, spec in self.plan.management.items():
            for building, floor in spec.shops:
                ids = list(
                    Unit.objects.filter(estate__name=estate_name, building__name=building, floor=floor).values_list(
                        "pk", flat=True
                    )
                )
                # A few at a time: the audit entry lists the ids in a 64-character field.
                for start in range(0, len(ids), 8):
                    registry.units_bulk_update(
                        unit_ids=ids[start : start + 8], scope=self.everything, unit_type=UnitType.SHOP
                    )

    def _item(self, **data: Any) -> FeeItem:
        assert self.office is not None
        return services.fee_item_create(office=self.office, scope=self.everything, **{"cycle": "monthly", **data})

    def standard(self, item: FeeItem, month: int, rate: str, **extra: Any) -> None:
        services.fee_standard_create(
            item=item, effective_from=self.months[month], rate=Decimal(rate), by=self.finance, **extra
        )

    def items(self) -> None:
        start = self.months[0]
        self.management = {}
        for priority, (estate_name, spec) in enumerate(self.plan.management.items()):
            estate = self.estates.get(estate_name)
            if estate is None:
                continue
            late = (
                {
                    "late_fee_mode": LateFeeMode.DAILY_PERCENT,
                    "late_fee_daily_percent": Decimal("0.03"),
                    "late_fee_grace_days": 15,
                    "late_fee_cap": 10_000,
                }
                if spec.late_fee
                else {}
            )
            item = self._item(
                code=spec.code,
                name=spec.name,
                category="management",
                method="area",
                cycle="monthly",
                priority=10 + priority,
                **late,
            )
            first_rate = spec.rates[0][1]
            self.standard(item, 0, first_rate, custody_percent="70", note="物业服务合同约定的收费标准")
            self.standard(item, 0, spec.shop, unit_type=UnitType.SHOP, custody_percent="70")
            services.fee_assign(item=item, scope=self.everything, start_date=start, estate_id=estate.pk)
            self.management[estate_name] = item
        self.garbage = self._item(code="garbage", name="垃圾清运费", category="garbage", method="fixed", priority=30)
        self.standard(self.garbage, 0, GARBAGE[0])
        self.standard(self.garbage, 0, GARBAGE[1], unit_type=UnitType.SHOP)
        self.water = self._item(
            code="water", name="水费", category="water", method="meter", meter_kind="water", priority=40
        )
        self.standard(self.water, 0, WATER_RATE)
        self.elevator = self._item(
            code="elevator",
            name="电梯公摊电费",
            category="shared",
            method="shared_meter",
            meter_kind="electricity",
            priority=50,
        )
        self.standard(self.elevator, 0, ELEVATOR_RATE)
        self.parking = self._item(
            code="parking", name="车位管理费", category="parking", method="fixed", cycle="quarterly", priority=60
        )
        self.standard(self.parking, 0, PARKING_RATE)
        self.debris = self._item(
            code="debris", name="装修垃圾清运费", category="renovation_debris", method="fixed", cycle="one_off"
        )
        for estate in self.estates.values():
            for item in (self.garbage, self.water):
                services.fee_assign(item=item, scope=self.everything, start_date=start, estate_id=estate.pk)
        # Units with a parking space pay its management fee, quarterly.
        parking_units: list[int] = []
        for estate in self.estates.values():
            spaces = list(ParkingSpace.objects.filter(estate=estate, unit__isnull=True).order_by("number"))
            homes = list(Unit.objects.filter(estate=estate, status=UnitStatus.OCCUPIED).order_by("pk"))
            chosen = self.rng.sample(homes, min(len(homes), len(spaces), self.plan.parking_units_per_estate))
            for space, unit in zip(spaces, chosen, strict=False):
                ParkingSpace.objects.filter(pk=space.pk).update(unit=unit)
                parking_units.append(unit.pk)
        if parking_units:
            services.fee_assign(item=self.parking, scope=self.everything, start_date=start, unit_ids=parking_units)
        self.counts["fee_items"] = FeeItem.objects.count()

    def meters(self) -> None:
        """A water meter per unit and the shared elevator meter (示范: 阳光花园 1栋), with a reading a month."""
        meters = Meter.objects.bulk_create(
            [
                Meter(kind="water", number=f"W-{u.building.name}-{u.number}", estate_id=u.estate_id, unit=u)
                for u in self.units
            ]
        )
        self.water_meters = {m.unit_id: m for m in meters if m.unit_id is not None}
        self.elevator_meter = None
        if self.plan.elevator is not None:
            estate = self.estates.get(self.plan.elevator[0])
            building = Building.objects.filter(estate=estate, name=self.plan.elevator[1]).first() if estate else None
            if building is not None:
                self.elevator_meter = Meter.objects.create(
                    kind="electricity", number=f"E-{building.name}-电梯", estate=building.estate, fee_item=self.elevator
                )
                self.elevator_meter.shared_units.set(Unit.objects.filter(building=building))
        self.counts["meters"] = len(meters) + (1 if self.elevator_meter else 0)
        # Usage per month: households 4–14 t with a summer peak; homes being renovated a little; none when vacant.
        self.usage: dict[int, list[Decimal]] = {}
        for u in self.units:
            if u.status == UnitStatus.OCCUPIED:
                base = self.rng.uniform(4, 14) * (2.5 if u.unit_type == UnitType.SHOP else 1)
            elif u.status == UnitStatus.HANDED_OVER:
                base = self.rng.uniform(0.5, 3)
            elif u.status == UnitStatus.CUSTODY:
                base = self.rng.uniform(0, 1)
            else:
                base = 0
            row = []
            for m in self.months:
                season = 1 + 0.25 * math.sin((m.month - 4) / 12 * 2 * math.pi)
                value = base * season * self.rng.uniform(0.85, 1.15)
                row.append(Decimal(str(round(value, 1))))
            self.usage[u.pk] = row
        self.start_reading = {u.pk: Decimal(self.rng.randint(50, 1800)) for u in self.units}
        occupied = [u for u in self.units if u.status == UnitStatus.OCCUPIED and u.pk not in self.resident_units]
        odd = self.rng.sample(occupied, 3)
        last = len(self.months) - 1
        # (unit, month index, status, reason): two of this month's readings wait for review, an older spike
        # (a leaking pipe) was confirmed and billed.
        self.odd_readings = {
            (odd[0].pk, last): ("lower", "flagged", "Lower than the previous reading"),
            (odd[1].pk, last): ("spike", "flagged", "Usage far above the unit's average"),
            (odd[2].pk, max(0, last - 4)): ("spike", "confirmed", "Usage far above the unit's average"),
        }

    def readings(self, index: int) -> None:
        month = self.months[index]
        read_on = month - dt.timedelta(days=2)
        rows = []
        for u in self.units:
            meter = self.water_meters[u.pk]
            before = self.start_reading[u.pk] + sum(self.usage[u.pk][:index], Decimal(0))
            usage = self.usage[u.pk][index]
            status, reason, reviewed = "ok", "", None
            odd = self.odd_readings.get((u.pk, index))
            if odd:
                what, status, reason = odd
                usage = (-Decimal("90.0") if what == "lower" else usage * 6 + 20).quantize(Decimal("0.1"))
                self.usage[u.pk][index] = usage if status == "confirmed" else Decimal(0)
                if status == "confirmed":
                    reviewed = self.at(read_on + dt.timedelta(days=1), 15)
            rows.append(
                MeterReading(
                    meter=meter,
                    period=month,
                    reading=before + usage,
                    previous=before,
                    usage=usage,
                    status=status,
                    flag_reason=reason,
                    read_on=read_on,
                    reviewed_by=self.finance if reviewed else None,
                    reviewed_at=reviewed,
                )
            )
        if self.elevator_meter is not None:
            kwh = [Decimal(self.rng.randint(2600, 3400)) for _ in range(index + 1)]
            rows.append(
                MeterReading(
                    meter=self.elevator_meter,
                    period=month,
                    reading=Decimal(20_000) + sum(kwh),
                    previous=Decimal(20_000) + sum(kwh[:-1]),
                    usage=kwh[-1],
                    read_on=read_on,
                )
            )
        MeterReading.objects.bulk_create(rows)
        self.counts["readings"] += len(rows)
        if index in (0, 1, 2, 4, 8):  # as the tables grow
            analyze()
