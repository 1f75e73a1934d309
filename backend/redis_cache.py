"""Django's Redis cache with one connection pool and one client per process.

Django keeps a cache object per thread (per asgiref context), and under ASGI every request runs in a thread
of its own: the stock backend built a new redis-py ConnectionPool, a new TCP connection (with redis-py's
CLIENT SETINFO handshake, which reads package metadata from disk) and a new client for every request, and
dropped them all when the request ended. The pool and the client are thread-safe, so one per process
(per server URL and options) serves every thread; redis-py resets a pool inherited across fork."""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

from backend.response_cache import tracking

_clients: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        me: Any = self  # the stubs do not declare the base class's private attributes
        server = me._servers[me._get_connection_pool_index(write)]
        shared = (server, repr(sorted(me._pool_options.items(), key=lambda kv: kv[0])))
        client = _clients.get(shared)
        if client is None:
            with _lock:
                client = _clients.get(shared)
                if client is None:
                    pool = me._pool_class.from_url(server, **me._pool_options)
                    client = _clients[shared] = me._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        me: Any = self
        return SharedRedisCacheClient(me._servers, **me._options)

    # The response cache (backend/response_cache/tracking.py) must know what a request read and wrote here.
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        tracking.cache_read(str(key))
        return super().get(key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        for key in keys:
            tracking.cache_read(str(key))
        return super().get_many(keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        tracking.cache_read(str(key))
        return bool(super().has_key(key, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        tracking.cache_write(str(key))
        super().set(key, value, timeout, version)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        tracking.cache_write(str(key))
        return bool(super().add(key, value, timeout, version))

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> Any:
        for key in data:
            tracking.cache_write(str(key))
        return super().set_many(data, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        tracking.cache_write(str(key))
        return bool(super().delete(key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        for key in keys:
            tracking.cache_write(str(key))
        super().delete_many(keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        tracking.cache_write(str(key))
        return int(super().incr(key, delta, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        tracking.cache_write(str(key))
        return bool(super().touch(key, timeout, version))

    def clear(self) -> None:
        tracking.cache_write("*")
        super().clear()
