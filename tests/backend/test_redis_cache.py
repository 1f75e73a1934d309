"""The Redis cache shares one connection pool per process (backend/redis_cache.py): Django keeps a cache
object per thread, and every ASGI request has a thread of its own."""

from __future__ import annotations

import threading

from django.core.cache import caches


def _client_in_new_thread() -> object:
    seen: list[object] = []

    def work() -> None:
        cache = caches["default"]
        cache.set("shared-pool-probe", 1, 5)  # a real round trip through this thread's cache object
        seen.append(cache._cache.get_client(write=True))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return seen[0]


def test_every_thread_uses_the_same_redis_client_and_pool():
    first, second = _client_in_new_thread(), _client_in_new_thread()
    assert first is second
    assert first is caches["default"]._cache.get_client(write=True)


def test_many_short_lived_threads_open_no_new_redis_connections():
    pool = caches["default"]._cache.get_client(write=True).connection_pool
    for _ in range(5):
        _client_in_new_thread()
    before = pool._created_connections
    for _ in range(30):
        _client_in_new_thread()
    assert pool._created_connections == before
