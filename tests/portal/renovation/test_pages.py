"""Renovation's pages, through the real middleware: an owner applies on the phone page with a plan and follows
the application; customer service and engineering approve on the application page; the resident sees what to
pay and, once paid, the permit's QR code; security checks the permit on the gate page; engineering records the
completion check with a photo; finance settles the deposit. A neighbour's or another office's application is a
404; a page in Chinese first."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from backend.billing import ledger
from backend.billing.selectors import unit_account
from backend.renovation import money
from backend.renovation.models import Application, Status
from tests.backend.renovation.conftest import DEBRIS, DEPOSIT, PDF, World, today


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def html(response: Any) -> str:
    return response.content.decode()


def test_the_whole_flow_on_the_pages(world: World, client_for: Any, tenant_a: Any) -> None:
    resident = client_for(tenant_a, world.resident)
    page = resident.get("/resident/renovation/new/")
    assert page.status_code == 200 and "装修" in html(page) and "¥2,000.00" in html(page)
    response = resident.post(
        "/resident/renovation/new/",
        {
            "unit": world.home.pk,
            "scope": "厨房、卫生间翻新",
            "starts_on": today().isoformat(),
            "ends_on": (today() + dt.timedelta(days=30)).isoformat(),
            "contractor_company": "美家装饰",
            "contractor_contact": "张工",
            "contractor_phone": "13800000001",
            "workers": "李师傅 13800000002\n王师傅 13800000003",
            "applicant_phone": "13900000001",
            "plan1": SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, html(response)[:3000]
    application = Application.objects.get()
    assert response["Location"] == f"/resident/renovation/{application.pk}/"
    assert len(application.workers) == 2
    shown = html(resident.get(response["Location"]))
    assert application.code in shown and 'data-renovation-status="submitted"' in shown
    document = application.documents.get()
    served = resident.get(f"/resident/renovation/documents/{document.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"

    # customer service and engineering, each their own form on the application page
    desk = client_for(tenant_a, world.desk)
    staff_page = html(desk.get(f"/staff/renovation/{application.pk}/"))
    assert 'data-review="desk"' in staff_page and 'data-review="engineering"' not in staff_page
    assert application.code in html(desk.get("/staff/renovation/?tab=review"))
    desk.post(f"/staff/renovation/{application.pk}/review-desk/", {"desk-approve": "1", "desk-note": ""})
    engineer = client_for(tenant_a, world.engineer)
    refused = engineer.post(f"/staff/renovation/{application.pk}/review-desk/", {"desk-approve": "1"})
    assert refused.status_code == 403
    engineer.post(f"/staff/renovation/{application.pk}/review-engineering/", {"engineering-approve": "1"})
    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.APPROVED

    # the resident pays on the existing pay page (here: at the counter), then sees the permit
    shown = html(resident.get(f"/resident/renovation/{application.pk}/"))
    assert f"/resident/pay/?unit={world.home.pk}&amp;lines=" in shown and "¥2,300.00" in shown
    ledger.payment_record(unit=world.home, amount=DEPOSIT + DEBRIS, method="cash", line_ids=money.line_ids(application))
    application = Application.objects.get(pk=application.pk)
    shown = html(resident.get(f"/resident/renovation/{application.pk}/"))
    assert f'data-permit="{application.permit_code}"' in shown and "data-qr-code" in shown
    assert 'data-permit-valid="1"' in shown
    assert "data-permit-qr" in html(desk.get(f"/staff/renovation/{application.pk}/"))  # printable for the workers

    # the gate, on a phone
    gate = client_for(tenant_a, world.security)
    assert gate.get("/staff/renovation/permit-check/").status_code == 200
    checked = gate.post("/staff/renovation/permit-check/", {"code": application.permit_code})
    assert checked.status_code == 200 and 'data-permit-result="ok"' in html(checked)
    assert "李师傅" in html(checked)
    unknown = gate.post("/staff/renovation/permit-check/", {"code": "ZPWRONG00"})
    assert unknown.status_code == 404 and "data-permit-refused" in html(unknown)
    assert gate.get(f"/staff/renovation/{application.pk}/").status_code == 403  # security: the gate only

    # the completion check with a photo, then the deposit, part kept
    engineer.post(
        f"/staff/renovation/{application.pk}/inspect/",
        {"completion": "on", "passed": "1", "findings": "验收合格", "photo1": png()},
    )
    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.COMPLETED
    photo = application.inspections.get().photos.get()
    assert desk.get(f"/staff/renovation/photos/{photo.pk}/").status_code == 200
    finance = client_for(tenant_a, world.finance)
    assert "data-settle-form" in html(finance.get(f"/staff/renovation/{application.pk}/"))
    finance.post(
        f"/staff/renovation/{application.pk}/settle/", {"refund": "1800.00", "forfeit": "200.00", "reason": "墙面污损"}
    )
    application = Application.objects.get(pk=application.pk)
    assert (application.status, application.refunded_fen, application.forfeited_fen) == ("closed", 180000, 20000)
    assert unit_account(world.home.pk).prepaid == 180000
    assert "data-settled" in html(resident.get(f"/resident/renovation/{application.pk}/"))


def test_a_tenant_is_told_only_owners_apply(world: World, client_for: Any, tenant_a: Any) -> None:
    page = client_for(tenant_a, world.renter).get("/resident/renovation/new/")
    assert page.status_code == 200 and "data-no-homes" in html(page)


def test_neighbours_and_other_offices_get_404(world: World, client_for: Any, tenant_a: Any) -> None:
    mine = world.apply()
    neighbour = client_for(tenant_a, world.neighbour)
    assert neighbour.get(f"/resident/renovation/{mine.pk}/").status_code == 404
    assert neighbour.get(f"/resident/renovation/documents/{mine.documents.get().pk}/").status_code == 404
    other = client_for(tenant_a, world.other_desk)
    assert other.get(f"/staff/renovation/{mine.pk}/").status_code == 404
    assert mine.code not in html(other.get("/staff/renovation/"))
    assert other.post(f"/staff/renovation/{mine.pk}/review-desk/", {"desk-approve": "1"}).status_code == 404


def test_the_arrears_block_shows_on_the_form(world: World, client_for: Any, tenant_a: Any) -> None:
    from tests.backend.renovation.test_flow import _overdue_bill, _sanction

    _overdue_bill(world, world.home, days=45)
    _sanction(True)
    response = client_for(tenant_a, world.resident).post(
        "/resident/renovation/new/",
        {
            "unit": world.home.pk,
            "scope": "刷墙",
            "starts_on": today().isoformat(),
            "ends_on": today().isoformat(),
            "contractor_company": "美家装饰",
            "contractor_contact": "张工",
            "contractor_phone": "1",
            "workers": "李师傅",
            "applicant_phone": "1",
            "plan1": SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 400 and not Application.objects.exists()
    assert "欠费" in html(response), re.findall(r"errorlist.{0,300}", html(response))


def test_the_staff_page_warns_of_arrears_before_approval(world: World, client_for: Any, tenant_a: Any) -> None:
    from tests.backend.renovation.test_flow import _overdue_bill, _sanction

    _sanction(True)
    application = world.apply()
    desk = client_for(tenant_a, world.desk)
    assert "data-arrears" not in html(desk.get(f"/staff/renovation/{application.pk}/"))
    _overdue_bill(world, world.home, days=45)
    page = html(desk.get(f"/staff/renovation/{application.pk}/"))
    assert "data-arrears" in page and "欠费" in page
    desk.post(f"/staff/renovation/{application.pk}/review-desk/", {"desk-approve": "1"})
    assert Application.objects.get(pk=application.pk).desk_decision == ""  # refused, with the reason shown
