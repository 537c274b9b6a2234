"""Process-local caches that every process drops as soon as any process changes what they hold.

A *generation* is a counter per name (``access``: keys, users, roles, scopes; ``reference``: small lookup tables),
published where every web process reads it without a database query:

- with Redis (``PSA_REDIS_URL``): one ``MGET`` of keys in the shared cache, through the process's one client
  (psa.shared_redis); an API request reads them in the rate limiter's round trip (psa.ratelimit);
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
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from psa import shared_redis

ACCESS = "access"  # API keys, users, roles, role lists, client scopes
REFERENCE = "reference"  # small lookup tables (boards, statuses, priorities)

_local: dict[str, int] = {}  # this process's own bumps, seen at once even if publishing fails
_lock = threading.Lock()
# Within one request (request_scope) each published generation is read once: all of them in one Redis round trip
# or one file read. Another process's change is then seen from the next request on; this process's own bumps at once.
_NAMES = ("access", "reference", "ratelimit-rare")
_request_reads: ContextVar[dict[str, int] | None] = ContextVar("psa_generation_reads", default=None)


def _shared_cache() -> RedisCache | None:
    return shared_redis.redis_cache()


def redis_keys(cache: RedisCache, names: list[str]) -> list[str]:
    """The cache keys the generations ``names`` are published under (the cache's prefix and version)."""
    return [cache.make_key(f"psa:generation:{name}") for name in names]


def _dir() -> Path:
    return Path(settings.DATA_DIR) / "generations"


_file_paths: dict[str, str] = {}  # DATA_DIR -> the generations file's path, built once (it is read per request)


def _file_path() -> str:
    data_dir = str(settings.DATA_DIR)
    path = _file_paths.get(data_dir)
    if path is None:
        path = _file_paths[data_dir] = str(_dir() / "all")
    return path


def _read_file() -> dict[str, int]:
    """Every generation from the one file that holds them all (one read per request, as one Redis round trip)."""
    try:
        # os-level calls: the file is a few bytes, and open()'s buffered file object cost more than the read.
        descriptor = os.open(_file_path(), os.O_RDONLY)
        try:
            chunks = []
            while chunk := os.read(descriptor, 65536):
                chunks.append(chunk)
        finally:
            os.close(descriptor)
        text = b"".join(chunks).decode()
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
        return int(shared_redis.client(redis).get(redis_keys(redis, [name])[0]) or 0)
    return _read_file().get(name, 0)


def _publish(name: str) -> None:
    redis = _shared_cache()
    if redis is not None:
        # INCR starts a missing counter at 0 (the cache's add(0) and incr() in one round trip); it never expires.
        shared_redis.client(redis).incr(redis_keys(redis, [name])[0])
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
    return dict(zip(names, _counts(shared_redis.client(redis).mget(redis_keys(redis, names))), strict=True))


def _counts(values: list) -> list[int]:
    return [int(value or 0) for value in values]


def unread_names() -> list[str]:
    """The published generations this request has not read yet (none outside a request scope)."""
    reads = _request_reads.get()
    return [] if reads is None else [name for name in _NAMES if name not in reads]


def record_published(names: list[str], values: list) -> None:
    """Values of ``redis_keys(names)`` read by another round trip of this request (the rate limiter's)."""
    reads = _request_reads.get()
    if reads is not None:
        reads.update(zip(names, _counts(values), strict=True))


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
