"""公告: targeting, scheduling, pinning, read rate, sanitised rich text; greetings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from backend.errors import ApplicationError
from backend.notifications import announcements as ann
from backend.notifications.models import Announcement, AnnouncementRecipient, Holiday, Notification
from backend.properties.models import Person
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE
from backend.uploads.validation import upload_accept

from ..uploads.samples import image_bytes, upload
from .conftest import EVERYTHING


def test_an_announcement_to_one_building_reaches_its_residents_only(estate_with_residents, client_for, tenant_a):
    e = estate_with_residents
    staff = client_for(tenant_a, e["finance"])  # finance may read but not publish
    assert (
        staff.post(
            "/api/v1/announcements/", {"title": "x", "body": "y", "target_all": True}, content_type="application/json"
        ).status_code
        == 403
    )
    from backend.accounts.models import User

    publisher = User.objects.get(pk=e["r1"].pk)  # any user object works as author for the service
    a = ann.announcement_create(
        title="停水通知",
        body="<p>明天 <b>9:00</b> 停水</p><script>alert(1)</script>",
        by=publisher,
        scope=EVERYTHING,
        building_ids=[e["b1"].pk],
    )
    assert a.status == "published" and a.recipients_count == 1
    assert "<script>" not in a.body and "<b>9:00</b>" in a.body
    assert list(Notification.objects.filter(kind="announcement").values_list("recipient_id", flat=True)) == [e["r1"].pk]
    r1, r2 = client_for(tenant_a, e["r1"]), client_for(tenant_a, e["r2"])
    assert [x["title"] for x in r1.get("/api/v1/announcements/").json()["results"]] == ["停水通知"]
    assert r2.get("/api/v1/announcements/").json()["results"] == []
    assert r2.get(f"/announcements/{a.pk}/").status_code == 404
    page = r1.get(f"/announcements/{a.pk}/").content.decode()
    assert "<b>9:00</b>" in page and "alert(1)" not in page
    connection.set_tenant(tenant_a)
    assert ann.read_rate(a) == 1.0
    assert Notification.objects.get(recipient=e["r1"], kind="announcement").read_at is not None


def test_publishers_see_the_read_rate(estate_with_residents, client_for, tenant_a, member):
    e = estate_with_residents
    cs = member(tenant_a, ["customer_service"])
    client = client_for(tenant_a, cs)
    response = client.post(
        "/staff/announcements/", {"title": "电梯保养", "body": "周六保养", "estate_ids": [str(e["estate"].pk)]}
    )
    assert response.status_code == 302
    connection.set_tenant(tenant_a)
    a = Announcement.objects.get(title="电梯保养")
    assert a.recipients_count == 2
    client_for(tenant_a, e["r2"]).post(f"/api/v1/announcements/{a.pk}/read/")
    detail = client.get(f"/staff/announcements/{a.pk}/").content.decode()
    assert "50%" in detail
    listing = client.get("/api/v1/announcements/").json()["results"]
    assert listing[0]["title"] == "电梯保养" and listing[0]["recipients_count"] == 2


def test_scheduled_announcements_wait_for_their_time(estate_with_residents):
    e = estate_with_residents
    later = timezone.now() + dt.timedelta(hours=2)
    a = ann.announcement_create(
        title="年终联欢", body="欢迎参加", by=e["finance"], scope=EVERYTHING, target_all=True, publish_at=later
    )
    assert a.status == "scheduled" and not AnnouncementRecipient.objects.filter(announcement=a).exists()
    assert ann.announcements_publish_due() == 0
    Announcement.objects.filter(pk=a.pk).update(publish_at=timezone.now() - dt.timedelta(seconds=1))
    assert ann.announcements_publish_due() > 0
    assert ann.announcements_publish_due() == 0  # once
    a.refresh_from_db()
    assert a.status == "published" and a.recipients_count >= 3


def test_pinned_announcements_come_first(estate_with_residents):
    e = estate_with_residents
    ann.announcement_create(title="普通", body="a", by=e["finance"], scope=EVERYTHING, building_ids=[e["b1"].pk])
    ann.announcement_create(
        title="置顶", body="b", by=e["finance"], scope=EVERYTHING, building_ids=[e["b1"].pk], pinned=True
    )
    ann.announcement_create(title="最新", body="c", by=e["finance"], scope=EVERYTHING, building_ids=[e["b1"].pk])
    assert [a.title for a in ann.announcements_for(user_id=e["r1"].pk)] == ["置顶", "最新", "普通"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "", "body": "x", "target_all": True}, "title"),
        ({"title": "x", "body": "<script>x</script>", "target_all": True}, "body"),
        ({"title": "x", "body": "y"}, "target_all"),
        ({"title": "x", "body": "y", "estate_ids": [999999]}, "estate_ids"),
        (
            {"title": "x", "body": "y", "target_all": True, "publish_at": timezone.now() - dt.timedelta(days=1)},
            "publish_at",
        ),
    ],
)
def test_bad_announcements_name_the_field(estate_with_residents, kwargs, field):
    with pytest.raises(ApplicationError) as caught:
        ann.announcement_create(by=estate_with_residents["finance"], scope=EVERYTHING, **kwargs)
    assert field in caught.value.fields


def test_birthday_and_holiday_greetings_once_a_day(estate_with_residents):
    e = estate_with_residents
    today = dt.date(2026, 10, 1)
    Person.objects.filter(user=e["r1"]).update(birthday=dt.date(1990, 10, 1))
    Holiday.objects.create(date=today, name="国庆节", greeting="国庆快乐！")
    ann.greetings_send(today)
    greetings = Notification.objects.filter(kind="greeting")
    birthday = greetings.get(recipient=e["r1"])
    assert "生日" in birthday.title or "birthday" in birthday.title.lower()
    assert greetings.get(recipient=e["r2"]).title == "国庆节"
    assert greetings.filter(recipient=e["r1"]).count() == 1  # the birthday greeting, not both
    ann.greetings_send(today)
    assert Notification.objects.filter(kind="greeting").count() == greetings.count()
    assert not Notification.objects.filter(kind="greeting", recipient=e["finance"]).exists()


def test_announcement_images_are_served_to_recipients_and_publishers_only(
    estate_with_residents, client_for, tenant_a, member, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    e = estate_with_residents
    poster = upload_accept(kind=ANNOUNCEMENT_IMAGE, upload=upload("poster.png", image_bytes("PNG")))
    a = ann.announcement_create(
        title="社区活动",
        body="周末义诊",
        by=e["finance"],
        scope=EVERYTHING,
        building_ids=[e["b1"].pk],
        image=poster,
    )
    assert a.image.name.startswith("alpha/announcements/")
    ok = client_for(tenant_a, e["r1"]).get(f"/announcements/{a.pk}/image/")
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == poster.data
    assert client_for(tenant_a, e["r2"]).get(f"/announcements/{a.pk}/image/").status_code == 404
    publisher = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    assert publisher.get(f"/announcements/{a.pk}/image/").status_code == 200
