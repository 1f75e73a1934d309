"""The two demo companies, seeded once for the tests of this package that look at them (test_companies,
test_marketplace, test_second_company, test_shop_orders, test_groupbuy) instead of once per test: seeding
them is the slow part (two companies onboarded, 1,788 units, eight merchants with their pictures, a few hundred
shop orders), what the tests check of it they only read.

The world is seeded the way the tests seeded it one by one: `seed_demo --company lvcheng` first (绿城物业
with its quarter of billing, and the marketplace while 示范物业 does not exist yet), then 示范物业 without
billing and the marketplace again. Then everything is seeded a second time, once for every test that checks
that seeding again adds nothing, with the counts of every table before and after.

All of it happens in one transaction that is rolled back after the package's last test (the way the scoped
API worlds are done, tests/backend/api/scoped_world.py), so no other test sees the demo companies; each test
runs in a savepoint inside it, so what a test writes (a token, a login) is gone before the next one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django_tenants.utils import get_public_schema_name, schema_context

from backend.demo.companies import SHIFAN, company_seed, demo_seed, marketplace_seed
from backend.demo.marketplace import demo_groupbuy_seed
from backend.demo.progress import Progress
from marketplace.models import MerchantApplication
from tenants.db import connection
from tests.backend.api.scoped_world import module_world

Counts = dict[tuple[str, str], int]


@dataclass(frozen=True)
class DemoWorld:
    shifan: Any  # the Tenant 示范物业
    lvcheng: Any  # the Tenant 绿城物业
    lvcheng_report: str  # what `seed_demo --company lvcheng` wrote on stderr, the first time
    standing_lvcheng_only: set[tuple[str, str, str]]  # the marketplace's standing before 示范物业 existed
    shifan_lines: list[str]  # the progress lines of seeding 示范物业 and then the marketplace
    # seeding everything a second time (seed_demo --company lvcheng, demo_seed without billing, the group-buy)
    before: Counts  # (schema, app_label.Model) → rows, before seeding again
    after: Counts  # … and after
    lvcheng_report_again: str
    groupbuy_joined_again: int

    def unchanged(self, *models: Any, schema: str | None = None) -> bool:
        """Seeding again left the row counts of these models as they were (in `schema`, or the public one)."""
        keys = [(schema or get_public_schema_name(), m._meta.label) for m in models]
        return [self.before[k] for k in keys] == [self.after[k] for k in keys]


def seed_lvcheng() -> str:
    err = io.StringIO()
    call_command("seed_demo", "--company", "lvcheng", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def standing() -> set[tuple[str, str, str]]:
    return set(MerchantApplication.objects.values_list("merchant__name", "tenant__slug", "status"))


def table_counts(schemas: list[str]) -> Counts:
    """Rows of every model's table in each of these schemas and the public one (where it has the table)."""
    counts: Counts = {}
    for schema in [get_public_schema_name(), *schemas]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
            tables = {name for (name,) in cursor.fetchall()}
        with schema_context(schema):
            for model in apps.get_models():
                if not model._meta.proxy and model._meta.db_table in tables:
                    counts[(schema, model._meta.label)] = model._base_manager.count()
    return counts


@pytest.fixture(scope="package")
def demo_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoWorld]:
    from tenants.models import Tenant

    with module_world(django_db_blocker):
        lvcheng_report = seed_lvcheng()
        standing_lvcheng_only = standing()
        lines: list[str] = []
        shifan = company_seed(SHIFAN, billing=False, progress=Progress(lines.append))
        marketplace_seed(progress=Progress(lines.append))
        lvcheng = Tenant.objects.get(slug="lvcheng")
        connection.set_schema_to_public()

        schemas = [shifan.schema_name, lvcheng.schema_name]
        before = table_counts(schemas)
        lvcheng_report_again = seed_lvcheng()
        demo_seed(billing=False)
        groupbuy_joined_again = demo_groupbuy_seed()
        connection.set_schema_to_public()
        after = table_counts(schemas)
        yield DemoWorld(
            shifan=shifan,
            lvcheng=lvcheng,
            lvcheng_report=lvcheng_report,
            standing_lvcheng_only=standing_lvcheng_only,
            shifan_lines=lines,
            before=before,
            after=after,
            lvcheng_report_again=lvcheng_report_again,
            groupbuy_joined_again=groupbuy_joined_again,
        )
