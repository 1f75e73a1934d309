"""The demo companies, each with one login per role: 示范物业 at demo.<platform domain> (two estates, a year
of billing) and 绿城物业 at lvcheng.<platform domain> (one estate, a quarter of billing), so that anyone can
try the isolation between two companies by hand. Idempotent: what exists is left as it is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from marketplace.search.indexing import search_rebuild
from tenants.db import schema_analyze
from tenants.models import Tenant
from tenants.services import company_domain, company_onboard, company_url, platform_url

from .billing import demo_billing_seed
from .club import demo_club_seed
from .desk_repairs import demo_desk_seed
from .gate import demo_gate_seed
from .marketplace import demo_marketplace_seed
from .plans import LVCHENG_BILLING, SHIFAN_BILLING, BillingPlan
from .progress import Progress
from .registry import SHIFAN_REGISTRY, EstatePlan, RegistryPlan, demo_registry_seed
from .shop_orders import demo_shop_orders_seed

DEMO_PASSWORD = "Demo-2026-pass"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class DemoCompany:
    slug: str
    name: str
    people: tuple[DemoLogin, ...]  # the company admin first
    registry: RegistryPlan
    billing: BillingPlan
    clubhouse: bool = False  # 阳光花园's clubhouse with three months of bookings (backend/demo/club.py)
    shop_orders: int = 40  # three months of its shop (backend/demo/shop_orders.py)

    def person(self, role: str) -> DemoLogin | None:
        return next((p for p in self.people if p.role == role), None)

    def email(self, role: str) -> str | None:
        person = self.person(role)
        return person.email if person else None


SHIFAN = DemoCompany(
    slug="demo",
    name="示范物业",
    people=(
        DemoLogin(Role.COMPANY_ADMIN, "张主任", "admin@demo.test", "13800000001"),
        DemoLogin(Role.FINANCE, "李会计", "finance@demo.test", "13800000002"),
        DemoLogin(Role.CUSTOMER_SERVICE, "王客服", "service@demo.test", "13800000003"),
        DemoLogin(Role.ENGINEER, "赵师傅", "engineer@demo.test", "13800000004"),
        DemoLogin(Role.SECURITY, "孙保安", "security@demo.test", "13800000005"),
        DemoLogin(Role.RESIDENT, "陈业主", "resident@demo.test", "13800000006"),
    ),
    registry=SHIFAN_REGISTRY,
    billing=SHIFAN_BILLING,
    clubhouse=True,
    shop_orders=320,
)
LVCHENG = DemoCompany(
    slug="lvcheng",
    name="绿城物业",
    people=(
        DemoLogin(Role.COMPANY_ADMIN, "周经理", "admin@lvcheng.test", "13800000101"),
        DemoLogin(Role.FINANCE, "吴出纳", "finance@lvcheng.test", "13800000102"),
        DemoLogin(Role.CUSTOMER_SERVICE, "郑客服", "service@lvcheng.test", "13800000103"),
        DemoLogin(Role.RESIDENT, "冯业主", "resident@lvcheng.test", "13800000106"),
    ),
    registry=RegistryPlan(
        office="桂花园管理处",
        phone="0571-86660000",
        address="杭州市拱墅区莫干山路 200 号",
        estates=(EstatePlan("桂花园", 4, 18, 4, "96.00", parking=24),),
        residents=230,
        home=("桂花园", "2栋", "801"),
        seed=2233,
    ),
    billing=LVCHENG_BILLING,
)
COMPANIES = (SHIFAN, LVCHENG)

# The names the benchmarks and older callers use: 示范物业's.
DEMO_SLUG = SHIFAN.slug
DEMO_PEOPLE = list(SHIFAN.people)


def company_seed(company: DemoCompany, *, billing: bool = True, progress: Progress | None = None) -> Tenant:
    """One demo company: onboarded with its logins, its registry and (unless billing=False) its billing."""
    progress = progress or Progress()
    with progress.stage(f"{company.name} company and logins") as stage:
        admin = company.people[0]
        tenant = Tenant.objects.filter(slug=company.slug).first()
        if tenant is None:
            tenant = company_onboard(
                company_name=company.name,
                subdomain=company.slug,
                admin_name=admin.name,
                admin_email=admin.email,
                admin_phone=admin.phone,
                admin_password=DEMO_PASSWORD,
            ).tenant
        with transaction.atomic():
            for person in company.people[1:]:
                user = User.objects.filter(email=person.email).first()
                if user is None:
                    user = User.objects.create_user(
                        email=person.email, password=DEMO_PASSWORD, name=person.name, phone=person.phone
                    )
                Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"roles": [person.role]})
        stage.count(len(company.people), "login")
    resident = company.email(Role.RESIDENT) or ""
    with schema_context(tenant.schema_name):
        with progress.stage(f"{company.name} registry") as stage:
            demo_registry_seed(resident_email=resident, plan=company.registry, stage=stage)
        if billing:
            demo_billing_seed(
                plan=company.billing,
                resident_email=resident,
                finance_email=company.email(Role.FINANCE),
                service_email=company.email(Role.CUSTOMER_SERVICE),
                progress=progress,
                label=company.name,
            )
        if billing and company.clubhouse:
            with progress.stage(f"{company.name} clubhouse") as stage:
                demo_club_seed(
                    security_email=company.email(Role.SECURITY),
                    service_email=company.email(Role.CUSTOMER_SERVICE),
                    stage=stage,
                )
        if billing and company.email(Role.ENGINEER):  # a year of repairs needs an engineer to do them
            with progress.stage(f"{company.name} repairs") as stage:
                demo_desk_seed(
                    service_email=company.email(Role.CUSTOMER_SERVICE),
                    engineer_email=company.email(Role.ENGINEER),
                    resident_email=resident,
                    stage=stage,
                )
        if billing:
            with progress.stage(f"{company.name} gate: parcels and visitors") as stage:
                demo_gate_seed(
                    staff_email=company.email(Role.SECURITY) or company.email(Role.CUSTOMER_SERVICE),
                    resident_email=resident,
                    stage=stage,
                )
        with progress.stage(f"{company.name} statistics") as stage:
            # Statistics for what was just loaded in bulk: with autovacuum off (as on the test machines) or
            # before it gets round to it, the planner would take every table for empty and pick nested loops
            # (a resident's homes page: 3 ms instead of 0.5).
            stage.note(schema_analyze(tenant.schema_name))
    return tenant


def demo_seed(*, billing: bool = True, progress: Progress | None = None) -> Tenant:
    """Every demo company (see the module docstring). Returns 示范物业, the one the benchmarks use."""
    progress = progress or Progress()
    tenants = [company_seed(company, billing=billing, progress=progress) for company in COMPANIES]
    marketplace_seed(progress=progress)
    return tenants[0]


def marketplace_seed(*, progress: Progress | None = None) -> None:
    """The demo merchants and their standing with the demo companies (backend/demo/marketplace.py), and each
    company's last three months of shop orders, reviews and statements (backend/demo/shop_orders.py)."""
    progress = progress or Progress()
    with progress.stage("marketplace merchants") as stage:
        demo_marketplace_seed(password=DEMO_PASSWORD, stage=stage)
    for company in COMPANIES:
        tenant = Tenant.objects.filter(slug=company.slug).first()
        if tenant is None:
            continue
        with progress.stage(f"{company.name} shop orders") as stage, tenant_context(tenant):
            demo_shop_orders_seed(orders=company.shop_orders, stage=stage)
    with progress.stage("marketplace search index") as stage:
        built = search_rebuild()
        stage.count(built.indexed, "listing indexed", "listings indexed")


def demo_summary() -> str:
    lines = [f"Platform site:  {platform_url()}"]
    for company in COMPANIES:
        lines.append(f"{company.name}:  {company_url(company_domain(company.slug), '/')}")
        lines += [f"  {p.role:<17} {p.name}  {p.email}  /  {p.phone}" for p in company.people]
    lines += [
        f"Merchant portal: {platform_url('/merchant/')}  (e.g. fruit@shop.test, moving@shop.test)",
        f"API docs:       {company_url(company_domain(SHIFAN.slug), '/api/docs/')}",
        f"Password for every demo login: {DEMO_PASSWORD}",
    ]
    return "\n".join(lines)
