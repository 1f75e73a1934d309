"""A company leaves: suspended at once, deleted for good after a grace period, leaving nothing behind.

    company_delete_schedule(tenant, reason, days)   suspended now (its people see why), delete_after = now + days
    company_delete_cancel(tenant)                   within the grace period: active again, nothing lost
    companies_delete_due()                          beat, daily (public schema): deletes every company past its date
    company_purge(tenant)                           the deletion itself

What the purge removes: the company's schema (every table of it), its rows in the public schema (found generically:
every platform model with a foreign key to the company, which cascade with it, and the Stripe webhook events
stored for its schema), its files (MEDIA_ROOT/<schema>), its sessions and host entries in Redis, and the accounts
of people who belonged to no other company and are no merchant's users (their personal data has no other use
here). Merchants' listings are re-indexed so no search document still names the company. Take an archive first
(backend/operations/archive.py) if the company may want its data back."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from backend.errors import ApplicationError
from tenants.models import Tenant

log = logging.getLogger(__name__)


@dataclass
class Purged:
    schema: str
    users_deleted: int
    files_deleted: int
    webhook_events: int


def grace_days() -> int:
    return int(getattr(settings, "COMPANY_DELETE_GRACE_DAYS", 30))


def company_delete_schedule(*, tenant: Tenant, reason: str, days: int | None = None) -> Tenant:
    """Suspend the company now and set its deletion for `days` (COMPANY_DELETE_GRACE_DAYS) from now."""
    from backend.audit.services import audit_record

    if not tenant.is_company:
        raise ApplicationError(_("Only a company can be deleted."))
    if not (reason or "").strip():
        raise ApplicationError.for_fields({"reason": [_("Give the reason; the company will see it.")]})
    days = grace_days() if days is None else days
    if days < 0:
        raise ApplicationError.for_fields({"days": [_("The grace period cannot be negative.")]})
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        locked.delete_after = timezone.now() + dt.timedelta(days=days)
        locked.status = Tenant.Status.SUSPENDED
        locked.suspended_reason = (
            _("%(reason)s — this company's data will be deleted on %(date)s.")
            % {"reason": reason.strip(), "date": f"{timezone.localtime(locked.delete_after):%Y-%m-%d}"}
        )[:300]
        locked.save(update_fields=["delete_after", "status", "suspended_reason"])
        with schema_context(locked.schema_name):
            audit_record(
                action="company.delete_scheduled",
                target=locked,
                changes={"delete_after": locked.delete_after.isoformat(), "reason": reason.strip()},
            )
    return locked


def company_delete_cancel(*, tenant: Tenant) -> Tenant:
    from backend.audit.services import audit_record

    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.delete_after is None:
            raise ApplicationError(_("This company is not scheduled for deletion."))
        locked.delete_after = None
        locked.status = Tenant.Status.ACTIVE
        locked.suspended_reason = ""
        locked.save(update_fields=["delete_after", "status", "suspended_reason"])
        with schema_context(locked.schema_name):
            audit_record(action="company.delete_cancelled", target=locked, changes={})
    return locked


def companies_delete_due(now: dt.datetime | None = None) -> list[Purged]:
    now = now or timezone.now()
    done = []
    for tenant in Tenant.objects.filter(
        status=Tenant.Status.SUSPENDED, delete_after__isnull=False, delete_after__lte=now
    ).order_by("delete_after"):
        try:
            done.append(company_purge(tenant=tenant, now=now))
        except Exception:
            log.exception("deleting company %s failed; it is tried again tomorrow", tenant.schema_name)
    return done


def _only_here_users(tenant: Tenant) -> list[int]:
    """People whose one tie to the platform is this company: no other membership, no merchant, not staff."""
    from backend.accounts.models import Membership, User
    from marketplace.models import MerchantMember

    mine = set(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
    elsewhere = set(
        Membership.objects.filter(user_id__in=mine).exclude(tenant=tenant).values_list("user_id", flat=True)
    )
    merchants = set(MerchantMember.objects.filter(user_id__in=mine).values_list("user_id", flat=True))
    staff = set(
        User.objects.filter(pk__in=mine)
        .filter(models.Q(is_staff=True) | models.Q(is_superuser=True))
        .values_list("pk", flat=True)
    )
    return sorted(mine - elsewhere - merchants - staff)


def company_purge(*, tenant: Tenant, now: dt.datetime | None = None) -> Purged:
    """Delete the company now (the grace period is the caller's check: companies_delete_due)."""
    from backend.accounts.deletion import users_delete
    from backend.gateway.models import WebhookEvent
    from marketplace.models import MerchantApplication
    from marketplace.search import hooks as search_hooks

    if tenant.status not in (Tenant.Status.SUSPENDED,) or tenant.delete_after is None:
        raise ApplicationError(_("Schedule the deletion first; a company is deleted only after its grace period."))
    schema = tenant.schema_name
    users = _only_here_users(tenant)
    merchants = list(MerchantApplication.objects.filter(tenant=tenant).values_list("merchant_id", flat=True).distinct())
    with transaction.atomic():
        events = WebhookEvent.objects.filter(tenant_schema=schema).delete()[0]
        # The schema first (DROP SCHEMA … CASCADE), then the company's public rows (Django cascades them).
        tenant.delete(force_drop=True)
        # Then the people: their rows in other companies (if they once belonged to one) and in public (sign-in
        # tickets, tokens, …), one schema at a time; a person a protected row elsewhere still names is kept.
        people = users_delete(user_ids=users, skip_referenced=True)
        deleted_users = len(people.deleted)
        if people.kept:
            log.warning("company %s: %d people kept, still named elsewhere", schema, len(people.kept))
        for merchant_id in merchants:
            search_hooks.merchant_changed(merchant_id)
    files = Path(settings.MEDIA_ROOT) / schema
    file_count = sum(1 for p in files.rglob("*") if p.is_file()) if files.is_dir() else 0
    shutil.rmtree(files, ignore_errors=True)
    _forget_sessions(schema)
    log.warning("company %s deleted: %d people, %d files, %d webhook events", schema, deleted_users, file_count, events)
    return Purged(schema=schema, users_deleted=int(deleted_users), files_deleted=file_count, webhook_events=events)


def _forget_sessions(schema: str) -> None:
    """The company's sessions in Redis (backend/accounts/sessions.py keys them by schema)."""
    try:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    except AttributeError:
        return
    pattern = f"*wuye.session.{schema}:*"
    for key in client.scan_iter(match=pattern, count=500):
        client.delete(key)
