"""Telling a merchant something, live: a MerchantNotice row (the portal's feed) and, once the transaction
commits, a push to every socket of that merchant's users.

The merchant's channel group is named under "public" (the platform's schema), which no company schema can be
named, so a merchant push can never reach a company's socket nor the other way round."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from backend.notifications.realtime import push_to_group

from .models import MerchantNotice


def merchant_group(merchant_id: int) -> str:
    return f"public.merchant.{merchant_id}"


def notice_message(notice: MerchantNotice) -> dict[str, Any]:
    return {
        "type": "merchant.notice",
        "id": notice.pk,
        "kind": notice.kind,
        "title": notice.title,
        "body": notice.body,
        "data": notice.data,
        "tenant": notice.tenant_id,
        "created_at": notice.created_at.isoformat(),
    }


def notify_merchant(
    *,
    merchant_id: int,
    kind: str,
    title: str,
    body: str = "",
    tenant_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> MerchantNotice:
    """Record a notice for the merchant and push it to its users' sockets after commit (inside an atomic
    block, a rolled-back decision tells nobody)."""
    notice = MerchantNotice.objects.create(
        merchant_id=merchant_id, tenant_id=tenant_id, kind=kind, title=title, body=body, data=data or {}
    )
    message = notice_message(notice)
    transaction.on_commit(lambda: push_to_group(group=merchant_group(merchant_id), message=message))
    return notice
