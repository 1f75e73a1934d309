"""The gate's pages, through the real middleware: a resident invites a visitor on the phone page and gets a QR
code with a text and a link to send (the link's page needs no sign-in); security checks the pass at the gate
(in, refused the second time, a car out with its parking time); security logs a parcel by searching the
home and tapping the carrier, the home's page and home tiles show the pickup code, and the parcel is handed
over by that code with a signature; a neighbour's or another office's pass or parcel is a 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from backend.gate import services as gate
from backend.gate.models import GateEntry, Parcel, ParcelStatus, VisitorPass
from tests.backend.gate.conftest import EVERYTHING, Gate, signature_png


def html(response: Any) -> str:
    return response.content.decode()


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_resident_invites_a_visitor_and_security_lets_them_in(gate_world: Gate, client_for: Any) -> None:
    resident = client_for(gate_world.tenant, gate_world.resident)
    home = html(resident.get("/resident/"))
    assert 'href="/resident/visitors/new/"' in home and 'href="/resident/parcels/"' in home
    assert resident.get("/resident/visitors/new/").status_code == 200
    now = timezone.now()
    response = resident.post(
        "/resident/visitors/new/",
        {
            "unit": gate_world.home.pk,
            "visitor_name": "张三",
            "plate": "浙A12345",
            "valid_from": local(now - dt.timedelta(minutes=5)),
            "valid_until": local(now + dt.timedelta(hours=2)),
        },
    )
    assert response.status_code == 302, html(response)[:3000]
    visitor_pass = VisitorPass.objects.get()
    assert response["Location"] == f"/resident/visitors/{visitor_pass.pk}/"
    page = html(resident.get(response["Location"]))
    assert "data-qr-code" in page and visitor_pass.code in page and "访客通行证" in page
    assert f"/v/{visitor_pass.token}/" in page and "data-share" in page
    assert visitor_pass.visitor_name in html(resident.get("/resident/visitors/"))

    shared = client_for(gate_world.tenant).get(f"/v/{visitor_pass.token}/")  # the visitor: not signed in
    assert shared.status_code == 200 and visitor_pass.code in html(shared) and "data-qr-code" in html(shared)
    assert gate_world.home.label not in html(shared)  # nothing of the home but its estate
    assert client_for(gate_world.tenant).get("/v/" + "x" * 43 + "/").status_code == 404

    guard = client_for(gate_world.tenant, gate_world.guard)
    assert "data-qr-scan" in html(guard.get("/staff/gate/"))
    let_in = guard.post("/staff/gate/", {"code": visitor_pass.code, "direction": "in"})
    assert let_in.status_code == 200 and 'data-gate-result="ok"' in html(let_in)
    again = guard.post("/staff/gate/", {"code": visitor_pass.code, "direction": "in"})
    assert again.status_code == 409 and 'data-gate-result="refused"' in html(again)
    out = guard.post("/staff/gate/", {"code": visitor_pass.code, "direction": "out"})
    assert out.status_code == 200 and 'data-gate-parked="0"' in html(out) and 'data-gate-over="0"' in html(out)
    assert GateEntry.objects.filter(visitor_pass=visitor_pass).count() == 2
    assert html(guard.get("/staff/gate/log/")).count("data-entry=") == 2
    other = client_for(gate_world.tenant, gate_world.other_guard)
    refused = other.post("/staff/gate/", {"code": visitor_pass.code, "direction": "in"})
    assert refused.status_code == 403 and "张三" not in html(refused)

    cancel = resident.post(f"/resident/visitors/{visitor_pass.pk}/cancel/")
    assert cancel.status_code == 302
    neighbour = client_for(gate_world.tenant, gate_world.neighbour)
    assert neighbour.get(f"/resident/visitors/{visitor_pass.pk}/").status_code == 404
    assert neighbour.post(f"/resident/visitors/{visitor_pass.pk}/cancel/").status_code == 404


def test_security_logs_a_parcel_and_hands_it_over_with_a_signature(
    gate_world: Gate, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    guard = client_for(gate_world.tenant, gate_world.guard)
    form = html(guard.get("/staff/parcels/new/"))
    assert "data-unit-search" in form and 'name="carrier"' in form
    assert "快递登记" in form and "顺丰" in form  # zh-hans first
    found = html(guard.get("/staff/parcels/units/", {"q": "1栋 101"}))
    assert f'data-unit-pick="{gate_world.home.pk}"' in found
    assert "江景苑" not in html(guard.get("/staff/parcels/units/", {"q": "A座"}))  # another office's homes
    logged = guard.post(
        "/staff/parcels/new/",
        {"unit": gate_world.home.pk, "carrier": "sf", "tracking_number": "SF1234567890", "shelf": "A-3"},
    )
    assert logged.status_code == 302 and logged["Location"] == "/staff/parcels/new/"
    parcel = Parcel.objects.get()
    follow = html(guard.get("/staff/parcels/new/"))
    assert parcel.pickup_code in follow and 'value="A-3"' in follow  # the code said; the shelf kept
    outside = guard.post(
        "/staff/parcels/new/",
        {"unit": gate_world.other_units[0].pk, "carrier": "sf", "tracking_number": "SF999999", "shelf": "A-3"},
    )
    assert outside.status_code == 400 and Parcel.objects.count() == 1

    resident = client_for(gate_world.tenant, gate_world.resident)
    assert parcel.pickup_code in html(resident.get("/resident/parcels/"))
    assert parcel.pickup_code in html(resident.get("/resident/"))  # the home's card
    neighbour = client_for(gate_world.tenant, gate_world.neighbour)
    assert parcel.pickup_code not in html(neighbour.get("/resident/parcels/"))
    assert parcel.pickup_code not in html(neighbour.get("/resident/"))

    assert f'data-parcel="{parcel.pk}"' in html(guard.get("/staff/parcels/"))
    other = client_for(gate_world.tenant, gate_world.other_guard)
    assert f'data-parcel="{parcel.pk}"' not in html(other.get("/staff/parcels/"))
    assert other.get("/staff/parcels/pickup/", {"code": parcel.pickup_code}).status_code == 404
    assert other.post(f"/staff/parcels/{parcel.pk}/return/", {"reason": "x"}).status_code == 404

    lookup = guard.get("/staff/parcels/pickup/", {"code": parcel.pickup_code})
    assert lookup.status_code == 200 and "data-signature-pad" in html(lookup) and "A-3" in html(lookup)
    unsigned = guard.post("/staff/parcels/pickup/", {"code": parcel.pickup_code, "name": "王业主", "signature": ""})
    assert unsigned.status_code == 400 and Parcel.objects.get().status == ParcelStatus.WAITING
    signed = guard.post(
        "/staff/parcels/pickup/", {"code": parcel.pickup_code, "name": "王业主", "signature": signature_png()}
    )
    assert signed.status_code == 302, html(signed)[:3000]
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.COLLECTED and parcel.collected_name == "王业主"
    image = guard.get(f"/staff/parcels/{parcel.pk}/signature/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert other.get(f"/staff/parcels/{parcel.pk}/signature/").status_code == 404
    assert guard.get("/staff/parcels/pickup/", {"code": parcel.pickup_code}).status_code == 404  # spent
    assert re.search(r"data-parcels-done", html(resident.get("/resident/parcels/")))


def test_residents_and_engineers_may_not_open_the_gate_pages(gate_world: Gate, client_for: Any, member: Any) -> None:
    resident = client_for(gate_world.tenant, gate_world.resident)
    engineer = client_for(gate_world.tenant, member(gate_world.tenant, ["engineer"]))
    for url in ("/staff/gate/", "/staff/parcels/new/", "/staff/parcels/pickup/", "/staff/parcels/"):
        assert resident.get(url).status_code == 403, url
        assert engineer.get(url).status_code == 403, url
    gate.parcel_log(
        by=gate_world.guard,
        scope=EVERYTHING,
        unit_id=gate_world.home.pk,
        carrier="jd",
        tracking_number="JD11112222",
        shelf="B",
    )
    assert engineer.get("/resident/parcels/").status_code == 403


def test_the_admin_sets_the_reminder_days(gate_world: Gate, client_for: Any, member: Any) -> None:
    admin = client_for(gate_world.tenant, member(gate_world.tenant, ["company_admin"]))
    saved = admin.post(
        "/staff/gate/settings/", {"parcel_reminder_days": 5, "free_parking_minutes": 90, "pass_longest_days": 3}
    )
    assert saved.status_code == 302
    from backend.gate.models import GateSettings

    current = GateSettings.load()
    assert (current.parcel_reminder_days, current.free_parking_minutes, current.pass_longest_days) == (5, 90, 3)
    assert client_for(gate_world.tenant, gate_world.guard).get("/staff/gate/settings/").status_code == 403
