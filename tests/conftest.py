import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

from tests.factories import api_for, make_client

# Transactional tests without serialized rollback flush the database and let post_migrate recreate content types and
# permissions under new ids; a later serialized-rollback test restoring its snapshot of those rows then fails on their
# unique keys. Nothing here relies on them surviving, so they are left out of the snapshot (it keeps the roles etc.).
settings.TEST_NON_SERIALIZED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]

# The suite sends far more requests from 127.0.0.1 than any real caller: the limits are high here, and the tests of
# the limiters lower them with override_settings. On Redis the counters outlive each test, so tests that count use
# callers (keys, addresses) of their own.
settings.API_RATE_LIMIT = "1000000/min"
settings.API_BAD_KEY_LIMIT = "1000000/min"
settings.SSO_RATE_LIMIT = "1000000/min"
# The caches' time to live is a backstop behind invalidation; in tests it never runs out mid-test (on a slow machine a
# test taking longer than the default would otherwise reload the caller at a random point and change a query count).
settings.CALLER_CACHE_SECONDS = 3600
settings.REFERENCE_CACHE_SECONDS = 3600
# PostgreSQL search asks the planner for its rare-word estimate every time: statistics read once per interval would
# add a query at a random point, and autovacuum may analyze the test tables at any time. The statistics path has its
# own tests (tests/psa/test_search.py), which turn it on.
settings.SEARCH_STATISTICS_SECONDS = 0
# Passwords are hashed with a fast hasher: the default PBKDF2 takes about 0.3 CPU seconds per hash, paid by every
# sign-in and password change of the suite. No test depends on the algorithm (only on check_password answering).
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
get_hashers.cache_clear()
get_hashers_by_algorithm.cache_clear()


@pytest.fixture
def client_a(db):
    return make_client("Client A")


@pytest.fixture
def client_b(db):
    return make_client("Client B")


@pytest.fixture
def admin_api(db):
    """An API client acting as a user holding ``*``; yields ``(client, user, key)``."""
    return api_for(["*"])


@pytest.fixture(autouse=True)
def force_login_is_not_a_sign_in(monkeypatch):
    """``Client.force_login`` is a test shortcut, not someone signing in: it does not write a sign-in audit event.

    Tests that sign in through the login page still get (and check) the audit trail of real sign-ins.
    """
    from django.contrib.auth.signals import user_logged_in
    from django.test import Client as TestClient

    from accounts.signals import audit_login

    original = TestClient.force_login

    def force_login(self, user, backend=None):
        user_logged_in.disconnect(dispatch_uid="accounts.audit_login")
        try:
            original(self, user, backend)
        finally:
            user_logged_in.connect(audit_login, dispatch_uid="accounts.audit_login")

    monkeypatch.setattr(TestClient, "force_login", force_login)


@pytest.fixture(autouse=True)
def fresh_rate_limit_counters():
    """On SQLite the rate-limit counters live in a file of their own (psa.ratelimit.CounterFile), outside the test's
    transaction: each test starts with none, as it would with the counter table rolled back."""
    from psa import ratelimit

    ratelimit.clear_counters()
    yield


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """Each test starts with empty caller and reference caches: a test's changes are rolled back without a signal,
    so what a cache loaded inside one test must not be served to the next."""
    from django.contrib.contenttypes.models import ContentType

    from psa import generations

    generations.clear_local_caches()
    # A transactional test with serialized_rollback flushes the tables without re-creating the content types; ids
    # cached before would then point at rows that are gone (an external record's FK failed at commit).
    ContentType.objects.clear_cache()
    yield
    generations.clear_local_caches()


# --- the route harness's world (tests/test_route_harness.py), shared by the harness modules ---------------------------

# Caches keyed by an integration source's id, outside the database on Redis (the database cache is rolled back with
# each test): a world built per test had fresh sources, so each test started without them; a shared world forgets them.
SOURCE_CACHE_PATTERNS = ("integrations:live:*", "integrations:cw-live:*", "unifi:session:*")


def _forget_source_caches() -> None:
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(cache, RedisCache):
        return
    redis = cache._cache.get_client(write=True)
    for pattern in SOURCE_CACHE_PATTERNS:
        stale = list(redis.scan_iter(match=cache.make_key(pattern)))
        if stale:
            redis.delete(*stale)


@pytest.fixture(scope="module")
def harness_world_shared(django_db_setup, django_db_blocker):
    """The route harness's world, built once per module inside a transaction that is rolled back at the end.

    Building it costs more than most checks made with it. Each test runs in a savepoint inside that transaction
    (pytest-django's ``db``), so whatever a test writes is gone before the next one starts. A module using it holds
    no transactional test (``transaction=True``, ``live_server``): its flush would run inside this transaction.
    """
    from django.db import transaction

    from tests.test_route_harness import World

    with django_db_blocker.unblock(), transaction.atomic():
        world = World()
        yield world
        transaction.set_rollback(True)
    _forget_source_caches()


@pytest.fixture
def harness_world(harness_world_shared, db):
    """A test's own copy of the shared world: the objects as they were built (a test's writes were rolled back in the
    database, and its changes to the copy die with it), with fresh objects outside the database (``World.external``).
    """
    import copy

    world = copy.deepcopy(harness_world_shared)
    world.build_external()
    yield world
    _forget_source_caches()
