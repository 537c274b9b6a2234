import pytest
from django.conf import settings

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
