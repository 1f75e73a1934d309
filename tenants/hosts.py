"""Host → company, cached. Every HTTP request and every websocket handshake asks which company a host
name belongs to; answering from the shared cache (Redis) instead of a domain ⋈ tenant query is a quarter of
what a small API request cost. The cache holds each tenant's field values (never a pickled model, which
would break across deploys) under a versioned key, and a host that names no company is remembered briefly
too, so a flood of unknown hosts does not reach the database.

Invalidation is explicit: Tenant.save()/delete() and Domain.save()/delete() call `hosts_forget()`, at once
and again after the transaction commits (a reader in another transaction may have cached the old row in
between). Code that changes tenants or domains with queryset.update() must call it too."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import remove_www

if TYPE_CHECKING:
    from .models import Tenant

log = logging.getLogger(__name__)
KEY = "tenant-host:v1:{}"
# A known host stays cached until a change forgets it; an unknown one is re-checked after this long (a
# company signing up creates its domain, which forgets the host anyway).
FOUND_TTL = 60 * 60
MISSING_TTL = 30
_MISSING = "-"


def hostname_normalise(host: str) -> str:
    """'Demo.Localhost:8000' → 'demo.localhost' (port, case and a leading www. dropped)."""
    return remove_www(host.split(":")[0].lower())


def _values(tenant: Tenant) -> dict[str, Any]:
    return {f.attname: getattr(tenant, f.attname) for f in tenant._meta.concrete_fields}


def _rebuild(values: dict[str, Any]) -> Tenant:
    from .models import Tenant

    tenant = Tenant(**values)
    tenant._state.adding = False
    tenant._state.db = "default"
    return tenant


def tenant_for_hostname(hostname: str) -> Tenant | None:
    """The tenant (company, platform, template or spare: callers decide what to serve) whose domain is
    `hostname` (already normalised), or None."""
    from .models import Domain

    key = KEY.format(hostname)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - Redis down: answer from the database, slower but right
        cached = None
    if cached == _MISSING:
        return None
    if isinstance(cached, dict):
        try:
            return _rebuild(cached)
        except TypeError:  # a field was added or removed since it was cached
            pass
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    value: Any = _values(domain.tenant) if domain is not None else _MISSING
    try:
        cache.set(key, value, FOUND_TTL if domain is not None else MISSING_TTL)
    except Exception:  # noqa: BLE001 - see above
        log.warning("host cache unavailable; %s answered from the database", hostname, exc_info=True)
    return domain.tenant if domain is not None else None


def hosts_forget(hostnames: Iterable[str]) -> None:
    """Drop these hosts from the cache now and once more after the surrounding transaction commits."""
    keys = [KEY.format(hostname_normalise(h)) for h in hostnames if h]
    if not keys:
        return

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - the write itself must not fail; entries expire on their own
            log.error("could not forget hosts %s in the host cache", keys, exc_info=True)

    forget()
    transaction.on_commit(forget)


def tenant_hosts_forget(tenant_id: int | None) -> None:
    """Forget every host of one tenant (after its status, name or settings changed)."""
    from .models import Domain

    if tenant_id is None:
        return
    hosts_forget(Domain.objects.filter(tenant_id=tenant_id).values_list("domain", flat=True))
