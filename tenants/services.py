"""Company (tenant) lifecycle: onboarding by cloning the template schema, suspension, platform set-up."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError, ProgrammingError, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from backend.accounts.models import Membership, PrivacyConsent, User
from backend.accounts.roles import Role
from backend.accounts.services import privacy_accepted_errors, privacy_consent_record, user_fields_validate
from backend.audit.context import Actor, acting_as
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from tenants.company.models import CompanySettings
from tenants.db import connection

from .migrate import companies_migrate
from .models import PUBLIC_SCHEMA, Domain, Tenant
from .schema_clone import schema_clone
from .spares import schema_rename, spare_claim, spare_schemas_fill
from .tasks import spare_schemas_refill

logger = logging.getLogger(__name__)

SUBDOMAIN_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


def company_domain(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def company_url(slug_or_domain: str, path: str = "/") -> str:
    domain = slug_or_domain if "." in slug_or_domain else company_domain(slug_or_domain)
    return f"{settings.PLATFORM_URL_SCHEME}://{domain}{settings.PLATFORM_URL_PORT}{path}"


def company_origins() -> str:
    """Every company's subdomain as one CSP source, e.g. https://*.example.com."""
    return f"{settings.PLATFORM_URL_SCHEME}://*.{settings.PLATFORM_DOMAIN}{settings.PLATFORM_URL_PORT}"


def platform_url(path: str = "/") -> str:
    return f"{settings.PLATFORM_URL_SCHEME}://{settings.PLATFORM_DOMAIN}{settings.PLATFORM_URL_PORT}{path}"


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def subdomain_errors(raw: str) -> tuple[str, list[str]]:
    slug = (raw or "").strip().lower()
    if not slug:
        return slug, [_("Choose a subdomain.")]
    if not SUBDOMAIN_RE.match(slug) or "--" in slug:
        return slug, [
            _(
                "Use 3–40 lowercase letters, digits and single hyphens, starting with a letter "
                "and not ending with a hyphen."
            )
        ]
    if (
        slug in settings.RESERVED_SUBDOMAINS
        or slug.startswith("pg-")
        or schema_name_for(slug) == settings.TENANT_BASE_SCHEMA
    ):
        return slug, [_("This subdomain is reserved. Choose another.")]
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=company_domain(slug)).exists()
        or schema_exists(schema_name_for(slug))
    ):
        return slug, [_("This subdomain is taken. Choose another.")]
    return slug, []


@dataclass(frozen=True)
class Onboarded:
    tenant: Tenant
    domain: Domain
    admin: User
    seconds: float

    @property
    def portal_url(self) -> str:
        return company_url(self.domain.domain, "/staff/")


def company_onboard(
    *,
    company_name: str,
    subdomain: str,
    admin_name: str,
    admin_email: str,
    admin_phone: str,
    admin_password: str,
    privacy_accepted: bool | None = None,
    ip: str | None = None,
) -> Onboarded:
    """Sign up a property company: tenant, cloned schema, domain, admin account and membership, all in one
    transaction. Bad input raises ApplicationError with field errors and creates nothing; any failure
    later rolls back everything, the schema included. The sign-up page and API pass `privacy_accepted`
    (False: a field error; True: the admin's consent is recorded in the same transaction); None is a
    service-level caller (the demo, the benchmarks) that asked nobody."""
    started = time.perf_counter()
    errors: dict[str, list[str]] = {}
    company_name = (company_name or "").strip()
    if not company_name:
        errors["company_name"] = [_("Enter the company name.")]
    elif len(company_name) > 100:
        errors["company_name"] = [_("At most 100 characters.")]
    slug, slug_errors = subdomain_errors(subdomain)
    if slug_errors:
        errors["subdomain"] = slug_errors
    user_errors, email, phone = user_fields_validate(
        name=admin_name, email=admin_email, phone=admin_phone, password=admin_password, prefix="admin_"
    )
    errors.update(user_errors)
    errors.update(privacy_accepted_errors(privacy_accepted))
    if not admin_phone.strip() and "admin_phone" not in errors:
        errors["admin_phone"] = [_("Enter a mobile number.")]
    if errors:
        raise ApplicationError.for_fields(errors)

    try:
        with transaction.atomic():
            # Two sign-ups for one subdomain queue here; the second then finds it taken (a clean field
            # error) instead of racing the first through clone_schema().
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"onboard:{slug}"])
            _slug, taken = subdomain_errors(slug)
            if taken:
                raise ApplicationError.for_fields({"subdomain": taken})
            tenant = _company_schema_provide(name=company_name, slug=slug)
            domain = Domain.objects.create(domain=company_domain(slug), tenant=tenant, is_primary=True)
            admin = User.objects.create_user(email=email, password=admin_password, name=admin_name.strip(), phone=phone)
            Membership.objects.create(user=admin, tenant=tenant, roles=[Role.COMPANY_ADMIN])
            if privacy_accepted:
                privacy_consent_record(user=admin, channel=PrivacyConsent.Channel.COMPANY_SIGNUP, ip=ip, tenant=tenant)
            with schema_context(tenant.schema_name):
                CompanySettings.objects.update_or_create(singleton=True, defaults={"display_name": company_name})
                with acting_as(Actor(user_id=admin.pk, user_name=admin.name, ip=None)):
                    audit_record(
                        action="company.onboard",
                        target=tenant,
                        changes={"admin": admin.email, "domain": domain.domain},
                    )
    except (IntegrityError, ProgrammingError, DjangoValidationError) as exc:
        # A concurrent sign-up took the same subdomain, schema or address between our checks and our
        # writes (PostgreSQL reports a schema name taken meanwhile as 42P06 duplicate_schema; django-tenants'
        # own uniqueness check and clone_schema() raise ValidationError).
        if isinstance(exc, ProgrammingError) and getattr(exc.__cause__, "sqlstate", None) != "42P06":
            raise
        logger.info("onboarding lost a race: %s", exc)
        raise ApplicationError.for_fields(
            {"subdomain": [_("This subdomain or account was just taken. Try again.")]}
        ) from exc
    finally:
        connection.set_schema_to_public()
    elapsed = time.perf_counter() - started
    logger.info("onboarded %s in %.3fs", tenant.schema_name, elapsed)
    _spare_refill_later()
    return Onboarded(tenant=tenant, domain=domain, admin=admin, seconds=elapsed)


