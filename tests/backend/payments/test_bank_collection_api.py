"""银行托收 over the API: upload (checked, nothing counted), confirm, read; a file with problems answers every
row's problem; another company neither sees an import nor reaches a unit through one."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from backend.billing.models import Payment
from backend.payments.models import BankCollection
from tenants.db import connection
from tests.backend.billing.conftest import World

from .conftest import JAN, lines_of, owed, post_month

HEADER = "小区,楼宇,房号,户名,金额,扣款结果,扣款日期,银行流水号,失败原因"
URL = "/api/v1/payments/bank-collections/"


def result_file(*rows: str, name: str = "托收结果.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([HEADER, *rows]).encode(), content_type="text/csv")


def test_finance_uploads_checks_and_confirms_a_result_file(
    world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    post_month(JAN)
    home = world.units[0]
    jan = sum(owed(line) for line in lines_of(home.pk, JAN))
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    rows = [
        f"金色家园,1栋,{home.number},业主,{jan / 100:.2f},成功,2026-01-15,API-1,",
        f"金色家园,1栋,{world.units[1].number},业主,20.00,失败,2026-01-15,API-2,余额不足",
    ]
    uploaded = client.post(URL, {"file": result_file(*rows)})
    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert body["collection"]["status"] == "pending" and body["errors"] == []
    assert (
        body["totals"].items() >= {"rows": 2, "succeeded": 1, "amount": jan, "failed": 1, "failed_amount": 2000}.items()
    )
    connection.set_tenant(tenant_a)
    assert not Payment.objects.filter(method="bank_collection").exists()  # nothing counted before the confirm

    applied = client.post(f"{URL}{body['collection']['id']}/apply/")
    assert applied.status_code == 200, applied.content
    result = applied.json()
    assert result["collection"].items() >= {"status": "applied", "succeeded": 1, "failed": 1, "amount": jan}.items()
    assert [(d["serial"], d["outcome"]) for d in result["debits"]] == [("API-1", "paid"), ("API-2", "failed")]
    connection.set_tenant(tenant_a)
    assert Payment.objects.get(method="bank_collection").amount == jan
    # The same file again: the import as it was, nothing more counted.
    again = client.post(URL, {"file": result_file(*rows)})
    assert again.status_code == 200 and again.json()["collection"]["id"] == body["collection"]["id"]
    assert client.post(f"{URL}{body['collection']['id']}/apply/").status_code == 200
    connection.set_tenant(tenant_a)
    assert Payment.objects.filter(method="bank_collection").count() == 1
    listed = client.get(URL).json()
    assert [c["id"] for c in listed["results"]] == [body["collection"]["id"]]


def test_a_file_with_problems_is_answered_row_by_row_and_applies_nothing(
    world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    uploaded = client.post(URL, {"file": result_file("金色家园,1栋,101,业主,1.234,成功,2026-01-15,BAD-1,")})
    assert uploaded.status_code == 201
    assert [(e["row"], e["column"]) for e in uploaded.json()["errors"]] == [(2, "金额")]
    applied = client.post(f"{URL}{uploaded.json()['collection']['id']}/apply/")
    assert applied.status_code == 400
    assert applied.json()["error"]["code"] == "import_failed"
    assert [(e["row"], e["column"]) for e in applied.json()["rows"]] == [(2, "金额")]
    refused = client.post(URL, {"file": SimpleUploadedFile("x.csv", b"<html>a,b</html>", content_type="text/csv")})
    assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]


def test_another_company_sees_no_import_and_reaches_no_unit_through_one(
    world: World, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    post_month(JAN)
    alpha = client_for(tenant_a, member(tenant_a, ["finance"]))
    row = f"金色家园,1栋,{world.units[0].number},业主,10.00,成功,2026-01-15,ISO-1,"
    made = alpha.post(URL, {"file": result_file(row)}).json()["collection"]["id"]
    beta = client_for(tenant_b, member(tenant_b, ["finance"]))
    assert beta.get(f"{URL}{made}/").status_code == 404
    assert beta.post(f"{URL}{made}/apply/").status_code == 404
    assert beta.get(URL).json()["results"] == []
    # The same rows on beta's domain name a unit beta does not have.
    upload = beta.post(URL, {"file": result_file(row, name="b.csv")})
    assert [(e["row"], e["column"]) for e in upload.json()["errors"]] == [(2, "房号")]
    assert beta.post(f"{URL}{upload.json()['collection']['id']}/apply/").status_code == 400
    connection.set_tenant(tenant_a)
    assert BankCollection.objects.filter(pk=made, status="pending").exists()
    assert not Payment.objects.filter(method="bank_collection").exists()
