"""notify(): recipients by user, role, estate, building and unit; after-commit; batched fan-out; preferences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from backend.notifications.models import Delivery, Notification, NotificationPreference, QuietHours
from backend.notifications.recipients import Recipients, recipients_resolve
from backend.notifications.services import notify, quiet_hours_end
from backend.properties import services as registry
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()


def test_recipients_by_building_estate_role_and_user(estate_with_residents):
    e = estate_with_residents
    assert recipients_resolve(Recipients(building_ids=(e["b1"].pk,))) == [e["r1"].pk]
    assert recipients_resolve(Recipients(estate_ids=(e["estate"].pk,))) == sorted([e["r1"].pk, e["r2"].pk])
    assert e["finance"].pk in recipients_resolve(Recipients(roles=("finance",)))
    assert e["r1"].pk not in recipients_resolve(Recipients(roles=("finance",)))
    both = recipients_resolve(
        Recipients(building_ids=(e["b1"].pk,), user_ids=(e["finance"].pk,), exclude_user_ids=(e["r1"].pk,))
    )
    assert both == [e["finance"].pk]


def test_recipients_by_unit_are_the_people_living_there_now(estate_with_residents):
    from backend.properties.models import Unit

    e = estate_with_residents
    home = Unit.objects.get(occupancies__person__user=e["r1"])
    empty = Unit.objects.filter(building=e["b1"]).exclude(pk=home.pk).first()
    assert recipients_resolve(Recipients(unit_ids=(home.pk,))) == [e["r1"].pk]
    assert recipients_resolve(Recipients(unit_ids=(empty.pk,))) == []


def test_people_who_moved_out_are_no_longer_residents_of_the_building(estate_with_residents):
    from backend.properties.models import Occupancy

    e = estate_with_residents
    occupancy = Occupancy.objects.get(person__user=e["r1"])
    registry.occupancy_move_out(occupancy_id=occupancy.pk, end_date=dt.date(2025, 1, 1), scope=EVERYTHING)
    assert recipients_resolve(Recipients(building_ids=(e["b1"].pk,))) == []


def test_members_of_another_company_are_never_recipients(estate_with_residents, tenant_a, tenant_b, member):
    outsider = member(tenant_b, ["finance"])
    connection.set_tenant(tenant_a)
    assert outsider.pk not in recipients_resolve(Recipients(user_ids=(outsider.pk,), roles=("finance",)))


def test_nothing_is_pushed_or_sent_from_a_rolled_back_transaction(
    estate_with_residents, django_capture_on_commit_callbacks
):
    e = estate_with_residents
    NotificationPreference.objects.create(user=e["r1"], kind="announcement", email=True)

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify(recipients=Recipients(building_ids=(e["b1"].pk,)), kind="announcement", title="x")
                raise Abort
        except Abort:
            pass
    assert callbacks == []
    assert not Notification.objects.filter(title="x").exists() and not Delivery.objects.exists()


def test_a_large_audience_is_written_by_a_task_in_batches_and_a_retry_adds_no_duplicates(
    estate_with_residents, monkeypatch, django_capture_on_commit_callbacks
):
    from backend.notifications import services
    from backend.notifications.tasks import notify_fanout

    e = estate_with_residents
    monkeypatch.setattr(services, "INLINE_LIMIT", 1)
    monkeypatch.setattr(services, "BATCH_SIZE", 1)
    enqueued = []
    monkeypatch.setattr(notify_fanout, "delay", lambda spec: enqueued.append(spec))
    with django_capture_on_commit_callbacks(execute=True):
        written = notify(recipients=Recipients(estate_ids=(e["estate"].pk,)), kind="announcement", title="大通知")
    assert written == [] and len(enqueued) == 1  # nothing in the request: the task does it
    assert not Notification.objects.filter(title="大通知").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_fanout.apply((enqueued[0],)).get() == 2
        assert notify_fanout.apply((enqueued[0],)).get() == 0  # a redelivered task finds them done
    assert sorted(Notification.objects.filter(title="大通知").values_list("recipient_id", flat=True)) == sorted(
        [e["r1"].pk, e["r2"].pk]
    )


def test_channels_follow_each_persons_preferences_and_the_kinds_defaults(estate_with_residents):
    e = estate_with_residents
    NotificationPreference.objects.create(user=e["r1"], kind="announcement", email=True, sms=False)
    # r2 has no preference: announcement's defaults (inbox only)
    notify(recipients=Recipients(building_ids=(e["b1"].pk, e["b2"].pk)), kind="announcement", title="公告")
    assert list(Delivery.objects.values_list("notification__recipient_id", "channel")) == [(e["r1"].pk, "email")]
    Delivery.objects.all().delete()
    # bill.issued defaults to e-mail and SMS; r2 turned SMS off
    NotificationPreference.objects.create(user=e["r2"], kind="bill.issued", email=True, sms=False)
    notify(recipients=Recipients(user_ids=(e["r1"].pk, e["r2"].pk)), kind="bill.issued", title="账单")
    got = sorted(Delivery.objects.values_list("notification__recipient_id", "channel"))
    assert got == sorted([(e["r1"].pk, "email"), (e["r1"].pk, "sms"), (e["r2"].pk, "email")])


@pytest.mark.parametrize(
    ("now_local", "start", "end", "expected"),
    [
        ("23:30", "22:00", "08:00", "08:00+1"),
        ("07:59", "22:00", "08:00", "08:00"),
        ("12:00", "22:00", "08:00", None),
        ("13:30", "13:00", "14:00", "14:00"),
        ("14:00", "13:00", "14:00", None),
    ],
)
def test_sms_in_quiet_hours_waits_until_they_end(in_tenant_a, now_local, start, end, expected):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    h, m = map(int, now_local.split(":"))
    now = dt.datetime(2026, 3, 10, h, m, tzinfo=tz)
    quiet = QuietHours(start=dt.time.fromisoformat(start), end=dt.time.fromisoformat(end))
    result = quiet_hours_end(quiet, now)
    if expected is None:
        assert result is None
    else:
        day = 11 if expected.endswith("+1") else 10
        eh, em = map(int, expected.rstrip("+1").split(":"))
        assert result == dt.datetime(2026, 3, day, eh, em, tzinfo=tz)


def test_inbox_api_filters_counts_and_marks_read_only_your_own(estate_with_residents, client_for, tenant_a):
    e = estate_with_residents
    notify(recipients=Recipients(user_ids=(e["r1"].pk,)), kind="announcement", title="甲")
    notify(recipients=Recipients(user_ids=(e["r1"].pk,)), kind="bill.issued", title="乙")
    theirs = notify(recipients=Recipients(user_ids=(e["r2"].pk,)), kind="announcement", title="丙")[0]
    client = client_for(tenant_a, e["r1"])
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    bills = client.get("/api/v1/notifications/?kind=bill.issued").json()["results"]
    assert [n["title"] for n in bills] == ["乙"]
    assert client.post(f"/api/v1/notifications/{bills[0]['id']}/read/").status_code == 200
    assert client.get("/api/v1/notifications/?unread=1").json()["unread"] == 1
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    connection.set_tenant(tenant_a)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_api_and_page(estate_with_residents, client_for, tenant_a):
    e = estate_with_residents
    client = client_for(tenant_a, e["r1"])
    prefs = client.get("/api/v1/notifications/preferences/").json()
    kinds = {k["kind"]: k for k in prefs["kinds"]}
    assert "binding.requested" not in kinds  # staff-only kinds are not offered to residents
    assert kinds["bill.issued"]["sms"] is True
    response = client.put(
        "/api/v1/notifications/preferences/",
        {
            "kinds": [{"kind": "bill.issued", "email": False, "sms": False}],
            "quiet_start": "22:00",
            "quiet_end": "07:30",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    connection.set_tenant(tenant_a)
    assert NotificationPreference.objects.get(user=e["r1"], kind="bill.issued").sms is False
    assert QuietHours.objects.get(user=e["r1"]).end == dt.time(7, 30)
    bad = client.put(
        "/api/v1/notifications/preferences/", {"kinds": [], "quiet_start": "22:00"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "quiet_end" in bad.json()["error"]["fields"]
    page = client.post("/notifications/preferences/", {"announcement__email": "on", "quiet_start": "", "quiet_end": ""})
    assert page.status_code == 302
    connection.set_tenant(tenant_a)
    assert NotificationPreference.objects.get(user=e["r1"], kind="announcement").email is True
    assert not QuietHours.objects.filter(user=e["r1"]).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(estate_with_residents, client_for, tenant_a):
    e = estate_with_residents
    n = notify(recipients=Recipients(user_ids=(e["r1"].pk,)), kind="announcement", title="去看看", url="/resident/")[0]
    response = client_for(tenant_a, e["r1"]).get(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/resident/"
    connection.set_tenant(tenant_a)
    n.refresh_from_db()
    assert n.read_at is not None
    assert client_for(tenant_a, e["r2"]).get(f"/notifications/{n.pk}/open/").status_code == 404
