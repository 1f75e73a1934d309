"""The service desk's pages, through the real middleware: a resident reports a repair with a photo on the
phone page, follows it, confirms and rates it, and pays a paid repair's charge on the pay page; an engineer
takes the steps on the ticket page (finishing with a photo and materials); customer service dispatches from
the board and revisits; queues put breaches first; a neighbour's or another office's ticket is a 404."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from backend.billing.models import BillLine
from backend.desk import services as desk
from backend.desk.models import Status, Ticket, TicketPhoto
from tests.backend.desk.conftest import EVERYTHING, Desk


def png(name: str = "p.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def html(response: Any) -> str:
    return response.content.decode()


def test_resident_reports_with_a_photo_and_follows_it(world: Desk, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, world.resident)
    page = client.get("/resident/repairs/new/")
    assert page.status_code == 200 and "报修" in html(page)  # zh-hans first
    response = client.post(
        "/resident/repairs/new/",
        {
            "unit": world.home.pk,
            "category": world.plumbing.pk,
            "place": "in_unit",
            "description": "厨房水龙头漏水",
            "contact_phone": "13900000001",
            "preferred_time": "周六上午",
            "photo1": png(),
        },
    )
    assert response.status_code == 302, html(response)[:2000]
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/resident/repairs/{ticket.pk}/"
    assert ticket.reporter_id == world.resident.pk and ticket.preferred_time == "周六上午"
    assert TicketPhoto.objects.filter(ticket=ticket, stage="intake").count() == 1
    shown = html(client.get(f"/resident/repairs/{ticket.pk}/"))
    assert ticket.code in shown and 'data-event="reported"' in shown
    assert ticket.code in html(client.get("/resident/repairs/"))
    photo = TicketPhoto.objects.get(ticket=ticket)
    assert f'src="/resident/repairs/photos/{photo.pk}/"' in shown
    served = client.get(f"/resident/repairs/photos/{photo.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    staff = client_for(tenant_a, world.supervisor)
    assert staff.get(f"/staff/desk/photos/{photo.pk}/").status_code == 200
    assert client_for(tenant_a, world.other_supervisor).get(f"/staff/desk/photos/{photo.pk}/").status_code == 404
    # The neighbour's home: not offered, and refused when posted.
    refused = client.post(
        "/resident/repairs/new/",
        {
            "unit": world.units[1].pk,
            "category": world.plumbing.pk,
            "place": "in_unit",
            "description": "x",
            "contact_phone": "1",
        },
    )
    assert refused.status_code == 400 and Ticket.objects.count() == 1
    neighbour = client_for(tenant_a, world.neighbour)
    assert neighbour.get(f"/resident/repairs/{ticket.pk}/").status_code == 404
    assert neighbour.get(f"/resident/repairs/photos/{photo.pk}/").status_code == 404
    assert ticket.code not in html(neighbour.get("/resident/repairs/"))


def _reported(world: Desk, category: Any = None) -> Ticket:
    return desk.ticket_report(
        user=world.resident,
        unit_id=world.home.pk,
        category=category or world.plumbing,
        description="漏水",
        contact_phone="13900000001",
    )


def test_dispatch_engineer_steps_and_paid_charge_to_pay(world: Desk, client_for: Any, tenant_a: Any) -> None:
    ticket = _reported(world, world.electrical)
    supervisor, engineer = client_for(tenant_a, world.supervisor), client_for(tenant_a, world.engineer)
    board = html(supervisor.get("/staff/desk/board/"))
    assert f'data-ticket="{ticket.pk}"' in board and f'data-engineer="{world.engineer.pk}"' in board
    supervisor.post(
        f"/staff/desk/tickets/{ticket.pk}/assign/", {"engineer": world.engineer.pk, "next": "/staff/desk/board/"}
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ASSIGNED
    assert f'data-ticket="{ticket.pk}"' in html(engineer.get("/staff/desk/?tab=mine"))
    for step in ("accept", "on_the_way", "start"):
        engineer.post(f"/staff/desk/tickets/{ticket.pk}/{step}/")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    page = html(engineer.get(f"/staff/desk/tickets/{ticket.pk}/"))
    assert "data-finish" in page
    engineer.post(
        f"/staff/desk/tickets/{ticket.pk}/finish/",
        {"photo1": png(), "materials": "空气开关, 2, 35.50", "labour": "50"},
    )
    done = Ticket.objects.get(pk=ticket.pk)
    assert done.status == Status.COMPLETED and done.charge_fen == 12100
    line = BillLine.objects.get(pk=done.charge_id)
    assert line.amount == 12100 and line.unit_id == world.home.pk
    resident = client_for(tenant_a, world.resident)
    shown = html(resident.get(f"/resident/repairs/{ticket.pk}/"))
    assert f'href="/resident/pay/?unit={world.home.pk}&amp;lines={line.pk}"' in shown and "121.00" in shown
    resident.post(f"/resident/repairs/{ticket.pk}/confirm/", {"fixed": "1", "rating": "4", "comment": "好"})
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CONFIRMED
    # Customer service revisits from the queue of revisits due, and closes it.
    assert f'data-ticket="{ticket.pk}"' in html(supervisor.get("/staff/desk/?tab=revisits"))
    supervisor.post(f"/staff/desk/tickets/{ticket.pk}/revisit/", {"fixed": "1", "note": "电话回访满意"})
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_an_engineer_cannot_dispatch_and_staff_of_another_office_get_404(
    world: Desk, client_for: Any, tenant_a: Any
) -> None:
    ticket = _reported(world)
    engineer = client_for(tenant_a, world.engineer)
    assert engineer.get("/staff/desk/board/").status_code == 403
    engineer.post(f"/staff/desk/tickets/{ticket.pk}/assign/", {"engineer": world.engineer.pk})
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    other = client_for(tenant_a, world.other_supervisor)
    assert other.get(f"/staff/desk/tickets/{ticket.pk}/").status_code == 404
    assert other.post(f"/staff/desk/tickets/{ticket.pk}/revisit/", {"fixed": "1", "note": "x"}).status_code == 404
    assert f'data-ticket="{ticket.pk}"' not in html(other.get("/staff/desk/?tab=team"))


def test_team_queue_puts_breaches_first(world: Desk, client_for: Any, tenant_a: Any) -> None:
    first, second = _reported(world), _reported(world)
    Ticket.objects.filter(pk=second.pk).update(breached=True)
    page = html(client_for(tenant_a, world.supervisor).get("/staff/desk/?tab=team"))
    ids = [int(x) for x in re.findall(r'<li data-ticket="(\d+)"', page)]
    assert ids[:2] == [second.pk, first.pk] and "data-breached" in page
    assert "工作队列" in page and "已超时" in page and "待派工" in page  # zh-hans first


def test_staff_intake_of_a_call(world: Desk, client_for: Any, tenant_a: Any) -> None:
    supervisor = client_for(tenant_a, world.supervisor)
    assert supervisor.get("/staff/desk/new/").status_code == 200
    response = supervisor.post(
        "/staff/desk/new/",
        {
            "channel": "phone",
            "category": world.plumbing.pk,
            "place": "public",
            "estate": world.estate.pk,
            "location": "3栋大堂",
            "description": "大堂漏水",
            "contact_name": "张先生",
            "contact_phone": "13900000003",
        },
    )
    assert response.status_code == 302, html(response)[:1500]
    ticket = Ticket.objects.get()
    assert ticket.place == "public" and ticket.channel == "phone" and ticket.estate_id == world.estate.pk
    # Outside the caller's scope: refused.
    refused = supervisor.post(
        "/staff/desk/new/",
        {
            "channel": "walk_in",
            "category": world.plumbing.pk,
            "place": "in_unit",
            "unit": world.other_units[0].pk,
            "description": "x",
            "contact_name": "y",
            "contact_phone": "1",
        },
    )
    assert refused.status_code == 400 and Ticket.objects.count() == 1
    assert EVERYTHING.all_offices


def test_admin_sets_up_a_category_and_business_hours(world: Desk, client_for: Any, tenant_a: Any, member: Any) -> None:
    from backend.desk.models import DeskSettings, RepairCategory, SlaTarget

    admin = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    assert client_for(tenant_a, world.supervisor).get("/staff/desk/settings/").status_code == 403
    assert 'data-category="plumbing"' in html(admin.get("/staff/desk/settings/"))
    saved = admin.post(
        "/staff/desk/settings/",
        {
            "form": "category",
            "code": "lift",
            "name": "电梯",
            "default_priority": "urgent",
            "revisit_rule": "safety",
            "active": "on",
            "urgent_response": "15",
            "urgent_resolution": "120",
        },
    )
    assert saved.status_code == 302, html(saved)[:1500]
    lift = RepairCategory.objects.get(code="lift")
    assert lift.revisit_rule == "safety" and not lift.paid
    assert SlaTarget.objects.get(category=lift, priority="urgent").response_minutes == 15
    saved = admin.post(
        "/staff/desk/settings/",
        {
            "form": "settings",
            "business_hours": "0-4 08:30-12:00\n0-4 13:30-17:30",
            "near_breach_percent": "75",
            "engineer_open_cap": "3",
        },
    )
    assert saved.status_code == 302
    current = DeskSettings.load()
    assert (
        current.engineer_open_cap == 3 and len(current.business_hours) == 10 and [0, 510, 720] in current.business_hours
    )
    bad = admin.post(
        "/staff/desk/settings/",
        {"form": "settings", "business_hours": "7 09:00-08:00", "near_breach_percent": "75", "engineer_open_cap": "3"},
    )
    assert bad.status_code == 400 and DeskSettings.load().engineer_open_cap == 3
