"""Process-local caches that every process drops as soon as any process changes what they hold.

A *generation* is a counter per name (``access``: keys, users, roles, scopes; ``reference``: small lookup tables),
published where every web process reads it without a database query:

- with Redis (``PSA_REDIS_URL``): one ``GET`` of a key in the shared cache;
- otherwise (the embedded set-up, whose processes all run on one machine): one read of a small file,
  ``PSA_DATA_DIR/generations/all``, holding every generation.

A change bumps its generation at once and again when the transaction commits (a process that read the old rows in
between sees a newer generation afterwards). A cache entry remembers the generation it was loaded under and is used
only while that generation is still current and its time to live (a backstop, in seconds) has not passed.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

ACCESS = "access"  # API keys, users, roles, role lists, client scopes
REFERENCE = "reference"  # small lookup tables (boards, statuses, priorities)

_local: dict[str, int] = {}  # this process's own bumps, seen at once even if publishing fails
_lock = threading.Lock()
# Within one request (request_scope) each published generation is read once: all of them in one Redis round trip
# or one file read. Another process's change is then seen from the next request on; this process's own bumps at once.
_NAMES = ("access", "reference", "ratelimit-rare")
_request_reads: ContextVar[dict[str, int] | None] = ContextVar("psa_generation_reads", default=None)


def _shared_cache() -> RedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def _dir() -> Path:
    return Path(settings.DATA_DIR) / "generations"


def _read_file() -> dict[str, int]:
    """Every generation from the one file that holds them all (one read per request, as one Redis round trip)."""
    try:
        with open(_dir() / "all", "rb") as handle:
            text = handle.read().decode()
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if value.isdigit():
            found[name] = int(value)
    return found


def _read_published(name: str) -> int:
    redis = _shared_cache()
    if redis is not None:
        return int(redis.get(f"psa:generation:{name}", 0))
    return _read_file().get(name, 0)


def _publish(name: str) -> None:
    redis = _shared_cache()
    if redis is not None:
        key = f"psa:generation:{name}"
        redis.add(key, 0, timeout=None)
        redis.incr(key)
        return
    directory = _dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Counters (not timestamps: file times tick in milliseconds), incremented under an exclusive lock and replaced
    # whole by a rename, so a reader sees the old file or the new one, never a half-written one.
    with open(directory / "lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        values = _read_file()
        values[name] = values.get(name, 0) + 1
        temporary = directory / f"all.{os.getpid()}.{threading.get_ident()}"
        temporary.write_bytes("".join(f"{n}={v}\n" for n, v in sorted(values.items())).encode())
        os.replace(temporary, directory / "all")


def _read_for_request(name: str, reads: dict[str, int]) -> dict[str, int]:
    """``name``'s published generation and every other one not read yet, in one round trip or one file read."""
    names = [n for n in dict.fromkeys((name, *_NAMES)) if n not in reads]
    redis = _shared_cache()
    if redis is None:
        published = _read_file()
        return {n: published.get(n, 0) for n in names}
    found = redis.get_many([f"psa:generation:{n}" for n in names])
    return {n: int(found.get(f"psa:generation:{n}", 0)) for n in names}


@contextmanager
def request_scope() -> Iterator[None]:
    """Read each published generation at most once until the block ends (one request: psa.middleware)."""
    token = _request_reads.set({})
    try:
        yield
    finally:
        _request_reads.reset(token)


def current(name: str) -> tuple[int, int]:
    """The generation of ``name`` as this process sees it now."""
    reads = _request_reads.get()
    if reads is None:
        return _local.get(name, 0), _read_published(name)
    if name not in reads:
        reads.update(_read_for_request(name, reads))
    return _local.get(name, 0), reads[name]


def bump(name: str) -> None:
    """Something cached under ``name`` changed: every process reloads it on its next use (after commit too)."""
    with _lock:
        _local[name] = _local.get(name, 0) + 1
    _publish(name)
    transaction.on_commit(lambda: _publish(name))


_caches: list[GenerationCache] = []


def clear_local_caches() -> None:
    """Empty every cache of this process (a transaction that changed cached rows was rolled back, e.g. in tests)."""
    for cache in _caches:
        cache.clear()


class GenerationCache:
    """A bounded dict of values loaded under a generation of ``name``, each kept at most ``ttl()`` seconds."""

    def __init__(self, name: str, ttl: Callable[[], float], max_entries: int = 10_000) -> None:
        self.name, self.ttl, self.max_entries = name, ttl, max_entries
        self._entries: dict[Hashable, tuple[tuple[int, int], float, Any]] = {}
        _caches.append(self)

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        ttl = self.ttl()
        if ttl <= 0:
            return load()
        generation = current(self.name)  # read before loading: a change during the load leaves the entry stale
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation and entry[1] > now:
            return entry[2]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (generation, now + ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def ttl_setting(setting: str) -> Callable[[], float]:
    """A ``ttl`` callable reading ``settings.<setting>`` on each use (so ``override_settings`` applies)."""
    return lambda: float(getattr(settings, setting))
