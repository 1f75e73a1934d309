from __future__ import annotations

from typing import Any

from django.db import models

from .context import actor_current
from .models import AuditEntry


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one write in the current company's audit log, as the current actor. Call it inside the
    service's transaction, so the entry exists exactly when the write does."""
    actor = actor_current()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)[:200]
    return AuditEntry.objects.create(
        user_id=actor.user_id,
        user_name=actor.user_name[:100],
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes=changes or {},
    )
