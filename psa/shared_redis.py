"""One Redis client per process for the per-request reads and counts (generations, rate limits).

Django's ``RedisCache`` builds a new ``redis.Redis`` object (and a pipeline) on every call; the hot paths here use
one client over the cache's own connection pool instead, built once and rebuilt only when ``CACHES`` changes. Keys
are the cache's own (``make_and_validate_key``) and integers are stored as the cache's serializer stores them, so
values written through ``django.core.cache`` and through this client are the same values.
"""

from __future__ import annotations

import threading

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

_lock = threading.Lock()
_shared: dict[str, object] = {}  # "client": the redis.Redis; "key": the servers and options it was built for


def redis_cache() -> RedisCache | None:
    """The default cache when it is Redis (``PSA_REDIS_URL``), else ``None``."""
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def client(cache: RedisCache):
    """The process's client for ``cache``'s server (redis-py's pool is thread-safe and reconnects after a fork)."""
    built_for = (tuple(cache._servers), repr(cache._options))
    if _shared.get("key") != built_for:
        with _lock:
            if _shared.get("key") != built_for:
                # The writing pool, as Django's cache uses for writes: reads then see every write at once.
                _shared["client"] = cache._cache.get_client(write=True)
                _shared["key"] = built_for
    return _shared["client"]


@receiver(setting_changed)
def _forget_client(*, setting: str, **_ignored) -> None:
    if setting == "CACHES":
        with _lock:
            _shared.clear()
