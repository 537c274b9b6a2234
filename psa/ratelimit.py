"""Fixed-window rate limits, shared by the API, API-key authentication and vault reveals.

A rate is ``N/period`` (``600/min``, ``20/s``, ``1000/hour``, ``5000/day``; a number before the unit multiplies it,
``30/10s``). Each bucket counts hits in the current window of that period; the count is taken in ONE atomic
operation, so a parallel burst never gets more than the limit through:

- with Redis as the cache (``PSA_REDIS_URL``): ``INCR`` and ``EXPIRE`` in one ``MULTI`` transaction, through the
  process's one client (psa.shared_redis); the same round trip reads the request's cache generations
  (psa.generations), which would otherwise take a round trip of their own;
- otherwise one ``INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 ... RETURNING count`` (SQLite 3.35+ and
  PostgreSQL both run it as a single atomic statement):
  - PostgreSQL without Redis: on :class:`psa.models.RateLimitCounter`, in the request's connection;
  - the embedded default (SQLite): in a database file of its own, ``PSA_RATELIMIT_SQLITE_FILE``, one connection per
    thread (:class:`CounterFile`). SQLite has one write lock per file: counted in the main database, every API
    request, reads too, took that lock and so waited for whatever held it, a sync job's batch transaction (a
    quarter of a second each on a slow machine, for the whole of a first sync) or an import. A hit is an attempt,
    so it counts whatever becomes of the request's own transaction.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connection, connections

from psa import generations, shared_redis
from psa.generations import GenerationCache, ttl_setting

UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")
# Rows of buckets idle for longer than this are deleted by the daily task psa.tasks.prune_rate_limit_counters.
STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """``"600/min"`` -> ``Rate(600, 60)``; raises ``ValueError`` naming the problem."""
    match = _RATE.match(str(text).lower())
    unit = UNITS.get(match.group(3)) if match else None
    if match is None or unit is None:
        raise ValueError(f"'{text}' is not a rate like 600/min (units: s, min, hour, day)")
    period = int(match.group(2) or 1) * unit
    if period < 1:
        raise ValueError(f"'{text}' has an empty period")
    return Rate(int(match.group(1)), period)


@dataclass(frozen=True)
class Usage:
    """A bucket's state after a hit (or a look): the count in the current window and when that window ends."""

    limit: int
    count: int
    reset: int  # seconds until the window ends (at least 1)

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> dict[str, str]:
        """The IETF draft's ``RateLimit-*`` headers, plus ``Retry-After`` once the limit is exceeded."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


def _now() -> float:
    return time.time()


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """``(end of the current window in epoch seconds, seconds until then)``."""
    start = int(now // rate.period) * rate.period
    end = start + rate.period
    return end, max(1, end - int(now))


def hit(bucket: str, rate: Rate, now: float | None = None) -> Usage:
    """Count one hit in ``bucket`` and return the bucket's usage, this hit included."""
    now = _now() if now is None else now
    window_end, reset = _window(rate, now)
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        count = _redis_hit(cache, bucket, window_end, rate.period)
    else:
        count = _table_hit(bucket, window_end)
    return Usage(rate.limit, count, reset)


def peek(bucket: str, rate: Rate, now: float | None = None) -> Usage:
    """The bucket's usage in the current window, without counting a hit."""
    now = _now() if now is None else now
    window_end, reset = _window(rate, now)
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        key = cache.make_and_validate_key(f"ratelimit:{bucket}:{window_end}")
        count = int(shared_redis.client(cache).get(key) or 0)
    elif _counter_file() is not None:
        count = _counter_file().peek(bucket, window_end)
    else:
        from psa.models import RateLimitCounter

        row = RateLimitCounter.objects.filter(bucket=bucket, window_end=window_end).values_list("count", flat=True)
        count = row.first() or 0
    return Usage(rate.limit, count, reset)


# Counts of rarely hit buckets (bad API keys per address), read on every request but changed only by a hit.
_rare_counts = GenerationCache("ratelimit-rare", ttl_setting("CALLER_CACHE_SECONDS"))


def hit_rare(bucket: str, rate: Rate, now: float | None = None) -> Usage:
    """:func:`hit` for a bucket read with :func:`peek_rare`: every process reads the rare buckets again."""
    usage = hit(bucket, rate, now)
    generations.bump("ratelimit-rare")
    return usage


def peek_rare(bucket: str, rate: Rate, now: float | None = None) -> Usage:
    """:func:`peek` without a query while no rare bucket has been hit since the last look (in this window)."""
    now = _now() if now is None else now
    window_end, reset = _window(rate, now)
    count = _rare_counts.get_or_load((bucket, rate, window_end), lambda: peek(bucket, rate, now).count)
    return Usage(rate.limit, count, reset)


def _redis_hit(cache: RedisCache, bucket: str, window_end: int, period: int) -> int:
    # The key names its window, so a fresh key starts each window; EXPIRE only lets old ones go.
    key = cache.make_and_validate_key(f"ratelimit:{bucket}:{window_end}")
    pipe = shared_redis.client(cache).pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, period + 5)
    unread = generations.unread_names()
    if unread:
        pipe.mget(generations.redis_keys(cache, unread))
    results = pipe.execute()
    if unread:
        generations.record_published(unread, results[2])
    return int(results[0])


