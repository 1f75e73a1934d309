"""The second demo company 绿城物业, seeded by `seed_demo` like 示范物业: its own logins, one estate, a quarter
of billing with bank collections; seeding again adds nothing; and the two companies' data stay apart (a
绿城 login sees none of 示范's units over the API, nor reaches one by id)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from backend.accounts.models import Membership
from backend.billing.models import BillLine, BillRun, LedgerEntry, Payment
from backend.demo.companies import DEMO_PASSWORD, LVCHENG
from backend.payments.models import BankCollection, Receipt
from backend.properties.models import Estate, Unit
from marketplace.orders.models import Order
from marketplace.settlement.models import Statement
from marketplace.settlement.reconcile import payables_reconcile
from tenants.models import Tenant
from tests.backend.demo.conftest import DemoWorld


def test_seed_demo_makes_lvcheng_with_its_logins_and_billing_and_again_adds_nothing(
    demo_world: DemoWorld, db: None
) -> None:
    report = demo_world.lvcheng_report  # `seed_demo --company lvcheng`, the first thing conftest.py does
    stages = [line for line in report.splitlines() if line.startswith("demo: 绿城物业")]
    # one line per stage (the gate's parcels and visitors, the shop's orders among them), each with what it made
    # and how long it took
    assert len(stages) == 7, report
    assert all(re.search(r" — .+ \(\d+\.\d s\)$", line) for line in stages), report
    assert "288 units" in report and "3 bill runs" in report and "by bank collection" in report
    tenant = Tenant.objects.get(slug="lvcheng")
    assert tenant.name == "绿城物业" and tenant.domains.get().domain == "lvcheng.localhost"
    for person in LVCHENG.people:
        membership = Membership.objects.get(tenant=tenant, user__email=person.email)
        assert membership.roles == [person.role] and membership.user.check_password(DEMO_PASSWORD)
    with schema_context(tenant.schema_name):
        assert list(Estate.objects.values_list("name", flat=True)) == ["桂花园"]
        assert BillRun.objects.filter(status="posted").count() == 3
        assert Payment.objects.filter(method="bank_collection").exists()
        assert BankCollection.objects.filter(status="applied").exists()
        # the shop's three months (鲜果坊 serves 绿城 too), its payables ledger level with its orders
        assert Order.objects.filter(status="reviewed").exists() and Statement.objects.filter(status="paid").exists()
        assert payables_reconcile() == 0
    # `seed_demo --company lvcheng` again (in conftest.py)
    models = (Unit, BillRun, BillLine, LedgerEntry, Payment, Receipt, BankCollection)
    assert demo_world.unchanged(*models, schema=tenant.schema_name)
    assert "already seeded" in demo_world.lvcheng_report_again


def test_a_lvcheng_login_sees_none_of_shifans_units(demo_world: DemoWorld, db: None) -> None:
    # `seed_demo --company lvcheng`, then company_seed(SHIFAN, billing=False), in conftest.py
    shifan, lvcheng = demo_world.shifan, demo_world.lvcheng
    with schema_context(shifan.schema_name):
        shifan_ids = set(Unit.objects.values_list("pk", flat=True))
        shifan_labels = set(Unit.objects.values_list("label", flat=True)[:50])
    with schema_context(lvcheng.schema_name):
        own = set(Unit.objects.values_list("pk", flat=True))
    admin = LVCHENG.people[0]
    client = Client(HTTP_HOST="lvcheng.localhost")
    token = client.post(
        "/api/v1/auth/token/", {"username": admin.email, "password": DEMO_PASSWORD}, content_type="application/json"
    )
    assert token.status_code == 200, token.content
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token.json()['token']}"}
    seen: set[int] = set()
    page = client.get("/api/v1/units/?page_size=200", **auth).json()
    while True:
        seen |= {u["id"] for u in page["results"]}
        assert not any(u["label"] in shifan_labels for u in page["results"])
        if not page["next"]:
            break
        page = client.get(page["next"], **auth).json()
    assert seen == own and len(seen) == 288
    stranger = next(iter(shifan_ids - own))
    assert client.get(f"/api/v1/units/{stranger}/", **auth).status_code == 404
    # 绿城's token is nothing on 示范's domain.
    other = Client(HTTP_HOST="demo.localhost")
    assert other.get("/api/v1/units/", **auth).status_code == 401
