"""Django's Redis cache with one connection pool and one client per process.

Django keeps a cache object per thread (per asgiref context), and under ASGI every request runs in a thread
of its own: the stock backend built a new redis-py ConnectionPool, a new TCP connection (with redis-py's
CLIENT SETINFO handshake, which reads package metadata from disk) and a new client for every request, and
dropped them all when the request ended. The pool and the client are thread-safe, so one per process
(per server URL and options) serves every thread; redis-py resets a pool inherited across fork."""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

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