def _table_hit(bucket: str, window_end: int) -> int:
    counters = _counter_file()
    if counters is not None:
        return counters.hit(bucket, window_end)
    # On the driver's own cursor: this one fixed statement runs on every API request, and Django's cursor wrapper
    # (placeholder rewriting, execute wrappers, thread checks, a wrapper per fetch) cost as much as the statement.
    # It runs on Django's connection, in its transaction, and fails as Django's errors (so contention is a 503 as
    # anywhere else); only Django's query log and execute wrappers do not see it.
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    with database.wrap_database_errors:
        cursor = database.connection.cursor()
        try:
            cursor.execute(_upsert_sql(database.vendor), (bucket, window_end))
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()


@lru_cache(maxsize=8)
def _upsert_sql(vendor: str, table: str = "") -> str:
    """The counting statement in the driver's own placeholders, built once per database backend and table."""
    from psa.models import RateLimitCounter

    table = table or connection.ops.quote_name(RateLimitCounter._meta.db_table)
    mark = "?" if vendor == "sqlite" else "%s"
    # One row per bucket: the same window counts on, a newer window starts again at 1, an older one (a clock a
    # little behind) counts into the newer window rather than resetting it.
    return (
        f"INSERT INTO {table} (bucket, window_end, count) VALUES ({mark}, {mark}, 1) "
        f"ON CONFLICT (bucket) DO UPDATE SET "
        f"count = CASE WHEN {table}.window_end >= excluded.window_end THEN {table}.count + 1 ELSE 1 END, "
        f"window_end = CASE WHEN {table}.window_end >= excluded.window_end "
        f"THEN {table}.window_end ELSE excluded.window_end END "
        f"RETURNING count"
    )


def prune_stale_counters(now: float | None = None) -> int:
    """Delete the table backend's rows of buckets idle for a day; returns how many went."""
    from psa.models import RateLimitCounter

    now = _now() if now is None else now
    cutoff = int(now) - STALE_SECONDS
    counters = _counter_file()
    if counters is not None:
        return counters.prune(cutoff)
    deleted, _ = RateLimitCounter.objects.filter(window_end__lt=cutoff).delete()
    return deleted


class CounterFile:
    """The counters of the embedded default, in a SQLite file of their own: no request waits for the main database's
    write lock to count a hit. One connection per thread (and per process: a forked worker opens its own), in
    autocommit; ``synchronous = OFF``, since a lost count costs at most one window's limit. Its errors are raised as
    Django's (a file locked past the busy timeout is contention: 503 BUSY, as anywhere)."""

    TABLE = "ratelimit_counter"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _cursor(self) -> sqlite3.Cursor:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = sqlite3.connect(self.path, isolation_level=None, timeout=10, check_same_thread=False)
            local.pid = os.getpid()
            local.connection.execute("PRAGMA journal_mode = WAL")
            local.connection.execute("PRAGMA synchronous = OFF")
            self.create_table()
        return local.connection.cursor()

    def create_table(self) -> None:
        self._local.connection.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (bucket TEXT PRIMARY KEY, "
                                       "window_end INTEGER NOT NULL, count INTEGER NOT NULL)")  # fmt: skip

    def _run(self, sql: str, params: tuple) -> list[tuple]:
        with connections[DEFAULT_DB_ALIAS].wrap_database_errors:  # sqlite3's errors as Django's (the same driver)
            cursor = self._cursor()
            try:
                return cursor.execute(sql, params).fetchall()
            finally:
                cursor.close()

    def hit(self, bucket: str, window_end: int) -> int:
        return int(self._run(_upsert_sql("sqlite", self.TABLE), (bucket, window_end))[0][0])

    def peek(self, bucket: str, window_end: int) -> int:
        rows = self._run(f"SELECT count FROM {self.TABLE} WHERE bucket = ? AND window_end = ?", (bucket, window_end))
        return int(rows[0][0]) if rows else 0

    def prune(self, before: int) -> int:
        return len(self._run(f"DELETE FROM {self.TABLE} WHERE window_end < ? RETURNING bucket", (before,)))

    def clear(self) -> None:
        """Forget every bucket (the tests, between tests: this file is outside their transactions)."""
        self._run(f"DELETE FROM {self.TABLE}", ())


_counter_files: dict[str, CounterFile] = {}


def _counter_file() -> CounterFile | None:
    """The counter file when the main database is SQLite (else ``None``: the counter table)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        return None
    path = str(settings.RATELIMIT_SQLITE_FILE)
    counters = _counter_files.get(path)
    if counters is None:
        counters = _counter_files.setdefault(path, CounterFile(path))
    return counters


def clear_counters() -> None:
    """Forget every bucket of the counter file (no-op on other engines, whose table is in their transactions)."""
    counters = _counter_file()
    if counters is not None:
        counters.clear()