def _company_schema_provide(*, name: str, slug: str) -> Tenant:
    """The new company's Tenant row and schema: a spare renamed (fast path) or a fresh clone."""
    schema_name = schema_name_for(slug)
    spare = spare_claim()
    if spare is not None:
        schema_rename(old=spare.schema_name, new=schema_name)
        spare.schema_name, spare.slug, spare.name = schema_name, slug, name
        spare.status = Tenant.Status.ACTIVE
        spare.save(update_fields=["schema_name", "slug", "name", "status"])
        return spare
    tenant = Tenant.objects.create(name=name, slug=slug, schema_name=schema_name)
    schema_clone(source=settings.TENANT_BASE_SCHEMA, target=tenant.schema_name)
    return tenant


def _spare_refill_later() -> None:
    if not settings.TENANT_SPARE_SCHEMAS:
        return

    def enqueue() -> None:
        try:
            spare_schemas_refill.delay()
        except Exception:  # noqa: BLE001 - no broker: the next platform_setup or onboarding refills
            logger.warning("could not enqueue the spare schema refill", exc_info=True)

    transaction.on_commit(enqueue)


def company_suspend(*, tenant: Tenant, reason: str) -> Tenant:
    if not tenant.is_company:
        raise ApplicationError(_("Only a company can be suspended."))
    if not reason.strip():
        raise ApplicationError.for_fields({"reason": [_("Give the reason; the company will see it.")]})
    with transaction.atomic():
        before = tenant.status
        tenant.status = Tenant.Status.SUSPENDED
        tenant.suspended_reason = reason.strip()[:300]
        tenant.save(update_fields=["status", "suspended_reason"])
        with schema_context(tenant.schema_name):
            audit_record(
                action="company.suspend",
                target=tenant,
                changes={"status": [before, tenant.status], "reason": tenant.suspended_reason},
            )
    return tenant


def company_resume(*, tenant: Tenant) -> Tenant:
    if not tenant.is_company:
        raise ApplicationError(_("Only a company can be resumed."))
    with transaction.atomic():
        before = tenant.status
        tenant.status = Tenant.Status.ACTIVE
        tenant.suspended_reason = ""
        tenant.save(update_fields=["status", "suspended_reason"])
        with schema_context(tenant.schema_name):
            audit_record(action="company.resume", target=tenant, changes={"status": [before, tenant.status]})
    return tenant


def platform_setup(*, verbosity: int = 1) -> None:
    """Idempotent: migrate the public schema, make sure the platform tenant and domain and the template
    schema exist, then migrate every tenant schema (the template included, so clones are current)."""
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
    public, _created = Tenant.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA,
        defaults={"name": settings.PLATFORM_NAME, "slug": "platform", "status": Tenant.Status.PLATFORM},
    )
    Domain.objects.get_or_create(domain=settings.PLATFORM_DOMAIN, defaults={"tenant": public, "is_primary": True})
    template, created = Tenant.objects.get_or_create(
        schema_name=settings.TENANT_BASE_SCHEMA,
        defaults={"name": "template", "slug": "tenant-template", "status": Tenant.Status.TEMPLATE},
    )
    if created or not schema_exists(template.schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template.schema_name}"')
    # Only the schemas that are behind (tenants/migrate.py); a failure names its schemas.
    result = companies_migrate(verbosity=verbosity, write=print)
    if result.failed:
        raise RuntimeError(f"migrations failed in schema(s): {', '.join(sorted(result.failed))}")
    spare_schemas_fill()
