"""The holiday calendar services: one entry per date (saving a date again changes it), audited adds,
changes and removals, and what they refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.notifications.holidays import holiday_list, holiday_remove, holiday_save
from backend.notifications.models import Holiday

pytestmark = pytest.mark.usefixtures("in_tenant_a")
NATIONAL_DAY = dt.date(2026, 10, 1)


def test_a_holiday_is_added_then_changed_on_the_same_date() -> None:
    first = holiday_save(date=NATIONAL_DAY, name="国庆节", greeting="国庆快乐！")
    again = holiday_save(date=NATIONAL_DAY, name=" 国庆节 ", greeting="祝您国庆节快乐！")
    assert again.pk == first.pk
    assert [(h.date, h.name, h.greeting) for h in holiday_list()] == [(NATIONAL_DAY, "国庆节", "祝您国庆节快乐！")]
    added, changed = AuditEntry.objects.filter(action="holiday.save").order_by("id")
    assert added.changes["before"] is None and added.changes["after"]["greeting"] == "国庆快乐！"
    assert changed.changes["before"] == {"name": "国庆节", "greeting": "国庆快乐！"}
    assert changed.object_id == str(first.pk)


def test_the_calendar_lists_by_date() -> None:
    holiday_save(date=NATIONAL_DAY, name="国庆节", greeting="国庆快乐！")
    holiday_save(date=dt.date(2026, 1, 1), name="元旦", greeting="新年快乐！")
    assert [h.name for h in holiday_list()] == ["元旦", "国庆节"]


@pytest.mark.parametrize(
    ("name", "greeting", "field"),
    [("", "快乐！", "name"), ("  ", "快乐！", "name"), ("节" * 41, "快乐！", "name"), ("国庆节", "", "greeting")],
)
def test_a_holiday_needs_a_name_and_a_greeting(name: str, greeting: str, field: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        holiday_save(date=NATIONAL_DAY, name=name, greeting=greeting)
    assert field in raised.value.fields
    assert not Holiday.objects.exists() and not AuditEntry.objects.filter(action="holiday.save").exists()


def test_removing_a_holiday_is_audited_and_removing_it_again_is_no_error() -> None:
    holiday = holiday_save(date=NATIONAL_DAY, name="国庆节", greeting="国庆快乐！")
    assert holiday_remove(holiday_id=holiday.pk) is True
    assert not Holiday.objects.exists()
    assert holiday_remove(holiday_id=holiday.pk) is False
    [entry] = AuditEntry.objects.filter(action="holiday.remove")
    assert entry.changes == {"date": "2026-10-01", "name": "国庆节"}
