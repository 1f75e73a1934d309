"""The host → company cache's keys and their invalidation. Below the models on purpose: Tenant and Domain
forget their hosts on save()/delete() (tenants/models.py), and the lookup that fills the cache
(tenants/hosts.py) reads those models, so the part both need lives here and imports neither."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import remove_www

log = logging.getLogger(__name__)
KEY = "tenant-host:v1:{}"


def hostname_normalise(host: str) -> str:
    """'Demo.Localhost:8000' → 'demo.localhost' (port, case and a leading www. dropped)."""
    return remove_www(host.split(":")[0].lower())


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
