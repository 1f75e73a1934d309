"""抄表: the rules a meter reading is checked against, shared by entering one (meter_readings.py), importing many
(meter_imports.py) and reviewing flagged ones (reading_review.py).

Readings, one per meter and month:

* previous = the meter's latest reading before that month that was not rejected; usage = reading − previous.
  The first reading of a meter has no previous and its usage is 0 — unless an *initial* (starting) reading
  is given with it (e.g. what the meter showed when it was installed): then usage = reading − initial.
* Anomalies flag a reading (status `flagged`, `flag_reason` says why) and a flagged reading is not billed
  until someone confirms it: (a) the reading is lower than the previous one; (b) usage is above
  `BillingSettings.meter_anomaly_ratio` × the meter's average usage over its last 6 billable (ok / confirmed)
  readings that had a previous reading, when there are at least 3 of them.
* A month can be entered again until it is billed: the new values replace the old ones and are checked
  again (entering exactly what is stored changes nothing). Once the unit has a posted charge line for the
  meter's item covering that month (for a shared meter: any of its units), the month is locked.
* Changing or rejecting a month recomputes the next reading's previous and usage (unless that one is locked).
* Confirming a reading lower than the previous one (a replaced or rolled-over meter) bills no usage for that
  month (usage 0); the following month counts from it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .models import BillLine, ChargeMethod, Meter, MeterReading
from .periods import month_start
from .services import decimal_value

HISTORY_READINGS = 6  # the average is taken over this many billable readings …
MIN_HISTORY = 3  # … and only when there are at least this many
MAX_READING = Decimal("999999999999.99")
Status = MeterReading.Status


def average_usage(usages: Sequence[Decimal]) -> Decimal | None:
    if len(usages) < MIN_HISTORY:
        return None
    return (sum(usages, Decimal(0)) / len(usages)).quantize(Decimal("0.01"))


def meter_decimal(
    value: Any, field: str, errors: dict[str, list[str]], *, places: int = 2, maximum: Decimal = MAX_READING
) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    # Meter readings are typed with thousands separators ("12,345.6"); rates never are (services.py).
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    d = decimal_value(text, field, errors, places=places)
    if d is None:
        return None
    if d > maximum:
        errors[field] = [_("At most %(max)s.") % {"max": maximum}]
        return None
    return d


def covers(spans: Iterable[tuple[dt.date, dt.date]], period: dt.date) -> bool:
    return any(start <= period <= end for start, end in spans)


def locked_periods(meters: Sequence[Meter]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """meter id → the (first, last) days of posted charge lines of the meter's item: months inside are locked."""
    out: dict[int, list[tuple[dt.date, dt.date]]] = {}
    unit_meters = [m for m in meters if m.unit_id]
    if unit_meters:
        spans: dict[tuple[int, str], list[tuple[dt.date, dt.date]]] = defaultdict(list)
        rows = (
            BillLine.objects.filter(
                kind=BillLine.Kind.CHARGE,
                unit_id__in={m.unit_id for m in unit_meters},
                fee_item__method=ChargeMethod.METER,
            )
            .values_list("unit_id", "fee_item__meter_kind", "period_start", "period_end")
            .distinct()
        )
        for unit_id, kind, start, end in rows:
            spans[(unit_id, kind)].append((start, end))
        for m in unit_meters:
            assert m.unit_id is not None
            out[m.pk] = spans.get((m.unit_id, m.kind), [])
    for m in meters:
        if m.unit_id is None:
            out[m.pk] = list(
                BillLine.objects.filter(
                    kind=BillLine.Kind.CHARGE,
                    fee_item_id=m.fee_item_id,
                    unit__in=m.shared_units.values("pk"),
                )
                .values_list("period_start", "period_end")
                .distinct()
            )
    return out


def reading_locked(reading: MeterReading) -> bool:
    return covers(locked_periods([reading.meter]).get(reading.meter_id, ()), reading.period)


