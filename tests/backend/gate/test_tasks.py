"""The daily reminder as beat runs it: one dispatcher entry at each company's own 09:00 (tenants/dispatch.py),
and the task itself, in the company's schema, reminding the homes with parcels past the company's days."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from backend.gate import services as gate
from backend.gate.models import Parcel
from backend.gate.tasks import parcel_reminders
from backend.notifications.models import Notification
from tenants.dispatch import DISPATCH_TASK, dispatch_entries

from .conftest import EVERYTHING, Gate


def test_the_beat_entry_dispatches_to_every_company_at_its_local_morning() -> None:
    entry = dispatch_entries(settings.CELERY_BEAT_SCHEDULE)["gate-parcel-reminders"]
    assert entry["task"] == DISPATCH_TASK
    assert entry["args"][0] == "backend.gate.tasks.parcel_reminders"
    assert entry["kwargs"] == {"local_hour": 9}


def test_the_task_reminds_the_homes_of_old_parcels(gate_world: Gate) -> None:
    old = gate.parcel_log(
        by=gate_world.guard,
        scope=EVERYTHING,
        unit_id=gate_world.home.pk,
        carrier="ems",
        tracking_number="EMS0001",
        shelf="E",
    )
    Parcel.objects.filter(pk=old.pk).update(logged_at=timezone.now() - dt.timedelta(days=3, minutes=1))
    gate.parcel_log(
        by=gate_world.guard,
        scope=EVERYTHING,
        unit_id=gate_world.units[1].pk,
        carrier="ems",
        tracking_number="EMS0002",
        shelf="E",
    )
    assert parcel_reminders() == 1  # the default: 3 days; the neighbour's parcel came today
    reminded = Notification.objects.filter(kind="gate.parcel_reminder")
    assert {n.recipient_id for n in reminded} == {gate_world.resident.pk, gate_world.household.pk}
