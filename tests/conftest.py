import pytest

from tests.factories import api_for, make_client


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
