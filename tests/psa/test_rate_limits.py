"""Rate limits (issue 8 §3): the shared atomic limiter, the API's per-caller limit and headers, bad-key throttling.

The burst tests run real requests on separate database connections (one per thread), as several web processes
would; CI runs them on SQLite (the counter table) and on PostgreSQL with Redis (INCR + EXPIRE).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from django.db import connections
from django.test import override_settings

from psa import ratelimit
from psa.models import RateLimitCounter
from tests.factories import api_client, api_for, make_key, make_user
from tests.psa.helpers import data_of, error_of

THREADS = 8
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
_addresses = itertools.count(1)


def fresh_address() -> str:
    """An address no other test used (on Redis the counters outlive a test)."""
    return f"2001:db8::{next(_addresses):x}"


def _burst(work, total: int) -> list:
    """Run ``work`` ``total`` times from THREADS threads started together; returns the results."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    lock = threading.Lock()
    jobs = iter(range(total))

    def runner():
        try:
            barrier.wait(timeout=30)
            while True:
                with lock:
                    if next(jobs, None) is None:
                        return
                value = work()
                with lock:
                    results.append(value)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.fixture
def frozen_clock(monkeypatch):
    """A fixed time in the middle of a window, so a burst never straddles two windows."""
    now = [1_800_000_030.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


def test_rates_parse():
    assert ratelimit.parse_rate("600/min") == ratelimit.Rate(600, 60)
    assert ratelimit.parse_rate("20/s") == ratelimit.Rate(20, 1)
    assert ratelimit.parse_rate("1000/hour") == ratelimit.Rate(1000, 3600)
    assert ratelimit.parse_rate("30/10s") == ratelimit.Rate(30, 10)
    assert ratelimit.parse_rate("5000/day") == ratelimit.Rate(5000, 86400)
    for bad in ("600", "x/min", "10/fortnight", "10/0s"):
        with pytest.raises(ValueError):
            ratelimit.parse_rate(bad)


@pytest.mark.django_db
def test_a_window_counts_then_resets(frozen_clock):
    rate = ratelimit.Rate(2, 60)
    bucket = f"test:reset:{fresh_address()}"
    assert [ratelimit.hit(bucket, rate).count for _ in range(3)] == [1, 2, 3]
    usage = ratelimit.peek(bucket, rate)
    assert (usage.count, usage.allowed, usage.reset) == (3, False, 30)
    assert usage.headers()["Retry-After"] == "30"
    frozen_clock[0] += 60
    assert ratelimit.peek(bucket, rate).count == 0
    assert ratelimit.hit(bucket, rate).allowed


DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "psa_cache"}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["configured", "counter table"])
def test_a_parallel_burst_of_hits_is_counted_exactly(frozen_clock, backend):
    """Twice the limit from parallel connections: exactly the limit allowed, on the configured cache (Redis in CI's
    second pass) and on the counter table (the embedded default, and PostgreSQL without Redis)."""
    rate = ratelimit.Rate(25, 60)
    bucket = f"test:burst:{fresh_address()}"
    overrides = {"CACHES": DATABASE_CACHE} if backend == "counter table" else {}
    with override_settings(**overrides):
        usages = _burst(lambda: ratelimit.hit(bucket, rate), 2 * rate.limit)
    assert sorted(u.count for u in usages) == list(range(1, 2 * rate.limit + 1)), "two hits got the same count"
    assert sum(u.allowed for u in usages) == rate.limit


@pytest.mark.django_db(transaction=True)
def test_a_parallel_burst_of_api_requests_gets_exactly_the_limit_through(frozen_clock):
    user = make_user(["client.read"])
    _, plaintext = make_key(user)
    with override_settings(API_RATE_LIMIT="12/min"):
        statuses = _burst(lambda: api_client(plaintext).get("/api/v1/clients").status_code, 24)
    assert Counter(statuses) == {200: 12, 429: 12}


@pytest.mark.django_db
def test_every_api_response_carries_the_headers_and_the_429_says_when_to_retry(frozen_clock):
    api, _, _ = api_for(["client.read"])
    with override_settings(API_RATE_LIMIT="3/min"):
        ok = api.get("/api/v1/clients")
        data_of(ok)
        assert ok["RateLimit-Limit"] == "3" and ok["RateLimit-Remaining"] == "2"
        assert 1 <= int(ok["RateLimit-Reset"]) <= 60
        missing = api.get("/api/v1/no-such-route")
        error_of(missing, 404, "NOT_FOUND")
        invalid = api.get("/api/v1/clients", {"limit": "many"})
        assert invalid.status_code == 400 and invalid["RateLimit-Remaining"] == "0"
        refused = api.get("/api/v1/clients")
    error_of(refused, 429, "RATE_LIMITED")
    assert all(refused.has_header(name) for name in HEADERS)
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["Retry-After"] == refused["RateLimit-Reset"]
    assert "Retry-After" not in ok
    for response in (missing, invalid):
        assert all(response.has_header(name) for name in HEADERS), response.headers


