"""The merchant's own audit trail (public schema, beside the merchant): every write a merchant's user makes
through the services, with who, from which address (the request's, backend.audit.context), what and when."""

from __future__ import annotations

from typing import Any

from django.db import models

from backend.audit.context import actor_current

from .models import MerchantAuditEntry, MerchantMember


def merchant_audit_record(
    *,
    member: MerchantMember | None,
    merchant_id: int,
    action: str,
    target: models.Model | None = None,
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
) -> MerchantAuditEntry:
    """Call inside the service's transaction, so the entry exists exactly when the write does. The actor is
    the member's user (API tokens authenticate after the request's middleware ran, so the user is named here
    rather than read from the request's actor); the address is the request's."""
    actor = actor_current()
    user = member.user if member is not None else None
    return MerchantAuditEntry.objects.create(
        merchant_id=merchant_id,
        user_id=user.pk if user is not None else actor.user_id,
        user_name=(str(user) if user is not None else actor.user_name)[:100],
        ip=actor.ip,
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=(object_repr or (str(target) if target is not None else ""))[:200],
        changes=changes or {},
    )
