"""Which search backend this process uses: settings.SEARCH_BACKEND ("postgres", the default, or
"elasticsearch" at settings.ELASTICSEARCH_URL, its index named from settings.SEARCH_INDEX_PREFIX)."""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .documents import SearchBackend

BACKENDS = ("postgres", "elasticsearch")
_made: dict[tuple[str, str, str], SearchBackend] = {}
_lock = threading.Lock()


def get_backend() -> SearchBackend:
    """The configured backend, made once per process and configuration (one Elasticsearch client, whose
    connection pool is shared by the process's threads)."""
    name = settings.SEARCH_BACKEND
    key = (name, settings.ELASTICSEARCH_URL, settings.SEARCH_INDEX_PREFIX)
    backend = _made.get(key)
    if backend is not None:
        return backend
    with _lock:
        if key not in _made:
            _made[key] = _make(name)
        return _made[key]


def _make(name: str) -> SearchBackend:
    if name == "postgres":
        from .postgres import PostgresBackend

        return PostgresBackend()
    if name == "elasticsearch":
        from .elastic import ElasticsearchBackend

        return ElasticsearchBackend(
            url=settings.ELASTICSEARCH_URL,
            index_prefix=settings.SEARCH_INDEX_PREFIX,
            timeout=settings.ELASTICSEARCH_TIMEOUT,
        )
    raise ImproperlyConfigured(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}.")
