"""Support access: a platform operator enters a company only with a reason, for a limited time, and the company's
own audit log says so (who, why, until when, and when it ended).

    support_access_grant(operator, tenant, reason, hours, role)  the grant, the operator's membership there
                                                                 and a one-time sign-in link to the company
    support_access_end(grant, by)                                ended early (by the operator or the company)
    support_access_expire()                                      every minute: ends what has run out
    support_grant_valid(user, tenant)                            the membership middleware's check for operators

An operator's membership in a company exists only while a grant does: the middleware refuses an operator whose
grant has ended even before the minute task has caught up."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from backend.accounts.models import Membership, Role, User
from backend.audit.context import Actor, acting_as
from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .models import SupportGrant, Tenant

MAX_HOURS = 8
SUPPORT_ROLES = (Role.CUSTOMER_SERVICE, Role.COMPANY_ADMIN)


def support_access_grant(
    *, operator: User, tenant: Tenant, reason: str, hours: int, role: str = Role.CUSTOMER_SERVICE, ip: str | None = None
) -> tuple[SupportGrant, str]:
    """The grant and a one-time sign-in ticket for the company's domain."""
    from backend.accounts.services import login_handoff_create

    errors: dict[str, list[str]] = {}
    if not (operator.is_active and operator.is_staff):
        raise ApplicationError(_("Only a platform operator can be given support access."), status=403)
    if not tenant.is_company:
        errors["tenant"] = [_("Only a company can be entered.")]
    if len((reason or "").strip()) < 10:
        errors["reason"] = [_("Say why (at least 10 characters); the company's audit log keeps it.")]
    if not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        errors["hours"] = [_("Between 1 and %(max)d hours.") % {"max": MAX_HOURS}]
    if role not in SUPPORT_ROLES:
        errors["role"] = [_("Choose customer service or company admin.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    now = timezone.now()
    with transaction.atomic():
        existing = Membership.objects.select_for_update().filter(user=operator, tenant=tenant).first()
        if existing is not None and not SupportGrant.objects.filter(operator=operator, tenant=tenant).exists():
            raise ApplicationError(_("This operator is already a member of the company."))
        SupportGrant.objects.filter(operator=operator, tenant=tenant, ended_at__isnull=True).update(ended_at=now)
        grant = SupportGrant.objects.create(
            operator=operator,
            tenant=tenant,
            reason=reason.strip()[:300],
            role=role,
            granted_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
        if existing is None:
            Membership.objects.create(user=operator, tenant=tenant, roles=[role], scope_all=True, is_active=True)
        else:
            existing.roles, existing.scope_all, existing.is_active = [role], True, True
            existing.save(update_fields=["roles", "scope_all", "is_active"])
        with schema_context(tenant.schema_name), acting_as(Actor(user_id=operator.pk, user_name=operator.name, ip=ip)):
            audit_record(
                action="support.access_granted",
                target=tenant,
                changes={
                    "operator": operator.email,
                    "reason": grant.reason,
                    "role": role,
                    "until": grant.expires_at.isoformat(),
                },
            )
        ticket = login_handoff_create(user=operator, tenant=tenant)
    return grant, ticket


def _end(grant: SupportGrant, *, why: str, by: User | None, now: dt.datetime) -> None:
    SupportGrant.objects.filter(pk=grant.pk, ended_at__isnull=True).update(ended_at=now)
    Membership.objects.filter(user_id=grant.operator_id, tenant_id=grant.tenant_id).update(is_active=False)
    tenant = Tenant.objects.get(pk=grant.tenant_id)
    if not tenant.is_company:
        return
    actor = Actor(user_id=by.pk, user_name=by.name, ip=None) if by else Actor(user_id=None, user_name="system", ip=None)
    with schema_context(tenant.schema_name), acting_as(actor):
        audit_record(
            action=f"support.access_{why}",
            target=tenant,
            changes={"operator_id": grant.operator_id, "granted_at": grant.granted_at.isoformat()},
        )


def support_access_end(*, grant: SupportGrant, by: User) -> None:
    with transaction.atomic():
        locked = SupportGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.ended_at is not None:
            return
        _end(locked, why="ended", by=by, now=timezone.now())


def support_access_expire(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    done = 0
    for grant in SupportGrant.objects.filter(ended_at__isnull=True, expires_at__lte=now):
        with transaction.atomic():
            locked = (
                SupportGrant.objects.select_for_update(skip_locked=True)
                .filter(pk=grant.pk, ended_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            _end(locked, why="expired", by=None, now=now)
            done += 1
    return done


def support_grant_valid(*, user_id: int, tenant_id: int) -> bool:
    return SupportGrant.objects.filter(
        operator_id=user_id, tenant_id=tenant_id, ended_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
