"""One Redis client per process, and one round trip per API request for the rate limit and the cache generations
(psa.shared_redis, psa.ratelimit, psa.generations). CI runs this on SQLite without Redis and on PostgreSQL with it."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from psa import generations, ratelimit, shared_redis
from tests.factories import api_for

pytestmark = pytest.mark.django_db


class RedisCalls:
    """Counts the redis-py clients built and the round trips made (commands, and pipelines as one each)."""

    def __init__(self, monkeypatch) -> None:
        self.clients = self.round_trips = 0
        client_init, execute_command, pipeline_execute = (
            redis.Redis.__init__,
            redis.Redis.execute_command,
            redis.client.Pipeline.execute,
        )

        def counted_init(client, *args, **kwargs):
            self.clients += not isinstance(client, redis.client.Pipeline)
            client_init(client, *args, **kwargs)

        def counted_command(client, *args, **kwargs):
            self.round_trips += 1
            return execute_command(client, *args, **kwargs)

        def counted_pipeline(pipeline, *args, **kwargs):
            self.round_trips += 1
            return pipeline_execute(pipeline, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "__init__", counted_init)
        monkeypatch.setattr(redis.Redis, "execute_command", counted_command)
        monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)


def test_an_api_request_makes_one_redis_round_trip_and_builds_no_client(monkeypatch):
    api, _, _ = api_for(["client.read", "obj.*"])
    assert api.get("/api/v1/clients").status_code == 200  # loads the caller; builds the process's client
    calls = RedisCalls(monkeypatch)
    for _ in range(3):
        assert api.get("/api/v1/clients").status_code == 200
    assert calls.clients == 0
    assert calls.round_trips == (3 if shared_redis.redis_cache() is not None else 0), calls.round_trips


def test_the_rate_limiters_round_trip_reads_the_generations_another_process_published():
    redis_cache = shared_redis.redis_cache()
    bucket = ratelimit.Rate(1000, 60)
    if redis_cache is None:
        with generations.request_scope():
            assert generations.unread_names() == ["access", "reference", "ratelimit-rare"]
            ratelimit.hit("shared-redis-test", bucket)  # the counter table: the generations are read on their own
            assert generations.unread_names() == ["access", "reference", "ratelimit-rare"]
        return
    key = generations.redis_keys(redis_cache, ["access"])[0]
    cache.add("psa:generation:access", 0, timeout=None)
    published = cache.incr("psa:generation:access", 5)  # another process, through Django's cache API
    assert int(shared_redis.client(redis_cache).get(key)) == published
    with generations.request_scope():
        ratelimit.hit("shared-redis-test", bucket)
        assert generations.unread_names() == []
        assert generations.current("access")[1] == published
    generations.bump("access")  # and a bump through the shared client is what the cache API reads
    assert cache.get("psa:generation:access") == published + 1


def test_outside_a_request_scope_nothing_is_read_ahead():
    assert generations.unread_names() == []
    generations.record_published(["access"], [3])  # no scope: nothing to record into, and no error
    assert generations.unread_names() == []


def test_a_changed_cache_setting_builds_a_new_client():
    redis_cache = shared_redis.redis_cache()
    if redis_cache is None:
        assert shared_redis.client.__name__ == "client"  # nothing is built without Redis
        return
    first = shared_redis.client(redis_cache)
    assert shared_redis.client(redis_cache) is first
    location = redis_cache._servers[0]
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    ):
        assert shared_redis.client(shared_redis.redis_cache()) is not first
