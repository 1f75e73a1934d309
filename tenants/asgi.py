"""Websocket side of tenancy. The middleware resolves the company from the Host header and signs the
socket in from that company's session; `in_tenant` runs any database work of a consumer inside the
company's schema. Channels runs all database work on one shared thread, so the schema is set on every
call, never assumed from an earlier one."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django_tenants.utils import tenant_context

from backend.accounts.services import membership_get_active

from .host_cache import hostname_normalise
from .hosts import tenant_for_hostname
from .models import Tenant

T = TypeVar("T")


async def in_tenant(tenant: Tenant, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    def call() -> T:
        with tenant_context(tenant):
            return fn(*args, **kwargs)

    return await database_sync_to_async(call)()


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(_header(scope, b"cookie"))
    except Exception:  # noqa: BLE001 - a malformed cookie header means no session, not a crash
        return {}
    return {k: m.value for k, m in jar.items()}


def tenant_for_host(host: str) -> Tenant | None:
    tenant = tenant_for_hostname(hostname_normalise(host))
    if tenant is None or not tenant.is_company or tenant.is_suspended:
        return None
    return tenant


def session_identity(tenant: Tenant, session_key: str | None) -> tuple[Any, Any]:
    """(user, membership) for this company's session cookie, else (AnonymousUser, None). Same checks as
    django.contrib.auth.get_user, including the password-change session hash."""
    if not session_key:
        return AnonymousUser(), None
    with tenant_context(tenant):
        engine = import_module(settings.SESSION_ENGINE)
        session = engine.SessionStore(session_key)
        try:
            user_id = session[SESSION_KEY]
            backend_path = session[BACKEND_SESSION_KEY]
        except KeyError:
            return AnonymousUser(), None
        if backend_path not in settings.AUTHENTICATION_BACKENDS:
            return AnonymousUser(), None
        user = load_backend(backend_path).get_user(user_id)
        if user is None:
            return AnonymousUser(), None
        session_hash = session.get(HASH_SESSION_KEY)
        if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
            return AnonymousUser(), None
        membership = membership_get_active(user=user, tenant=tenant)
        if membership is None:
            return AnonymousUser(), None
        return user, membership


class TenantWebsocketMiddleware:
    """Sets scope['tenant'], scope['user'] and scope['membership']; refuses unknown or suspended companies."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        tenant = await database_sync_to_async(tenant_for_host)(_header(scope, b"host"))
        if tenant is None:
            # Deny the handshake: no company here (or it is suspended).
            await send({"type": "websocket.close", "code": 4404})
            return None
        session_key = _cookies(scope).get(settings.SESSION_COOKIE_NAME)
        user, membership = await database_sync_to_async(session_identity)(tenant, session_key)
        scope = dict(scope, tenant=tenant, user=user, membership=membership)
        return await self.inner(scope, receive, send)
