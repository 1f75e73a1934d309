from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from .models import AuditEntry


def audit_entry_list(
    *,
    user_id: int | None = None,
    action: str = "",
    object_type: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, filtered. Dates are whole days in the active (company) time zone."""
    qs = AuditEntry.objects.all()
    if user_id:
        qs = qs.filter(user_id=user_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(user_name__icontains=q))
    return qs


def audit_action_choices() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()[:200])
