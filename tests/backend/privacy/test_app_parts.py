"""The apps' parts of the download and the erasure (backend/privacy/parts.py), on the scoped world: the
resident of company alpha has a visitor pass with a car (and its entry at the gate), a parcel picked up with
their signature, a renovation application with its contractor, workers, plan, inspection photo and deposit,
shop after-sale (a refund request, a review and a complaint, each with a photo, and the payables their order
posted), a survey answer and a repair rating in their words, a repair photo, a Stripe customer (localstripe)
and an autopay mandate; all under their own name and phone.

- the download holds every section, with their values, and nothing of the neighbour's;
- once staff process the erasure, no text column of the company's schema holds any of those names, phones or
  plates, the person's files are gone from storage, the Stripe customer is gone at Stripe, the billing ledger
  and the payables ledger sum as before, and the neighbour's and the other company's data are as they were;
- Stripe out of reach: the erasure still happens, the customer row is kept and the summary says why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.utils import timezone

from backend.audit.models import AuditEntry
from backend.billing import ledger
from backend.billing.selectors import ledger_balance
from backend.desk.models import SurveyQuestion, Ticket, TicketEvent, TicketPhoto
from backend.desk.surveys import rating_record, survey_answer
from backend.gate import services as gate
from backend.gate.models import Parcel, VisitorPass
from backend.gate.signature import signature_from_data_url
from backend.notifications.models import Notification
from backend.payments.models import AutopayMandate, StripeCustomer
from backend.payments.online import stripe_customer_for
from backend.payments.providers import GatewayRefused, StripeProvider, stripe_provider
from backend.privacy.erasure import ERASED_NAME, erasure_process, erasure_request_create
from backend.privacy.models import ErasureRequest
from backend.privacy.personal_data import COLLECTORS
from backend.properties.models import Person, Unit
from backend.properties.scope import Scope
from backend.renovation.models import Application, Document, Inspection, InspectionPhoto
from marketplace.orders.models import AftersalePhoto, Complaint, Order, RefundRequest, Review
from marketplace.settlement.models import PayableEntry
from tenants.db import connection
from tests.backend.gate.conftest import signature_png
from tests.backend.privacy.test_personal_data import (  # noqa: F401  (world: the fixture)
    Company,
    ledger_sums,
    signed_in,
    tables_holding,
    world,
)

EVERYTHING = Scope.everything()
PNG = b"\x89PNG\r\n\x1a\n fake"


@dataclass
class Lived:
    company: Company
    user: Any
    person: Person
    unit: Unit
    needles: list[str]
    files: list[Path] = field(default_factory=list)  # the person's, in storage
    others_files: list[Path] = field(default_factory=list)  # the neighbour's and the other company's
    stripe_customer: str = ""


def _photo(row: Any, attr: str, media: Path, files: list[Path]) -> None:
    getattr(row, attr).save("photo.png", ContentFile(PNG), save=True)
    files.append(media / getattr(row, attr).name)


def _pickup(company: Company, place: str, name: str, media: Path, files: list[Path]) -> None:
    parcel = Parcel.objects.get(pk=company.places[place]["parcel"])
    gate.parcel_pickup(
        code=parcel.pickup_code,
        signature=signature_from_data_url(signature_png()),
        name=name,
        by=company.users["admin"],
        scope=EVERYTHING,
    )
    parcel.refresh_from_db()
    files.append(media / parcel.signature.name)


def payables_by_merchant() -> dict[int, int]:
    rows = PayableEntry.objects.values("merchant_id", "kind").annotate(total=Sum("amount_fen"))
    return {(r["merchant_id"], r["kind"]): r["total"] for r in rows}  # type: ignore[misc]


@pytest.fixture
def lived(db: Any, world: dict[str, Company], settings: Any, tmp_path: Path, localstripe: str) -> Lived:  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path)
    alpha, beta = world["alpha"], world["beta"]
    admin, user = alpha.users["admin"], alpha.users["resident"]
    connection.set_tenant(alpha.tenant)
    mine = alpha.places["mine"]
    person, unit = Person.objects.get(pk=mine["person"]), Unit.objects.get(pk=mine["unit"])
    lived = Lived(alpha, user, person, unit, needles=[])
    files, now = lived.files, timezone.now()

    # The gate: a car pass, its entry, a parcel picked up with their signature.
    visitor_pass = gate.pass_issue(
        user=user,
        unit_id=unit.pk,
        visitor_name="王访客",
        visitor_phone="13700001111",
        plate="沪A12345",
        valid_from=now,
        valid_until=now + dt.timedelta(hours=4),
    )
    gate.pass_scan(code=visitor_pass.code, by=admin, scope=EVERYTHING)
    _pickup(alpha, "mine", person.name, tmp_path, files)

    # Renovation: their application, contractor and workers, a plan, an inspection photo, the deposit.
    application = Application.objects.get(pk=mine["renovation"])
    deposit = ledger.deposit_hold(
        unit=unit, amount=200000, purpose="装修保证金", method="cash", payer_name=person.name, by=admin
    )
    Application.objects.filter(pk=application.pk).update(
        applicant_name=person.name,
        applicant_phone=person.phone,
        contractor_contact="赵工头",
        contractor_phone="13600003333",
        workers=[{"name": "钱师傅", "phone": "13600004444"}],
        deposit=deposit,
        deposit_fen=200000,
        desk_note=f"已电话联系{person.name}",
    )
    _photo(Document(application=application, kind="plan", uploaded_by=user), "file", tmp_path, files)
    inspection = Inspection.objects.filter(application=application).first()
    _photo(InspectionPhoto(inspection=inspection), "image", tmp_path, files)

    # Shop after-sale, in their words, with photos; the payables their delivered order posted.
    order = Order.objects.get(pk=mine["shop_delivered"])
    refund = RefundRequest.objects.get(pk=mine["shop_refund"])
    RefundRequest.objects.filter(pk=refund.pk).update(
        reason=f"{person.name}收到时已坏", escalation_note=f"请回电{person.phone}"
    )
    Review.objects.filter(order=order).update(text=f"不错，{person.name}")
    Complaint.objects.filter(pk=mine["shop_complaint"]).update(text=f"送货慢，联系{person.phone}")
    _photo(AftersalePhoto(refund=refund), "image", tmp_path, files)
    _photo(AftersalePhoto(review=Review.objects.get(order=order)), "image", tmp_path, files)
    _photo(AftersalePhoto(complaint_id=mine["shop_complaint"]), "image", tmp_path, files)
    line = order.lines.get()
    for kind, amount in (("sale", line.amount_fen), ("commission", 1)):
        PayableEntry.objects.create(
            merchant_id=order.merchant_id,
            kind=kind,
            amount_fen=amount,
            order_id=order.pk,
            order_code=order.code,
            order_line=line,
            occurred_at=now,
        )

    # The desk: a survey answer in words, a rating of their repair, the photo sent with the report.
    question = SurveyQuestion.objects.create(
        survey_id=mine["survey"], position=1, text="建议", kind="text", required=False
    )
    rating_q = SurveyQuestion.objects.filter(survey_id=mine["survey"], kind="rating").first()
    assert rating_q is not None
    survey_answer(
        survey=question.survey,
        user=user,
        unit_id=unit.pk,
        answers={rating_q.pk: 4, question.pk: f"有事打{person.phone}"},
    )
    ticket = Ticket.objects.get(pk=mine["ticket"])
    rating_record(score=5, via="resident", by=user, now=now, comment=f"{person.name}很满意", ticket=ticket)
    _photo(TicketPhoto(ticket=ticket, stage="intake"), "image", tmp_path, files)
    TicketEvent.objects.create(ticket=ticket, at=now, kind="revisit", by=admin, note=f"已致电{person.phone}")

    # Online payment: their Stripe customer (at localstripe) and an autopay mandate.
    lived.stripe_customer = stripe_customer_for(user, stripe_provider())
    AutopayMandate.objects.create(
        unit=unit, user=user, payment_method_id="pm_card_visa", card_brand="visa", card_last4="4242", monthly_max=1
    )

    # Not theirs: the neighbour's parcel and the other company's, picked up with signatures.
    _pickup(alpha, "neighbour", "邻居本人", tmp_path, lived.others_files)
    VisitorPass.objects.filter(pk=alpha.places["neighbour"]["visitor_pass"]).update(visitor_name="邻居的访客")
    connection.set_tenant(beta.tenant)
    _pickup(beta, "mine", Person.objects.get(pk=beta.places["mine"]["person"]).name, tmp_path, lived.others_files)
    connection.set_tenant(alpha.tenant)

    lived.needles = [
        person.name,
        person.phone,
        user.name,
        user.email,
        "王访客",
        "13700001111",
        "沪A12345",
        "赵工头",
        "13600003333",
        "钱师傅",
        "13600004444",
    ]
    assert all(f.exists() for f in files + lived.others_files)
    connection.set_schema_to_public()
    return lived


def test_the_download_has_every_apps_section_with_the_residents_values(lived: Lived, db: Any) -> None:
    response = signed_in(lived.company, lived.user).get("/api/v1/me/data/")
    assert response.status_code == 200
    data, text = response.json(), response.content.decode()
    assert set(COLLECTORS) <= set(data)
    assert all(data[key] not in (None, [], {}) for key in COLLECTORS if key not in ("consents",))
    gate_data = data["gate"]
    (car,) = [p for p in gate_data["visitor_passes"] if p["plate"]]
    assert (car["visitor_name"], car["visitor_phone"], car["plate"]) == ("王访客", "13700001111", "沪A12345")
    assert car["entries"] and car["entries"][0]["direction"] == "in"
    assert any(p["collected_name"] == lived.person.name and p["signature_kept"] for p in gate_data["parcels"])
    (renovation,) = data["renovation"]
    assert renovation["contractor"]["phone"] == "13600003333" and renovation["deposit_fen"] == 200000
    assert renovation["contractor"]["workers"] == [{"name": "钱师傅", "phone": "13600004444"}]
    assert len(renovation["documents"]) == 2 and renovation["inspections"][0]["photos"] == 2  # the world's, mine
    aftersale = data["shop_aftersale"]
    assert aftersale["refund_requests"][0]["reason"].startswith(lived.person.name)
    assert aftersale["reviews"][0]["text"].endswith(lived.person.name) and aftersale["reviews"][0]["photos"] == 1
    assert aftersale["complaints"][0]["photos"] == 1
    satisfaction = data["satisfaction"]
    assert satisfaction["ratings"][0]["comment"] == f"{lived.person.name}很满意"
    assert {a["text"] for a in satisfaction["survey_answers"][0]["answers"]} >= {f"有事打{lived.person.phone}"}
    payments = data["online_payment"]
    assert payments["stripe_customer"]["id"] == lived.stripe_customer
    assert payments["autopay_mandates"][0]["card"] == "visa 4242" and payments["online_payments"]
    # the neighbour's visitor, the neighbour's signature name, the other company: not here
    assert "邻居的访客" not in text and "邻居本人" not in text
    assert "贝塔" not in text


def test_erasure_leaves_no_trace_in_any_app_and_every_ledger_balances(
    lived: Lived,
    world: dict[str, Company],  # noqa: F811
    db: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alpha, beta = world["alpha"], world["beta"]
    connection.set_tenant(alpha.tenant)
    billing_before = ledger_sums()
    balances_before = {pk: ledger_balance(pk) for pk in Unit.objects.values_list("pk", flat=True)}
    payables_before = payables_by_merchant()
    scores_before = sorted(Review.objects.values_list("stars", flat=True))
    neighbour_pass = VisitorPass.objects.get(pk=alpha.places["neighbour"]["visitor_pass"])
    # someone else whose name or number starts with the person's: left alone
    other = AuditEntry.objects.create(action="test.other", object_repr=f"{lived.person.name}2 @ 1202")
    told = Notification.objects.create(
        recipient=alpha.users["neighbour"], kind="test", title=f"{lived.person.phone}8 来电", body=""
    )
    connection.set_tenant(beta.tenant)
    beta_person = Person.objects.get(pk=beta.places["mine"]["person"])
    beta_application = Application.objects.get(pk=beta.places["mine"]["renovation"])
    beta_refund = RefundRequest.objects.get(pk=beta.places["mine"]["shop_refund"])
    connection.set_schema_to_public()

    resident = signed_in(alpha, lived.user)
    assert (
        resident.post("/api/v1/me/erasure-request/", {"confirm": True}, content_type="application/json").status_code
        == 201
    )
    connection.set_tenant(alpha.tenant)
    request = ErasureRequest.objects.get(user=lived.user, status="pending")
    connection.set_schema_to_public()
    admin = signed_in(alpha, alpha.users["admin"])
    depth, calls = len(connection.atomic_blocks), []
    real = StripeProvider._call

    def watched(self: StripeProvider, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((fn.__name__, len(connection.atomic_blocks)))
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(StripeProvider, "_call", watched)
    with django_capture_on_commit_callbacks(execute=True):
        processed = admin.post(f"/staff/privacy/erasure/{request.pk}/process/", {"confirm": "1"})
    assert processed.status_code == 302
    monkeypatch.undo()
    assert calls == [("delete", depth)]  # Stripe asked once, before the erasure's transaction opened

    connection.set_tenant(alpha.tenant)
    request.refresh_from_db()
    assert request.status == "done" and "not_done" not in request.summary
    # nothing personal left in any table of the company's schema, and none of the person's files
    leftovers = tables_holding(alpha.tenant.schema_name, lived.needles)
    assert leftovers == [], leftovers
    assert [f for f in lived.files if f.exists()] == []
    assert all(f.exists() for f in lived.others_files)
    # the records stay, anonymised: passes (none valid), the application with its deposit, the refund's money
    car = VisitorPass.objects.get(issued_by=lived.user, entries=1)
    assert (car.visitor_name, car.visitor_phone, car.plate) == (ERASED_NAME, "", "")
    assert not VisitorPass.objects.filter(issued_by=lived.user, status="active").exists()  # no QR opens the gate
    application = Application.objects.get(pk=alpha.places["mine"]["renovation"])
    assert application.applicant_name == ERASED_NAME and application.workers == [] and application.deposit_id
    assert not Document.objects.filter(application=application).exists()
    assert RefundRequest.objects.get(pk=alpha.places["mine"]["shop_refund"]).amount_fen == 1
    assert not AftersalePhoto.objects.filter(refund__user=lived.user).exists()
    assert not AutopayMandate.objects.filter(user=lived.user, active=True).exists()
    assert not StripeCustomer.objects.filter(user=lived.user).exists()
    # every ledger as it was: the billing ledger (per unit and kind, and each balance), the payables, the stars
    assert ledger_sums() == billing_before
    assert {pk: ledger_balance(pk) for pk in Unit.objects.values_list("pk", flat=True)} == balances_before
    assert payables_by_merchant() == payables_before
    assert sorted(Review.objects.values_list("stars", flat=True)) == scores_before
    # the neighbour's data is theirs still
    assert AuditEntry.objects.get(pk=other.pk).object_repr == f"{lived.person.name}2 @ 1202"
    assert Notification.objects.get(pk=told.pk).title == f"{lived.person.phone}8 来电"
    assert VisitorPass.objects.get(pk=neighbour_pass.pk).visitor_name == "邻居的访客"
    assert Parcel.objects.filter(collected_name="邻居本人").exists()
    # the other company is untouched
    connection.set_tenant(beta.tenant)
    assert Person.objects.get(pk=beta_person.pk).name == beta_person.name
    assert Application.objects.get(pk=beta_application.pk).applicant_name == beta_application.applicant_name
    assert RefundRequest.objects.get(pk=beta_refund.pk).reason == beta_refund.reason
    assert Parcel.objects.filter(collected_name=beta_person.name).exclude(signature="").exists()
    connection.set_schema_to_public()
    # and at Stripe, the customer (with its cards) is gone
    connection.set_tenant(alpha.tenant)
    gateway = stripe_provider()
    with pytest.raises(GatewayRefused) as gone:
        gateway._call(gateway.client.v1.customers.retrieve, lived.stripe_customer)
    assert gone.value.missing
    connection.set_schema_to_public()


def test_stripe_out_of_reach_keeps_the_customer_and_says_why(lived: Lived, db: Any, settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    connection.set_tenant(lived.company.tenant)
    request = erasure_request_create(user=lived.user)
    erasure_process(request_id=request.pk, by=lived.company.users["admin"])
    request.refresh_from_db()
    assert request.status == "done"
    assert request.summary["not_done"]["stripe_customer"].startswith("gateway_unavailable")
    # kept, so the customer can still be found and deleted; everything else is erased all the same
    assert StripeCustomer.objects.get(user=lived.user).customer_id == lived.stripe_customer
    assert not AutopayMandate.objects.filter(user=lived.user, active=True).exists()
    assert Person.objects.get(pk=lived.person.pk).name == ERASED_NAME
    connection.set_schema_to_public()
