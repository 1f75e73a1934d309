"""The demo gate (backend/demo/gate.py): the last weeks of parcels and visitors for every estate, in bulk —
most parcels picked up, the waiting ones with distinct pickup codes, the demo resident's home with parcels on
the shelf and passes of its own, cars' exits with their parking time — and nothing added when it runs again."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.db.models import Count
from django_tenants.utils import schema_context

from backend.demo.gate import demo_gate_seed
from backend.demo.progress import Stage
from backend.demo.registry import demo_registry_seed
from backend.gate.models import GateEntry, Parcel, ParcelStatus, VisitorPass
from backend.gate.selectors import parcels_visible, passes_visible
from backend.properties.scope import Scope
from tenants.db import connection


def test_the_demo_has_weeks_of_parcels_and_visitors(in_tenant_a: Any, member: Any) -> None:
    resident = member(in_tenant_a, ["resident"], email="resident@demo-gate.test", name="陈业主")
    member(in_tenant_a, ["security"], email="security@demo-gate.test")
    demo_registry_seed(resident_email=resident.email)
    stage = Stage()
    started = time.monotonic()
    with schema_context(in_tenant_a.schema_name):
        demo_gate_seed(staff_email="security@demo-gate.test", resident_email=resident.email, stage=stage, days=14)
    took = time.monotonic() - started
    connection.set_tenant(in_tenant_a)
    statuses = Counter(Parcel.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert total > 3000, (statuses, stage.summary())  # 1,500 homes, about a third of them a parcel a day
    # Most picked up (the share left depends on the hour: the last day's parcels are still on the shelf).
    assert statuses[ParcelStatus.COLLECTED] > 0.8 * total and statuses[ParcelStatus.WAITING] > 0
    waiting = Parcel.objects.filter(status=ParcelStatus.WAITING)
    assert not waiting.values("pickup_code").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not Parcel.objects.filter(status=ParcelStatus.COLLECTED, collected_at__isnull=True).exists()
    mine = Scope(all_offices=False, resident_user_id=resident.pk)
    assert parcels_visible(scope=mine).filter(status=ParcelStatus.WAITING).count() >= 2
    assert passes_visible(scope=mine).filter(issued_by=resident).exists()
    assert VisitorPass.objects.count() > 300
    exits = GateEntry.objects.filter(direction="out")
    assert exits.exists() and not exits.filter(parked_minutes__isnull=True).exists()
    assert not VisitorPass.objects.filter(multiple=False, entries__gt=1).exists()
    assert took < 30, took  # bulk: seconds, not minutes
    demo_gate_seed(staff_email="security@demo-gate.test", resident_email=resident.email, days=14)
    assert Parcel.objects.count() == total
    assert "parcel" in stage.summary()
