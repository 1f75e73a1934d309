"""Host → company, cached. Every HTTP request and every websocket handshake asks which company a host
name belongs to; answering from the shared cache (Redis) instead of a domain ⋈ tenant query is a quarter of
what a small API request cost. The cache holds each tenant's field values (never a pickled model, which
would break across deploys) under a versioned key, and a host that names no company is remembered briefly
too, so a flood of unknown hosts does not reach the database. Each process keeps what it read for a
moment in front of Redis (host_cache.local_get: 1 s by default).

Invalidation is explicit: Tenant.save()/delete() and Domain.save()/delete() call `hosts_forget()`
(tenants/host_cache.py), at once and again after the transaction commits (a reader in another transaction
may have cached the old row in between). Code that changes tenants or domains with queryset.update() must
call it too."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

from .host_cache import KEY, local_get, local_put
from .models import Domain, Tenant

log = logging.getLogger(__name__)
# A known host stays cached until a change forgets it; an unknown one is re-checked after this long (a
# company signing up creates its domain, which forgets the host anyway).
FOUND_TTL = 60 * 60
MISSING_TTL = 30
_MISSING = "-"


def _values(tenant: Tenant) -> dict[str, Any]:
    return {f.attname: getattr(tenant, f.attname) for f in tenant._meta.concrete_fields}


def _rebuild(values: dict[str, Any]) -> Tenant:
    tenant = Tenant(**values)
    tenant._state.adding = False
    tenant._state.db = "default"
    return tenant


def tenant_for_hostname(hostname: str) -> Tenant | None:
    """The tenant (company, platform, template or spare: callers decide what to serve) whose domain is
    `hostname` (already normalised), or None."""
    cached = local_get(hostname)
    if cached is not None:
        return None if cached == _MISSING else _rebuild(cached)  # a fresh instance per request
    key = KEY.format(hostname)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - Redis down: answer from the database, slower but right
        cached = None
    if cached == _MISSING:
        local_put(hostname, _MISSING)
        return None
    if isinstance(cached, dict):
        try:
            tenant = _rebuild(cached)
        except TypeError:  # a field was added or removed since it was cached
            pass
        else:
            local_put(hostname, cached)
            return tenant
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    value: Any = _values(domain.tenant) if domain is not None else _MISSING
    try:
        cache.set(key, value, FOUND_TTL if domain is not None else MISSING_TTL)
    except Exception:  # noqa: BLE001 - see above
        log.warning("host cache unavailable; %s answered from the database", hostname, exc_info=True)
    local_put(hostname, value)
    return domain.tenant if domain is not None else None