def _previous_index(timeline: Sequence[MeterReading], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if timeline[i].status != Status.REJECTED:
            return i
    return None


def _plain(d: Decimal) -> str:
    """3.00 → '3', 2.50 → '2.5', 10 → '10'."""
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def evaluate(timeline: list[MeterReading], index: int, ratio: Decimal, *, initial: Decimal | None = None) -> None:
    """Set previous, usage, status and flag_reason of timeline[index] (a meter's readings by period)."""
    row = timeline[index]
    p = _previous_index(timeline, index)
    prev = timeline[p] if p is not None else None
    row.previous = prev.reading if prev is not None else initial
    row.usage = row.reading - row.previous if row.previous is not None else Decimal(0)
    reasons: list[str] = []
    if row.previous is not None and row.reading < row.previous:
        reasons.append(
            _("Lower than the previous reading (%(previous)s%(month)s).")
            % {"previous": row.previous, "month": f", {prev.period:%Y-%m}" if prev is not None else ""}
        )
    else:
        history = [
            r.usage for r in reversed(timeline[:index]) if r.status in MeterReading.BILLABLE and r.previous is not None
        ][:HISTORY_READINGS]
        average = average_usage(history)
        if average is not None and row.usage > ratio * average:
            reasons.append(
                _("Usage %(usage)s is more than %(ratio)s× the average %(average)s of the last %(n)d readings.")
                % {"usage": row.usage, "ratio": _plain(ratio), "average": average, "n": len(history)}
            )
    row.status = Status.FLAGGED if reasons else Status.OK
    row.flag_reason = " ".join(reasons)[:200]
    row.reviewed_by = None
    row.reviewed_at = None


def refresh_next(
    timeline: list[MeterReading], index: int, ratio: Decimal, locks: Sequence[tuple[dt.date, dt.date]]
) -> MeterReading | None:
    """The first non-rejected reading after timeline[index]: recompute it when its previous changed (unless
    its month is locked). Returns it when it changed."""
    for i in range(index + 1, len(timeline)):
        row = timeline[i]
        if row.status == Status.REJECTED:
            continue
        if covers(locks, row.period):
            return None
        p = _previous_index(timeline, i)
        new_previous = timeline[p].reading if p is not None else None
        if new_previous == row.previous:
            return None
        evaluate(timeline, i, ratio)
        return row
    return None


def place(timeline: list[MeterReading], row: MeterReading) -> int:
    """Put `row` into the period-ordered timeline (replacing the same month); its index."""
    for i, r in enumerate(timeline):
        if r.period == row.period:
            timeline[i] = row
            return i
        if r.period > row.period:
            timeline.insert(i, row)
            return i
    timeline.append(row)
    return len(timeline) - 1


def meter_timeline(meter: Meter) -> list[MeterReading]:
    return list(MeterReading.objects.filter(meter=meter).order_by("period"))


def check_period(period: Any, errors: dict[str, list[str]], today: dt.date) -> dt.date | None:
    if not isinstance(period, dt.date):
        errors["period"] = [_("Enter a month as YYYY-MM.")]
        return None
    if period.day != 1:
        errors["period"] = [_("A period starts on the first of a month.")]
        return None
    if period > month_start(today):
        errors["period"] = [_("This month has not started yet.")]
        return None
    return period


def check_read_on(read_on: Any, period: dt.date | None, errors: dict[str, list[str]], today: dt.date) -> None:
    if read_on is None:
        return
    if not isinstance(read_on, dt.date):
        errors["read_on"] = [_("Write dates as 2024-05-01.")]
    elif read_on > today:
        errors["read_on"] = [_("The reading date cannot be in the future.")]
    elif period is not None and read_on < period:
        errors["read_on"] = [
            _("A reading for %(month)s is taken in that month or later.") % {"month": f"{period:%Y-%m}"}
        ]


def locked_message(period: dt.date) -> str:
    return _("The bill for %(month)s is posted; its reading can no longer be changed.") % {"month": f"{period:%Y-%m}"}


def same_reading(existing: MeterReading, value: Decimal, read_on: dt.date | None) -> bool:
    """Entering what is stored already changes nothing (a rejected month entered again is checked again)."""
    return (
        existing.status != Status.REJECTED
        and existing.reading == value
        and (read_on is None or existing.read_on == read_on)
    )


def reading_dict(r: MeterReading) -> dict[str, Any]:
    return {
        "period": f"{r.period:%Y-%m}",
        "reading": str(r.reading),
        "previous": None if r.previous is None else str(r.previous),
        "usage": str(r.usage),
        "status": r.status,
        "flag_reason": r.flag_reason,
    }
