"""/ws/merchant/ on the platform domain: a merchant user's live notices.

MerchantWebsocketMiddleware signs the socket in from the platform's session (the public schema's; a company's
session key means nothing here, sessions live per schema) and finds the user's active place at an open
merchant. MerchantNoticeConsumer joins that merchant's group (marketplace.notices.merchant_group, named under
"public", which no company schema can be named) and relays what notify_merchant pushes; on
{"type": "resume", "last_id": N} it sends the notices the socket missed since N, from the feed."""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.utils.crypto import constant_time_compare
from django_tenants.utils import schema_context

from backend.observability import metrics
from tenants.host_cache import hostname_normalise
from tenants.hosts import tenant_for_hostname
from tenants.models import PUBLIC_SCHEMA, Tenant

from .models import MerchantMember, MerchantNotice
from .notices import merchant_group, notice_message
from .selectors_merchant import merchant_member_active

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_HERE = 4404
RESUME_MAX = 100


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _session_key(scope: dict[str, Any]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(_header(scope, b"cookie"))
    except Exception:  # noqa: BLE001 - a malformed cookie header means no session, not a crash
        return None
    morsel = jar.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None else None


def platform_member(host: str, session_key: str | None) -> tuple[bool, MerchantMember | None]:
    """(whether the host is the platform's, the session's merchant member there or None)."""
    tenant = tenant_for_hostname(hostname_normalise(host))
    if tenant is None or tenant.status != Tenant.Status.PLATFORM:
        return False, None
    if not session_key:
        return True, None
    with schema_context(PUBLIC_SCHEMA):
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        try:
            user_id, backend_path = session[SESSION_KEY], session[BACKEND_SESSION_KEY]
        except KeyError:
            return True, None
        if backend_path not in settings.AUTHENTICATION_BACKENDS:
            return True, None
        user = load_backend(backend_path).get_user(user_id)
        if user is None:
            return True, None
        session_hash = session.get(HASH_SESSION_KEY)
        if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
            return True, None
        return True, merchant_member_active(user=user)


class MerchantWebsocketMiddleware:
    """Sets scope['merchant_member'] (None when signed out or no merchant's); refuses other hosts (4404)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        here, member = await database_sync_to_async(platform_member)(_header(scope, b"host"), _session_key(scope))
        if not here:
            await send({"type": "websocket.close", "code": CLOSE_NOT_HERE})
            return None
        return await self.inner(dict(scope, merchant_member=member), receive, send)


def _notices_after(merchant_id: int, last_id: int) -> list[dict[str, Any]]:
    with schema_context(PUBLIC_SCHEMA):
        rows = MerchantNotice.objects.filter(merchant_id=merchant_id, pk__gt=last_id).order_by("id")[:RESUME_MAX]
        return [notice_message(n) for n in rows]


def _unread(merchant_id: int) -> int:
    with schema_context(PUBLIC_SCHEMA):
        return MerchantNotice.objects.filter(merchant_id=merchant_id, read_at__isnull=True).count()


class MerchantNoticeConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        member = self.scope.get("merchant_member")
        if member is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.merchant_id = member.merchant_id
        self.group = merchant_group(member.merchant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.counted = True
        metrics.websockets.labels("merchant").inc()
        unread = await database_sync_to_async(_unread)(self.merchant_id)
        await self.send_json({"type": "hello", "merchant": self.merchant_id, "unread": unread})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            metrics.websockets.labels("merchant").dec()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif content.get("type") == "resume":
            try:
                last_id = int(content.get("last_id") or 0)
            except (TypeError, ValueError):
                last_id = 0
            for message in await database_sync_to_async(_notices_after)(self.merchant_id, last_id):
                await self.send_json(message)

    async def push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])
