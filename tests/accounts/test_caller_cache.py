"""The caller behind an API key is resolved in one query, cached, and dropped on every change that could matter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.mobile import MobileSession
from psa import generations
from tests.factories import api_client, api_for, make_client, make_key, make_role, make_user

pytestmark = pytest.mark.django_db


def _caller_queries(api, path: str = "/api/v1/clients") -> tuple[int, int]:
    """``(status, queries that read keys, users, roles or scopes)`` for one request."""
    with CaptureQueriesContext(connection) as captured:
        status = api.get(path).status_code
    tables = ("accounts_apikey", "accounts_user", "accounts_role")
    reads = [
        q for q in captured if q["sql"].lstrip().upper().startswith("SELECT") and any(t in q["sql"] for t in tables)
    ]
    return status, len(reads)


def _names(api) -> set[str]:
    response = api.get("/api/v1/clients", {"limit": 100})
    assert response.status_code == 200, response.content[:300]
    return {row["name"] for row in response.json()["data"]}


def test_the_caller_is_resolved_in_one_query_then_cached():
    api, _user, _key = api_for(["client.read"], clients=[make_client()])
    make_role(["contact.read"])  # a change anywhere drops the cache: the next request resolves again
    assert _caller_queries(api) == (200, 1), "key, owner, role nodes and both scopes in one query"
    assert _caller_queries(api) == (200, 0), "then from the cache"


@override_settings(CALLER_CACHE_SECONDS=0)
def test_without_the_cache_every_request_resolves_in_one_query():
    api, _user, _key = api_for(["client.read"])
    api.get("/api/v1/clients")
    assert _caller_queries(api) == (200, 1)
    assert _caller_queries(api) == (200, 1)


def test_a_revoked_key_stops_working_at_once():
    api, _user, key = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200
    key.deactivate()
    assert api.get("/api/v1/clients").status_code == 401


def test_a_deleted_key_stops_working_at_once():
    api, _user, key = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200
    key.delete()
    assert api.get("/api/v1/clients").status_code == 401


def test_a_deactivated_owner_stops_working_at_once():
    api, user, _key = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api.get("/api/v1/clients").status_code == 401


def test_changed_role_nodes_apply_at_once():
    api, user, _key = api_for([])
    role = make_role(["client.read"])
    user.roles.add(role)
    assert api.get("/api/v1/clients").status_code == 200
    role.permissions = ["contact.read"]
    role.save(update_fields=["permissions"])
    assert api.get("/api/v1/clients").status_code == 403
    role.permissions = ["client.read"]
    role.save(update_fields=["permissions"])
    assert api.get("/api/v1/clients").status_code == 200


def test_a_removed_role_or_direct_node_applies_at_once():
    api, user, _key = api_for(["contact.read"])
    role = make_role(["client.read"])
    user.roles.add(role)
    assert api.get("/api/v1/clients").status_code == 200
    user.roles.remove(role)
    assert api.get("/api/v1/clients").status_code == 403
    user.permissions = ["client.read"]
    user.save(update_fields=["permissions"])
    assert api.get("/api/v1/clients").status_code == 200
    role.delete()  # deleting a role the user no longer holds changes nothing, and still drops the cache
    assert api.get("/api/v1/clients").status_code == 200


def test_a_changed_user_scope_applies_at_once():
    mine, other = make_client("Mine"), make_client("Other")
    api, user, _key = api_for(["client.read", "obj.*"])
    assert _names(api) == {"Mine", "Other"}
    user.allowed_clients.add(mine)
    assert _names(api) == {"Mine"}
    user.allowed_clients.set([other])
    assert _names(api) == {"Other"}
    user.allowed_clients.clear()
    assert _names(api) == {"Mine", "Other"}


def test_a_changed_key_scope_applies_at_once():
    mine, _other = make_client("Mine"), make_client("Other")
    api, _user, key = api_for(["client.read", "obj.*"])
    assert _names(api) == {"Mine", "Other"}
    key.allowed_clients.add(mine)
    assert _names(api) == {"Mine"}
    key.allowed_clients.remove(mine)
    assert _names(api) == {"Mine", "Other"}


def test_a_wrong_secret_is_refused_even_when_the_key_is_cached():
    api, _user, _key = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200
    prefix, key_id, secret = api._credentials["HTTP_X_API_KEY"].split("_", 2)
    forged = api_client(f"{prefix}_{key_id}_{'A' * len(secret)}")
    assert forged.get("/api/v1/clients").status_code == 401


def test_an_expired_key_is_refused_even_when_cached():
    user = make_user(["client.read"])
    key, plaintext = make_key(user)
    api = api_client(plaintext)
    assert api.get("/api/v1/clients").status_code == 200
    # Expiry is checked on every request against the cached row, without a save to signal it.
    type(key).objects.filter(pk=key.pk).update(expires_at=timezone.now())
    generations.bump(generations.ACCESS)  # the test's direct UPDATE stands for time passing
    assert api.get("/api/v1/clients").status_code == 401


def test_a_revoked_mobile_session_stops_its_key_at_once():
    user = make_user(["client.read"])
    key, plaintext = make_key(user, purpose="mobile_session")
    session = MobileSession.objects.create(user=user, access_key=key, device_id="phone")
    session.refresh_tokens.create(digest="d" * 64, access_key=key, expires_at=timezone.now())
    api = api_client(plaintext)
    assert api.get("/api/v1/clients").status_code == 200
    session.revoke("test")  # an UPDATE, no signal: it drops the cache itself
    assert api.get("/api/v1/clients").status_code == 401


def test_a_change_published_by_another_process_drops_this_process_cache():
    api, user, _key = api_for(["client.read"])
    assert api.get("/api/v1/clients").status_code == 200
    # Another web process changes the owner: it writes the row and publishes a new generation, and this process
    # gets no signal. The published generation (Redis, or the file in PSA_DATA_DIR) is what this process sees.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api.get("/api/v1/clients").status_code == 200, "no signal here: still cached"
    generations._publish(generations.ACCESS)
    assert api.get("/api/v1/clients").status_code == 401
