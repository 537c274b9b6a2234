import pytest
from django.test import Client as BrowserClient

from tests.factories import make_user


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser_for(db):
    """``browser_for(nodes, clients=())`` -> ``(test client signed in as a new user, user)``.

    A user given no ``obj.`` node also holds ``obj.*`` (every field, as the built-in roles do); tests of field
    gating in the pages name the field nodes they grant.
    """

    def make(nodes=(), clients=(), **fields):
        nodes = list(nodes)
        if not any(node.startswith("obj.") or node == "*" for node in nodes):
            nodes.append("obj.*")
        user = make_user(nodes, list(clients), **fields)
        browser = BrowserClient()
        browser.force_login(user)
        return browser, user

    return make
