"""The 银行托收 page for finance: upload the bank's result file, see every row and the totals (¥ with fen)
before anything is counted, confirm, read what was counted. A file with problems shows them and cannot be
confirmed; only finance and company admins open the page; it speaks Chinese to a Chinese company."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.billing.models import Payment
from backend.payments.models import BankCollection
from tenants.db import connection
from tests.backend.billing.conftest import World
from tests.backend.payments.conftest import JAN, lines_of, owed, post_month
from tests.backend.payments.conftest import world as world  # noqa: F401  (the fixture)

HEADER = "小区,楼宇,房号,户名,金额,扣款结果,扣款日期,银行流水号,失败原因"
PAGE = "/staff/payments/bank-collection/"


def result_file(*rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("托收结果.csv", "\n".join([HEADER, *rows]).encode("gb18030"), content_type="text/csv")


def signed_in(tenant: Any, member: Any, client_for: Any, *roles: str, language: str = "en") -> Client:
    client = client_for(tenant, member(tenant, list(roles)))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_finance_uploads_previews_confirms_and_reads_the_result(
    world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    post_month(JAN)
    home = world.units[0]
    jan = sum(owed(line) for line in lines_of(home.pk, JAN))
    client = signed_in(tenant_a, member, client_for, "finance")
    assert client.get(PAGE).status_code == 200
    uploaded = client.post(
        PAGE,
        {
            "file": result_file(
                f"金色家园,1栋,{home.number},业主,{jan / 100:.2f},成功,20260115,P-1,",
                f"金色家园,1栋,{world.units[1].number},业主,12.34,失败,20260115,P-2,余额不足",
            )
        },
    )
    assert uploaded.status_code == 302
    detail = uploaded["Location"]
    connection.set_tenant(tenant_a)
    collection = BankCollection.objects.get()
    assert detail == f"{PAGE}{collection.pk}/"

    preview = client.get(detail).content.decode()
    assert "data-bank-collection-preview" in preview and "data-bank-collection-confirm" in preview
    assert re.search(r"data-succeeded>1 · <span data-amount>¥[\d,]+\.\d\d</span>", preview)
    assert f"¥{jan // 100:,}.{jan % 100:02d}" in preview and "¥12.34" in preview and "余额不足" in preview
    connection.set_tenant(tenant_a)
    assert not Payment.objects.filter(method="bank_collection").exists()

    confirmed = client.post(detail)
    assert confirmed.status_code == 302 and confirmed["Location"] == detail
    result = client.get(detail).content.decode()
    assert "data-bank-collection-result" in result and 'data-outcome="paid"' in result
    assert 'data-outcome="failed"' in result and "data-bank-collection-confirm" not in result
    connection.set_tenant(tenant_a)
    payment = Payment.objects.get(method="bank_collection")
    assert payment.amount == jan and payment.receipt.number in result
    # Sending the confirm again (a reload) counts nothing twice.
    assert client.post(detail).status_code == 302
    connection.set_tenant(tenant_a)
    assert Payment.objects.filter(method="bank_collection").count() == 1
    listing = client.get(PAGE).content.decode()
    assert f'data-bank-collection="{collection.pk}"' in listing


def test_a_file_with_problems_shows_them_and_cannot_be_confirmed(
    world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    client = signed_in(tenant_a, member, client_for, "company_admin")
    uploaded = client.post(PAGE, {"file": result_file("金色家园,1栋,9999,业主,10.00,成功,20260115,E-1,")})
    page = client.get(uploaded["Location"]).content.decode()
    assert 'data-error-row="2"' in page and "No such unit" in page
    assert "data-bank-collection-confirm" not in page
    assert client.post(uploaded["Location"]).status_code == 400
    connection.set_tenant(tenant_a)
    assert BankCollection.objects.get().status == "pending"
    refused = client.post(PAGE, {"file": SimpleUploadedFile("x.csv", b"\x00\x01", content_type="text/csv")})
    assert refused.status_code == 400 and 'data-error-for="file"' in refused.content.decode()


def test_the_page_is_for_finance_and_admins_and_speaks_chinese(
    world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    for role in ("customer_service", "engineer", "resident"):
        assert signed_in(tenant_a, member, client_for, role).get(PAGE).status_code == 403, role
    chinese = signed_in(tenant_a, member, client_for, "finance", language="zh-hans").get(PAGE).content.decode()
    assert "导入银行回盘文件" in chinese and "下载模板" in chinese
    template = signed_in(tenant_a, member, client_for, "finance").get(f"{PAGE}template.csv")
    assert template.status_code == 200 and template.content.decode("utf-8-sig").startswith(HEADER)
