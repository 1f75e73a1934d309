"""The renovation API: an owner applies (multipart, with a plan) and follows their application; staff see their
scope and queues; each side's approval needs its permission; the gate's check; the settings. Another office's
application is a 404 for scoped staff, a neighbour's for a resident, another company's for everyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.billing import ledger
from backend.renovation import money
from backend.renovation.models import Application, Status

from .conftest import DEBRIS, DEPOSIT, World, pdf_file, png, today


def _form(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "unit": world.home.pk,
        "scope": "客厅吊顶，卫生间防水",
        "starts_on": today().isoformat(),
        "ends_on": (today() + dt.timedelta(days=20)).isoformat(),
        "contractor_company": "美家装饰",
        "contractor_contact": "张工",
        "contractor_phone": "13800000001",
        "workers": ["李师傅 13800000002"],
        "plans": [pdf_file(), png()],
        **extra,
    }


def test_an_owner_applies_through_the_api_and_follows_it(world: World, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, world.resident)
    created = client.post("/api/v1/renovation/applications/", _form(world))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "submitted" and body["deposit_fen"] == DEPOSIT and body["permit_code"] is None
    application = Application.objects.get(pk=body["id"])
    assert sorted(application.documents.values_list("kind", flat=True)) == ["plan", "plan"]
    # a file that is not a PDF or an image is refused on its field
    bad = client.post("/api/v1/renovation/applications/", _form(world, plans=[_text_file()]))
    assert bad.status_code == 400 and any(f.startswith("plans") for f in bad.json()["error"]["fields"])
    # the neighbour's home is not the resident's to renovate
    refused = client.post("/api/v1/renovation/applications/", _form(world, unit=world.units[1].pk, plans=[png()]))
    assert refused.status_code == 400 and "unit" in refused.json()["error"]["fields"]
    detail = client.get(f"/api/v1/renovation/applications/{application.pk}/").json()
    assert detail["waiting_for"] == ["desk", "engineering"] and detail["events"][0]["kind"] == "submitted"
    assert client.get("/api/v1/renovation/applications/?queue=review").status_code == 400  # staff's


def _text_file() -> Any:
    import io

    f = io.BytesIO(b"<html>not a plan</html>")
    f.name = "plan.pdf"  # type: ignore[attr-defined]
    return f


def test_each_side_approves_with_its_own_permission_then_pay_and_the_permit(
    world: World, client_for: Any, tenant_a: Any
) -> None:
    application = world.apply()
    url = f"/api/v1/renovation/applications/{application.pk}/"
    engineer, desk = client_for(tenant_a, world.engineer), client_for(tenant_a, world.desk)
    json = {"content_type": "application/json"}
    wrong = engineer.post(url + "review/", {"side": "desk", "approve": True}, **json)
    assert wrong.status_code == 403
    assert desk.post(url + "review/", {"side": "desk", "approve": True}, **json).status_code == 200
    assert desk.get("/api/v1/renovation/applications/?queue=review").json()["results"][0]["id"] == application.pk
    approved = engineer.post(url + "review/", {"side": "engineering", "approve": True}, **json)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    payable = client_for(tenant_a, world.resident).get(url).json()["payable"]
    assert payable["amount_fen"] == DEPOSIT + DEBRIS and payable["pay_url"].startswith("/resident/pay/?unit=")
    ledger.payment_record(
        unit=world.home,
        amount=DEPOSIT + DEBRIS,
        method="cash",
        line_ids=money.line_ids(Application.objects.get(pk=application.pk)),
    )
    detail = desk.get(url).json()
    assert detail["status"] == "permitted" and detail["deposit"] is not None
    gate = client_for(tenant_a, world.security)
    checked = gate.post("/api/v1/renovation/permits/check/", {"code": detail["permit_code"]}, **json)
    assert checked.status_code == 200 and checked.json()["valid"] is True
    assert checked.json()["application"]["unit_label"] == world.home.label
    # a completion check is engineering's, not customer service's
    refused = desk.post(url + "inspections/", {"passed": True, "completion": True}, **json)
    assert refused.status_code == 403
    done = engineer.post(url + "inspections/", {"passed": True, "completion": True}, **json)
    assert done.status_code == 201 and done.json()["kind"] == "completion"
    finance = client_for(tenant_a, world.finance)
    settled = finance.post(url + "deposit/", {"refund_fen": DEPOSIT}, **json)
    assert settled.status_code == 200 and settled.json()["status"] == "closed"
    again = finance.post(url + "deposit/", {"refund_fen": DEPOSIT}, **json)
    assert again.status_code == 409 and again.json()["error"]["code"] == "settled"


def test_the_arrears_block_is_a_409_with_its_reason(world: World, client_for: Any, tenant_a: Any) -> None:
    from .test_flow import _overdue_bill, _sanction

    _overdue_bill(world, world.home, days=45)
    _sanction(True)
    response = client_for(tenant_a, world.resident).post("/api/v1/renovation/applications/", _form(world))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "arrears" and "unit" in error["fields"]
    assert not Application.objects.exists()


def test_scope_and_isolation(world: World, client_for: Any, tenant_a: Any, tenant_b: Any) -> None:
    mine = world.apply()
    neighbours = world.apply(user=world.neighbour, unit=world.units[1])
    resident = client_for(tenant_a, world.resident)
    assert [a["id"] for a in resident.get("/api/v1/renovation/applications/").json()["results"]] == [mine.pk]
    assert resident.get(f"/api/v1/renovation/applications/{neighbours.pk}/").status_code == 404
    assert (
        resident.post(
            f"/api/v1/renovation/applications/{neighbours.pk}/cancel/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    # customer service of another office sees none of this office's applications
    other = client_for(tenant_a, world.other_desk)
    assert other.get("/api/v1/renovation/applications/").json()["results"] == []
    assert other.get(f"/api/v1/renovation/applications/{mine.pk}/").status_code == 404
    review = other.post(
        f"/api/v1/renovation/applications/{mine.pk}/review/",
        {"side": "desk", "approve": True},
        content_type="application/json",
    )
    assert review.status_code == 404
    assert Application.objects.get(pk=mine.pk).status == Status.SUBMITTED
    # another company: nothing of alpha's on beta's domain, even for beta's admin
    from tests.factories import MemberFactory

    beta_admin = MemberFactory(tenant=tenant_b, roles=["company_admin"]).user
    beta = client_for(tenant_b, beta_admin)
    assert beta.get(f"/api/v1/renovation/applications/{mine.pk}/").status_code == 404
    assert beta.get("/api/v1/renovation/applications/").json()["results"] == []


def test_settings_are_the_admins(world: World, client_for: Any, tenant_a: Any) -> None:
    json = {"content_type": "application/json"}
    admin = client_for(tenant_a, world.admin)
    changed = admin.put("/api/v1/renovation/settings/", {"deposit_fen": 300000, "debris_fee_fen": 0}, **json)
    assert changed.status_code == 200 and changed.json()["deposit_fen"] == 300000
    # Both amounts are required: one left out is a field error, and nothing changes (the API fuzz found a 500).
    partial = admin.put("/api/v1/renovation/settings/", {"deposit_fen": 100}, **json)
    assert partial.status_code == 400 and "debris_fee_fen" in partial.json()["error"]["fields"]
    assert admin.get("/api/v1/renovation/settings/").json()["deposit_fen"] == 300000
    refused = client_for(tenant_a, world.desk).put("/api/v1/renovation/settings/", {"deposit_fen": 1}, **json)
    assert refused.status_code == 403
    application = world.apply()
    assert (application.deposit_fen, application.debris_fee_fen) == (300000, 0)
    application = world.approve(application)
    assert application.debris_charge_id is None and application.deposit_charge_id is not None
