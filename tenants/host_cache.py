"""The host → company cache's keys and their invalidation. Below the models on purpose: Tenant and Domain
forget their hosts on save()/delete() (tenants/models.py), and the lookup that fills the cache
(tenants/hosts.py) reads those models, so the part both need lives here and imports neither."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import remove_www

log = logging.getLogger(__name__)
KEY = "tenant-host:v1:{}"

# In front of Redis, each process keeps what it read for a moment (settings.HOST_CACHE_LOCAL_SECONDS, 1 s by
# default; 0 turns it off): a busy worker then asks Redis about a host about once a second instead of on
# every request (a GET costs ~0.2 ms of CPU and a round trip). A change is seen at once by the process
# that made it (hosts_forget below drops its own copy too) and by every other process within that moment.
_local: dict[str, tuple[float, Any]] = {}


def local_get(hostname: str) -> Any:
    """What this process read for `hostname` less than HOST_CACHE_LOCAL_SECONDS ago, else None."""
    found = _local.get(hostname)
    if found is None:
        return None
    if time.monotonic() >= found[0]:
        _local.pop(hostname, None)
        return None
    return found[1]


def local_put(hostname: str, value: Any) -> None:
    from django.conf import settings

    seconds = float(getattr(settings, "HOST_CACHE_LOCAL_SECONDS", 1.0))
    if seconds > 0:
        _local[hostname] = (time.monotonic() + seconds, value)


def local_forget_all() -> None:
    _local.clear()


def hostname_normalise(host: str) -> str:
    """'Demo.Localhost:8000' → 'demo.localhost' (port, case and a leading www. dropped)."""
    return remove_www(host.split(":")[0].lower())


def hosts_forget(hostnames: Iterable[str]) -> None:
    """Drop these hosts from the cache now and once more after the surrounding transaction commits."""
    hosts = [hostname_normalise(h) for h in hostnames if h]
    keys = [KEY.format(h) for h in hosts]
    if not keys:
        return

    def forget() -> None:
        for host in hosts:
            _local.pop(host, None)
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - the write itself must not fail; entries expire on their own
            log.error("could not forget hosts %s in the host cache", keys, exc_info=True)

    forget()
    transaction.on_commit(forget)
