import pytest
from django.test import Client as BrowserClient

from tests.factories import make_user


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser_for(db):
    """``browser_for(nodes, clients=())`` -> ``(test client signed in as a new user, user)``."""

    def make(nodes=(), clients=(), **fields):
        user = make_user(list(nodes), list(clients), **fields)
        browser = BrowserClient()
        browser.force_login(user)
        return browser, user

    return make