@pytest.mark.django_db
def test_each_key_user_and_address_has_its_own_budget(frozen_clock):
    api, user, _ = api_for(["client.read"])
    _, second = make_key(user)
    address = fresh_address()
    with override_settings(API_RATE_LIMIT="1/min"):
        data_of(api.get("/api/v1/clients"))
        error_of(api.get("/api/v1/clients"), 429, "RATE_LIMITED")
        data_of(api_client(second).get("/api/v1/clients"))  # another key
        error_of(api_client().get("/api/v1/clients", REMOTE_ADDR=address), 401, "UNAUTHORIZED")
        error_of(api_client().get("/api/v1/clients", REMOTE_ADDR=address), 429, "RATE_LIMITED")
        session = api_client()
        session.force_login(make_user(["client.read"]))
        data_of(session.get("/api/v1/clients", REMOTE_ADDR=address))  # a signed-in user, not the address


@pytest.mark.django_db
def test_pages_outside_the_api_are_not_counted():
    with override_settings(API_RATE_LIMIT="1/min"):
        for _ in range(3):
            response = api_client().get("/login/", REMOTE_ADDR="2001:db8:1::1")
            assert response.status_code == 200 and not response.has_header("RateLimit-Limit")


@pytest.mark.django_db
def test_bad_api_keys_are_throttled_per_address(frozen_clock):
    user = make_user(["client.read"])
    _, good = make_key(user)
    address, other_address = fresh_address(), fresh_address()
    bad = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with override_settings(API_BAD_KEY_LIMIT="3/min"):
        for _ in range(3):
            error_of(api_client(bad).get("/api/v1/clients", REMOTE_ADDR=address), 401, "UNAUTHORIZED")
        refused = api_client(bad).get("/api/v1/clients", REMOTE_ADDR=address)
        error_of(refused, 429, "RATE_LIMITED")
        assert 1 <= int(refused["Retry-After"]) <= 60
        # While the address is throttled its keys are not even checked: a right guess is refused too.
        error_of(api_client(good).get("/api/v1/clients", REMOTE_ADDR=address), 429, "RATE_LIMITED")
        data_of(api_client(good).get("/api/v1/clients", REMOTE_ADDR=other_address))


def _stored_buckets() -> dict[str, tuple[int, int]]:
    """Every bucket of the counter table (the counter file on SQLite): ``{bucket: (window_end, count)}``."""
    counters = ratelimit._counter_file()
    if counters is not None:
        return {b: (w, c) for b, w, c in counters._run(f"SELECT bucket, window_end, count FROM {counters.TABLE}", ())}
    return {r.bucket: (r.window_end, r.count) for r in RateLimitCounter.objects.all()}


@pytest.mark.django_db
@override_settings(CACHES=DATABASE_CACHE)
def test_without_redis_the_counter_table_holds_one_row_per_bucket(frozen_clock):
    rate = ratelimit.Rate(5, 60)
    for _ in range(3):
        ratelimit.hit("test:table", rate)
    assert ratelimit.peek("test:table", rate).count == 3
    frozen_clock[0] += 60
    ratelimit.hit("test:table", rate)
    assert _stored_buckets() == {"test:table": (1_800_000_120, 1)}


@pytest.mark.django_db
@override_settings(CACHES=DATABASE_CACHE)
def test_the_daily_task_forgets_buckets_idle_for_a_day_and_keeps_the_rest(frozen_clock):
    from psa.tasks import prune_rate_limit_counters

    rate = ratelimit.Rate(5, 60)
    ratelimit.hit("test:idle", rate)
    frozen_clock[0] += ratelimit.STALE_SECONDS + 120
    ratelimit.hit("test:busy", rate)
    assert prune_rate_limit_counters() == {"pruned": 1}
    assert list(_stored_buckets()) == ["test:busy"]


@pytest.mark.django_db(transaction=True)
@override_settings(CACHES=DATABASE_CACHE, API_RATE_LIMIT="600/min")
def test_on_sqlite_counting_never_waits_for_the_main_databases_write_lock():
    """A sync batch or an import holding SQLite's one write lock does not hold up the API's reads: their hits are
    counted in the counter file, and a GET writes nothing to the main database."""
    import sqlite3

    from django.db import connection

    if connection.vendor != "sqlite":  # no database-wide write lock: the counter table, in the request's transaction
        assert ratelimit._counter_file() is None
        return
    api, _, _ = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200  # the caller is resolved before the lock is taken
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")  # waiting would be failing
    try:
        responses = [api.get("/api/v1/clients") for _ in range(3)]
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 10000")
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [int(r["RateLimit-Remaining"]) for r in responses] == [598, 597, 596]
    assert not RateLimitCounter.objects.exists()  # nothing counted in the main database
