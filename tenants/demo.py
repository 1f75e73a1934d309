"""The demo company 示范物业 at demo.<platform domain>, with one person per role. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_tenants.utils import schema_context

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role

from .db import schema_analyze
from .models import Tenant
from .services import company_domain, company_onboard, company_url, platform_url

DEMO_SLUG = "demo"
DEMO_PASSWORD = "Demo-2026-pass"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str
    phone: str


DEMO_PEOPLE = [
    DemoLogin(Role.COMPANY_ADMIN, "张主任", "admin@demo.test", "13800000001"),
    DemoLogin(Role.FINANCE, "李会计", "finance@demo.test", "13800000002"),
    DemoLogin(Role.CUSTOMER_SERVICE, "王客服", "service@demo.test", "13800000003"),
    DemoLogin(Role.ENGINEER, "赵师傅", "engineer@demo.test", "13800000004"),
    DemoLogin(Role.SECURITY, "孙保安", "security@demo.test", "13800000005"),
    DemoLogin(Role.RESIDENT, "陈业主", "resident@demo.test", "13800000006"),
]


def demo_seed(*, billing: bool = True) -> Tenant:
    """示范物业 with a login per role, its registry and (unless billing=False) a year of billing."""
    admin = DEMO_PEOPLE[0]
    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    if tenant is None:
        tenant = company_onboard(
            company_name="示范物业",
            subdomain=DEMO_SLUG,
            admin_name=admin.name,
            admin_email=admin.email,
            admin_phone=admin.phone,
            admin_password=DEMO_PASSWORD,
        ).tenant
    with transaction.atomic():
        for person in DEMO_PEOPLE[1:]:
            user = User.objects.filter(email=person.email).first()
            if user is None:
                user = User.objects.create_user(
                    email=person.email, password=DEMO_PASSWORD, name=person.name, phone=person.phone
                )
            Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"roles": [person.role]})
    with schema_context(tenant.schema_name):
        from .demo_billing import demo_billing_seed
        from .demo_registry import demo_registry_seed

        demo_registry_seed(resident_email=DEMO_PEOPLE[-1].email)
        if billing:
            demo_billing_seed(
                resident_email=DEMO_PEOPLE[-1].email,
                finance_email=DEMO_PEOPLE[1].email,
                service_email=DEMO_PEOPLE[2].email,
            )
        # Statistics for what was just loaded in bulk: with autovacuum off (as on the test machines) or before it
        # gets round to it, the planner would take every table for empty and pick nested loops (a resident's
        # homes page: 3 ms instead of 0.5).
        schema_analyze(tenant.schema_name)
    return tenant


def demo_summary() -> str:
    lines = [
        f"Platform site:  {platform_url()}",
        f"Demo company:   {company_url(company_domain(DEMO_SLUG), '/')}  (示范物业)",
        f"API docs:       {company_url(company_domain(DEMO_SLUG), '/api/docs/')}",
        f"Password for every demo login: {DEMO_PASSWORD}",
    ]
    lines += [f"  {p.role:<17} {p.name}  {p.email}  /  {p.phone}" for p in DEMO_PEOPLE]
    return "\n".join(lines)
