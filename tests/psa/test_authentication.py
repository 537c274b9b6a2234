"""Authentication: X-API-Key and Bearer only, and one 401 body for every kind of bad credential."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import KEY_PREFIX
from tests.factories import api_client, make_key, make_user
from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/@me"


@pytest.fixture
def owner():
    return make_user(["user.read", "obj.*"])


def _unauthorized_body(response) -> bytes:
    error_of(response, 401, "UNAUTHORIZED")
    return response.content


def _bad_credentials(owner) -> dict[str, dict]:
    """Request headers for every kind of bad credential, by name."""
    _, good = make_key(owner)
    key_id, secret = good[len(KEY_PREFIX) + 1 :].split("_", 1)
    wrong_secret = f"{KEY_PREFIX}_{key_id}_{'A' * len(secret)}"
    unknown_id = f"{KEY_PREFIX}_{'Z' * len(key_id)}_{secret}"

    _, expired = make_key(owner, expires_in=timedelta(seconds=-1))
    deactivated_key, deactivated = make_key(owner)
    deactivated_key.deactivate()
    gone_owner = make_user(["*"])
    _, owner_gone = make_key(gone_owner)
    gone_owner.is_active = False
    gone_owner.save(update_fields=["is_active"])

    return {
        "missing": {},
        "empty": {"HTTP_X_API_KEY": ""},
        "malformed": {"HTTP_X_API_KEY": "not-a-key"},
        "truncated": {"HTTP_X_API_KEY": good[:-10]},
        "wrong secret": {"HTTP_X_API_KEY": wrong_secret},
        "unknown key id": {"HTTP_X_API_KEY": unknown_id},
        "expired": {"HTTP_X_API_KEY": expired},
        "deactivated": {"HTTP_X_API_KEY": deactivated},
        "owner deactivated": {"HTTP_X_API_KEY": owner_gone},
        "bearer wrong secret": {"HTTP_AUTHORIZATION": f"Bearer {wrong_secret}"},
        "bearer expired": {"HTTP_AUTHORIZATION": f"Bearer {expired}"},
        "bearer empty": {"HTTP_AUTHORIZATION": "Bearer "},
        "basic": {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"someone:secret").decode()},
        "token scheme": {"HTTP_AUTHORIZATION": f"Token {good}"},
    }


def test_every_kind_of_bad_credential_gets_the_same_401_body(owner):
    bodies = {}
    for name, headers in _bad_credentials(owner).items():
        response = APIClient().get(ME, **headers)
        bodies[name] = _unauthorized_body(response)

    assert len(set(bodies.values())) == 1, bodies


def test_bad_credentials_get_401_on_writes_too_and_nothing_happens(owner):
    from clients.models import Client

    for name, headers in _bad_credentials(owner).items():
        response = APIClient().post("/api/v1/clients", {"name": name}, format="json", **headers)
        _unauthorized_body(response)

    assert not Client.objects.exists()


def test_a_valid_key_in_the_x_api_key_header_works(owner):
    _, plaintext = make_key(owner)

    response = api_client(plaintext).get(ME)

    assert data_of(response)["id"] == str(owner.pk)


def test_a_valid_key_as_bearer_token_works(owner):
    _, plaintext = make_key(owner)

    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    assert data_of(response)["id"] == str(owner.pk)


def test_a_key_in_the_query_string_is_not_accepted(owner):
    _, plaintext = make_key(owner)

    response = APIClient().get(ME, {"api_key": plaintext})
    also = APIClient().get(ME, {"key": plaintext, "token": plaintext, "access_token": plaintext})

    _unauthorized_body(response)
    _unauthorized_body(also)


def test_basic_auth_with_a_correct_password_is_refused(owner):
    owner.set_password("correct horse battery staple")
    owner.save()
    credentials = base64.b64encode(f"{owner.login}:correct horse battery staple".encode()).decode()

    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Basic {credentials}")

    _unauthorized_body(response)


def test_a_bad_authorization_header_is_not_rescued_by_a_session(owner):
    api = APIClient()
    api.force_login(owner)

    response = api.get(ME, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")

    _unauthorized_body(response)


def test_a_key_that_expires_stops_working(owner, monkeypatch):
    from django.utils import timezone

    _, plaintext = make_key(owner, expires_in=timedelta(hours=1))
    api = api_client(plaintext)
    assert api.get(ME).status_code == 200

    later = timezone.now() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    _unauthorized_body(api.get(ME))


def test_deactivating_the_owner_stops_every_key(owner):
    _, first = make_key(owner)
    _, second = make_key(owner)
    assert api_client(first).get(ME).status_code == 200

    owner.is_active = False
    owner.save(update_fields=["is_active"])

    _unauthorized_body(api_client(first).get(ME))
    _unauthorized_body(api_client(second).get(ME))
