"""The bill-run benchmark's code on a small company: it bills every unit once, a re-run bills nothing, the
one-row-at-a-time baseline prices exactly like the bill run, and both leave nothing behind."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from backend.billing.models import BillLine, BillRun, FeeAssignment, LedgerEntry
from backend.properties.models import Unit
from infra.bench import billing as bench

PERIOD = dt.date(2026, 3, 1)
LINE = re.compile(r"^bench bill-run-100k: [0-9.]+ s; baseline [0-9.]+ s; ratio [0-9.]+x \((.*)\)$")


@pytest.fixture
def small(in_tenant_a: Any) -> int:
    return bench.seed(120, per_building=40, per_estate=2)


def test_seed_assigns_both_items_to_every_unit_and_is_resumable(small: int) -> None:
    assert small == Unit.objects.count() == 120
    assert FeeAssignment.objects.count() == 240
    assert bench.seed(120, per_building=40, per_estate=2) == 120
    assert FeeAssignment.objects.count() == 240


def test_set_based_run_counts_its_lines_and_a_rerun_makes_none(small: int) -> None:
    ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True)[:10])
    result = bench.set_based(PERIOD, sample_ids=ids)
    assert (result.units, result.lines, result.entries, result.rerun_lines) == (120, 240, 240, 0)
    # March 2026 is priced at the 2026 rate: 60.50 m² × ¥2.80 + ¥10 garbage
    assert result.sample_amounts[ids[0]] == 16940 + 1000
    assert not BillLine.objects.exists() and not LedgerEntry.objects.exists() and not BillRun.objects.exists()


def test_baseline_prices_like_the_bill_run_and_rolls_back(small: int) -> None:
    ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    fast = bench.set_based(PERIOD, sample_ids=ids)
    slow, full = bench.baseline(PERIOD, limit=50)
    assert full and slow.units == 120 and slow.lines == 240
    assert slow.amounts == {u: fast.sample_amounts[u] for u in ids[:50]}
    sampled, full = bench.baseline(PERIOD, limit=30, full_limit=0)
    assert not full and sampled.units == 30 and sampled.lines == 60
    assert not BillLine.objects.exists() and not LedgerEntry.objects.exists()


def test_the_report_line_and_its_sample_scaling(small: int) -> None:
    line = bench.measure(PERIOD, sample=50)
    match = LINE.match(line)
    assert match, line
    assert "120 units, 240 lines + 240 charge entries; re-run created 0 lines" in match.group(1)
    assert "baseline on all 120 units" in match.group(1)
    scaled = bench.measure(PERIOD, sample=40, full_limit=0)
    assert "baseline on a 40-unit sample × 3" in scaled, scaled


def test_a_period_already_billed_is_refused(small: int) -> None:
    from backend.billing.runs import bill_run_create, bill_run_execute
    from backend.properties.scope import Scope

    bill_run_execute(bill_run_create(period=PERIOD, scope=Scope.everything(), by=None).pk)
    with pytest.raises(RuntimeError, match="already billed"):
        bench.measure(PERIOD, sample=10)
