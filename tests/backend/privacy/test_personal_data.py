"""The data download and erasure (PIPL arts. 45, 47), on the scoped world (tests/backend/api/scoped_world.py):
company alpha with the resident's home and a neighbour's, company beta with its own.

- the download (page and API) holds the resident's profile, homes, bills, payments, bookings, orders, tickets
  and consents, and nothing of the neighbour's or of the other company;
- erasure leaves every unit's ledger as it was (the sum of its entries per kind), and afterwards no text
  column of any table of the company's schema holds the person's name, phone or e-mail; the account is
  closed; staff of another company cannot process it, nor staff without the permission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from backend.access.services import api_token_issue
from backend.accounts.models import Membership, PrivacyConsent, User
from backend.billing import ledger
from backend.billing.models import LedgerEntry
from backend.billing.selectors import ledger_balance
from backend.privacy.erasure import ERASED_NAME
from backend.privacy.models import ErasureRequest
from backend.properties.models import BindingRequest, Person, Unit
from tenants.db import connection
from tests.backend.api.scoped_world import Company, build_company, module_world
from tests.conftest import host_of
from tests.factories import MemberFactory


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Company]]:
    from tenants.models import Tenant

    with module_world(django_db_blocker):
        alpha = build_company(Tenant.objects.get(slug="alpha"), "阿尔法", second_office=False)
        beta = build_company(Tenant.objects.get(slug="beta"), "贝塔", second_office=False)
        connection.set_schema_to_public()
        yield {"alpha": alpha, "beta": beta}


def signed_in(company: Company, user: Any) -> Client:
    client = Client(HTTP_HOST=host_of(company.tenant))
    connection.set_tenant(company.tenant)
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    connection.set_schema_to_public()
    return client


def person_of(company: Company, key: str) -> Person:
    connection.set_tenant(company.tenant)
    return Person.objects.get(pk=company.places[key]["person"])


def test_the_download_holds_the_residents_data_and_nobody_elses(world, db):
    alpha, beta = world["alpha"], world["beta"]
    resident = alpha.users["resident"]
    PrivacyConsent.objects.create(
        user=resident, policy_version="2026-12", channel="resident_signup", tenant=alpha.tenant
    )
    mine, neighbour = person_of(alpha, "mine"), person_of(alpha, "neighbour")
    response = signed_in(alpha, resident).get("/resident/my-data/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-alpha-')
    data = json.loads(response.content)
    text = response.content.decode()
    assert data["profile"]["email"] == resident.email and data["profile"]["person"]["name"] == mine.name
    unit = Unit.objects.get(pk=alpha.places["mine"]["unit"])
    assert [u["id"] for u in data["homes"]["units"]] == [unit.pk]
    assert data["homes"]["binding_requests"] and data["homes"]["occupancies"][0]["unit"] == str(unit)
    assert data["billing"]["bills"] and {p["amount_fen"] for p in data["billing"]["payments"]} >= {500}
    assert data["club"]["bookings"] and data["club"]["class_enrolments"]
    from marketplace.orders.models import Order

    orders = set(Order.objects.filter(user=resident).values_list("code", flat=True))
    assert orders and {o["code"] for o in data["shop_orders"]} == orders  # every order of theirs, no other
    assert all(o["lines"] for o in data["shop_orders"])
    assert len(data["repair_tickets"]) == 1 and len(data["complaints"]) == 1
    assert data["consents"][0]["policy_version"] == "2026-12"
    # nobody else's: not the neighbour, not the other company
    assert neighbour.name not in text and neighbour.phone not in text
    assert alpha.users["neighbour"].email not in text
    assert beta.name_marker not in text and beta.users["resident"].email not in text
    connection.set_schema_to_public()


def test_the_api_download_is_the_same_data_and_only_for_residents(world, db):
    alpha = world["alpha"]
    resident = alpha.users["resident"]
    client = signed_in(alpha, resident)
    body = client.get("/api/v1/me/data/").json()
    page = json.loads(client.get("/resident/my-data/download/").content)
    assert {k: v for k, v in body.items() if k != "generated_at"} == {
        k: v for k, v in page.items() if k != "generated_at"
    }
    assert signed_in(alpha, alpha.users["clerk"]).get("/api/v1/me/data/").status_code == 403
    assert Client(HTTP_HOST=host_of(alpha.tenant)).get("/api/v1/me/data/").status_code in (401, 403)
    # the resident's session means nothing on the other company's domain
    other = Client(HTTP_HOST=host_of(world["beta"].tenant))
    other.cookies = client.cookies
    assert other.get("/api/v1/me/data/").status_code in (401, 403)


def ledger_sums() -> dict[tuple[int, str], int]:
    rows = LedgerEntry.objects.values("unit_id", "kind").annotate(total=Sum("amount"))
    return {(r["unit_id"], r["kind"]): r["total"] for r in rows}


PII_COLUMNS = """
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = %s AND data_type IN ('text', 'character varying', 'jsonb', 'json')
"""


def tables_holding(schema: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) of `schema` whose text holds a needle (names not followed by a digit)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(PII_COLUMNS, [schema])
        columns = cursor.fetchall()
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{schema}"."{table}" WHERE "{column}"::text ~ %s LIMIT 1',  # noqa: S608
                    [needle.replace(".", "\\.") + "([^0-9]|$)"],
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


def test_erasure_keeps_every_ledger_and_leaves_no_personal_data(
    world, db, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    alpha, beta = world["alpha"], world["beta"]
    resident = alpha.users["resident"]
    connection.set_tenant(alpha.tenant)
    person = Person.objects.get(pk=alpha.places["mine"]["person"])
    unit = Unit.objects.get(pk=alpha.places["mine"]["unit"])
    # a payer's name on a counter payment, an API token, a binding document of the resident's own
    ledger.payment_record(
        unit=unit, amount=800, method="cash", recorded_by=alpha.users["admin"], payer_name=person.name
    )
    api_token_issue(user=resident, name="phone")
    document = tmp_path / "erasure" / "id-card.png"
    document.parent.mkdir(parents=True)
    document.write_bytes(b"\x89PNG fake")
    BindingRequest.objects.filter(user=resident).update(document="erasure/id-card.png")
    needles = [resident.name, resident.email, person.name, person.phone]
    before = ledger_sums()
    balances_before = {pk: ledger_balance(pk) for pk in Unit.objects.values_list("pk", flat=True)}
    connection.set_schema_to_public()

    resident_client = signed_in(alpha, resident)
    refused = resident_client.post("/resident/my-data/", {"reason": "搬走了"})
    assert refused.status_code == 400  # the confirmation box
    assert resident_client.post("/resident/my-data/", {"confirm": "on", "reason": "搬走了"}).status_code == 302
    connection.set_tenant(alpha.tenant)
    request = ErasureRequest.objects.get(user=resident)
    assert request.status == "pending"
    connection.set_schema_to_public()

    # scope: another company's admin, and staff here without the permission, cannot process it
    beta_admin = signed_in(beta, beta.users["admin"])
    assert beta_admin.post(f"/staff/privacy/erasure/{request.pk}/process/", {"confirm": "1"}).status_code == 404
    stranger = Client(HTTP_HOST=host_of(alpha.tenant))
    stranger.cookies = beta_admin.cookies
    assert stranger.post(f"/staff/privacy/erasure/{request.pk}/process/", {"confirm": "1"}).status_code == 302
    assert (
        signed_in(alpha, alpha.users["clerk"])
        .post(f"/staff/privacy/erasure/{request.pk}/process/", {"confirm": "1"})
        .status_code
        == 403
    )
    connection.set_tenant(alpha.tenant)
    assert ErasureRequest.objects.get(pk=request.pk).status == "pending"
    connection.set_schema_to_public()

    admin = signed_in(alpha, alpha.users["admin"])
    queue = admin.get("/staff/privacy/erasure/").content.decode()
    assert f'data-erasure-request="{request.pk}"' in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/staff/privacy/erasure/{request.pk}/process/", {"confirm": "1"})
    assert response.status_code == 302

    connection.set_tenant(alpha.tenant)
    assert ErasureRequest.objects.get(pk=request.pk).status == "done"
    assert ledger_sums() == before
    assert {pk: ledger_balance(pk) for pk in Unit.objects.values_list("pk", flat=True)} == balances_before
    leftovers = tables_holding(alpha.tenant.schema_name, needles)
    assert leftovers == [], leftovers
    assert Person.objects.get(pk=person.pk).name == ERASED_NAME  # kept (occupancies, the ledger), anonymised
    assert not document.exists()
    assert not Membership.objects.filter(user=resident).exists()
    account = User.objects.get(pk=resident.pk)
    assert (account.name, account.phone, account.is_active, account.has_usable_password()) == (
        ERASED_NAME,
        None,
        False,
        False,
    )
    assert account.email.endswith(".invalid")
    # the audit log says it happened (counts, no names)
    from backend.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="privacy.erasure_processed").exists()
    assert AuditEntry.objects.filter(action="privacy.erasure_requested").exists()
    # the other company is untouched
    connection.set_tenant(beta.tenant)
    assert Person.objects.get(pk=beta.places["mine"]["person"]).name != ERASED_NAME
    connection.set_schema_to_public()
    # signed out everywhere here: the old session is gone
    assert resident_client.get("/resident/").status_code == 302


def test_a_person_who_works_for_another_company_keeps_the_account(world, db):
    alpha, beta = world["alpha"], world["beta"]
    resident = alpha.users["resident"]
    MemberFactory(tenant=beta.tenant, roles=["finance"], user=resident)
    connection.set_tenant(alpha.tenant)
    from backend.privacy.erasure import erasure_process, erasure_request_create

    request = erasure_request_create(user=resident)
    erasure_process(request_id=request.pk, by=alpha.users["admin"])
    account = User.objects.get(pk=resident.pk)
    assert account.is_active and account.email == resident.email
    assert not Membership.objects.filter(user=resident, tenant=alpha.tenant).exists()
    assert Membership.objects.filter(user=resident, tenant=beta.tenant).exists()
    connection.set_schema_to_public()


def test_the_api_takes_one_confirmed_erasure_request(world, db):
    alpha = world["alpha"]
    client = signed_in(alpha, alpha.users["neighbour"])
    url = "/api/v1/me/erasure-request/"
    unconfirmed = client.post(url, {"confirm": False}, content_type="application/json")
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.json()["error"]["fields"]
    made = client.post(url, {"confirm": True, "reason": "搬家"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["status"] == "pending"
    again = client.post(url, {"confirm": True}, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "erasure_pending"
    connection.set_tenant(alpha.tenant)
    assert ErasureRequest.objects.filter(user=alpha.users["neighbour"], status="pending").count() == 1
    connection.set_schema_to_public()
    # staff have no data download or erasure request of their own here (residents only)
    assert (
        signed_in(alpha, alpha.users["clerk"]).post(url, {"confirm": True}, content_type="application/json").status_code
        == 403
    )
