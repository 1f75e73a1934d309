from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def notification_list(
    *, user_id: int, unread_only: bool = False, after_id: int = 0, kind: str = ""
) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=user_id)
    if kind:
        qs = qs.filter(kind=kind)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if after_id:
        qs = qs.filter(pk__gt=after_id)
    return qs


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
