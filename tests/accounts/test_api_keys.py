"""``/api-keys``: shown once, stored only as a digest, expiring, revocable, never wider than their creator."""

from __future__ import annotations

import hashlib
import hmac
import string
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import KEY_PREFIX, ApiKey
from tests.factories import api_client, api_for, make_key, make_user
from tests.psa.helpers import data_of, error_of, error_paths, ids_of

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys"
ME = "/api/v1/users/@me"
OWN = ["api_key.read", "api_key.create", "api_key.delete", "user.read", "obj.user.*"]
URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


def in_days(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def secret_of(plaintext: str) -> str:
    prefix, key_id, secret = plaintext.split("_", 2)
    assert prefix == KEY_PREFIX
    assert len(key_id) == 12
    return secret


def create_key(api, **body):
    body.setdefault("description", "laptop")
    body.setdefault("expires_at", in_days(30))
    return api.post(KEYS, body)


# --- listing -------------------------------------------------------------------------------------------------------------


def test_list_shows_only_my_own_keys():
    api, me, my_key = api_for(OWN)
    second, _ = make_key(me, description="second")
    other = make_user(OWN)
    make_key(other)

    assert set(ids_of(api.get(KEYS))) == {str(my_key.pk), str(second.pk)}


def test_list_shows_every_key_with_read_other():
    api, _me, my_key = api_for([*OWN, "api_key.read.other"])
    other_key, _ = make_key(make_user(OWN))

    assert set(ids_of(api.get(KEYS))) == {str(my_key.pk), str(other_key.pk)}


def test_someone_elses_key_is_a_404_without_read_other():
    api, _, _ = api_for(OWN)
    other_key, _ = make_key(make_user(OWN))

    error_of(api.get(f"{KEYS}/{other_key.pk}"), 404, "NOT_FOUND")


def test_get_and_list_never_show_the_key_or_its_digest():
    api, _me, _key = api_for(OWN)
    created = data_of(create_key(api), 201)
    stored = ApiKey.objects.get(pk=created["id"])

    detail = api.get(f"{KEYS}/{created['id']}")
    listing = api.get(KEYS)

    for response in (detail, listing):
        assert response.status_code == 200
        assert created["key"].encode() not in response.content
        assert secret_of(created["key"]).encode() not in response.content
        assert stored.digest.encode() not in response.content
    assert "key" not in data_of(detail)
    assert "digest" not in data_of(detail)
    assert data_of(detail)["prefix"] == stored.prefix
    assert all("key" not in row and "digest" not in row for row in data_of(listing))


# --- creating -------------------------------------------------------------------------------------------------------------


def test_create_returns_the_full_key_once_and_it_authenticates():
    api, me, _ = api_for(OWN)

    response = create_key(api, description="ci runner", purpose="integration")

    data = data_of(response, 201)
    plaintext = data["key"]
    assert plaintext.startswith(f"{KEY_PREFIX}_")
    assert plaintext.startswith(data["prefix"] + "_")
    assert data["description"] == "ci runner"
    assert data["purpose"] == "integration"
    assert data["owner_id"] == str(me.pk)
    assert data["is_active"] is True
    assert "digest" not in data
    assert data_of(api_client(plaintext).get(ME))["id"] == str(me.pk)
    assert ApiKey.objects.get(pk=data["id"]).owner == me


def test_create_stores_only_an_hmac_digest_of_the_secret():
    api, _, _ = api_for(OWN)

    data = data_of(create_key(api), 201)

    stored = ApiKey.objects.get(pk=data["id"])
    secret = secret_of(data["key"])
    pepper = settings.API_KEY_PEPPERS[stored.pepper_version]
    assert stored.digest == hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()
    assert stored.digest != hashlib.sha256(secret.encode()).hexdigest()


def _as_text(value) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def test_the_plaintext_key_is_nowhere_in_the_database():
    api, _, _ = api_for(OWN)
    plaintext = data_of(create_key(api, description="find me"), 201)["key"]
    secret = secret_of(plaintext)
    api_client(plaintext).get(ME)  # used once, so last_used_* and any audit rows exist too

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                text = " ".join(_as_text(value) for value in row)
                if secret in text or plaintext in text:
                    found.append(table)
    assert found == []
    assert ApiKey.objects.filter(description="find me").exists()  # the scan did see the key's own row


def test_keys_carry_at_least_256_bits_of_randomness():
    api, _, _ = api_for(OWN)

    secrets = [secret_of(data_of(create_key(api), 201)["key"]) for _ in range(20)]

    for secret in secrets:
        assert set(secret) <= URLSAFE
        assert len(secret) * 6 >= 256  # base64url: six bits a character
    assert len(set(secrets)) == 20
    assert len({s[:8] for s in secrets}) == 20


@pytest.mark.parametrize("body", [{}, {"expires_at": None}, {"expires_at": ""}, {"expires_at": "next week"}])
def test_expires_at_is_required(body):
    api, _, _ = api_for(OWN)

    response = api.post(KEYS, {"description": "x", **body})

    assert error_paths(response) == [["expires_at"]]
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize("days", [-1, -0.0001, 367, 3650])
def test_expires_at_must_be_in_the_future_and_within_a_year(days):
    api, _, _ = api_for(OWN)

    assert error_paths(create_key(api, expires_at=in_days(days))) == [["expires_at"]]
    assert ApiKey.objects.count() == 1


def test_a_key_for_a_full_year_is_accepted():
    api, _, _ = api_for(OWN)

    assert data_of(create_key(api, expires_at=in_days(365)), 201)


@pytest.mark.parametrize(
    "field, value",
    [
        ("owner_id", "5d1c6a4e-2f0b-4c1e-9a77-0c3b8d2e6f10"),
        ("key", "psa_x"),
        ("is_active", True),
        ("last_used_at", None),
        ("digest", "0"),
    ],
)
def test_create_refuses_fields_a_caller_may_not_set(field, value):
    api, _, _ = api_for(OWN)

    assert error_paths(create_key(api, **{field: value})) == [[field]]
    assert ApiKey.objects.count() == 1


def test_create_refuses_an_unknown_purpose():
    api, _, _ = api_for(OWN)

    assert error_paths(create_key(api, purpose="root")) == [["purpose"]]


def test_create_needs_api_key_create():
    api, _, _ = api_for(["api_key.read"])

    error_of(create_key(api), 403, "FORBIDDEN")
    assert ApiKey.objects.count() == 1


# --- client scope -----------------------------------------------------------------------------------------------------


def test_a_scoped_key_creating_a_key_without_clients_passes_its_scope_on(client_a, client_b):
    api, _, _ = api_for([*OWN, "client.read", "obj.client.*"], key_clients=[client_a])

    data = data_of(create_key(api), 201)

    assert data["client_ids"] == [str(client_a.pk)]
    assert set(ApiKey.objects.get(pk=data["id"]).allowed_clients.all()) == {client_a}
    child = api_client(data["key"])
    assert [row["id"] for row in data_of(child.get("/api/v1/clients"))] == [str(client_a.pk)]
    error_of(child.get(f"/api/v1/clients/{client_b.pk}"), 404, "NOT_FOUND")


def test_a_scoped_user_creating_a_key_without_clients_passes_its_scope_on(client_a, client_b):
    api, _, _ = api_for(OWN, clients=[client_a])

    data = data_of(create_key(api), 201)

    assert set(ApiKey.objects.get(pk=data["id"]).allowed_clients.all()) == {client_a}


def test_a_scoped_key_cannot_create_a_key_for_another_client(client_a, client_b):
    api, _, _ = api_for(OWN, key_clients=[client_a])

    response = create_key(api, client_ids=[str(client_b.pk)])

    assert error_paths(response)[0][0] == "client_ids"
    assert ApiKey.objects.count() == 1


def test_a_caller_that_sees_no_client_cannot_issue_an_unscoped_key(client_a, client_b):
    api, _, _ = api_for(OWN, clients=[client_a], key_clients=[client_b])

    error_of(create_key(api), 403, "FORBIDDEN")
    assert ApiKey.objects.count() == 1


def test_an_unscoped_caller_may_narrow_a_new_key(client_a, client_b):
    api, _, _ = api_for(OWN)

    data = data_of(create_key(api, client_ids=[str(client_b.pk)]), 201)

    assert data["client_ids"] == [str(client_b.pk)]


# --- deactivating ------------------------------------------------------------------------------------------------------


def test_delete_deactivates_and_the_key_stops_working():
    api, me, _ = api_for(OWN)
    doomed, plaintext = make_key(me)
    assert api_client(plaintext).get(ME).status_code == 200

    response = api.delete(f"{KEYS}/{doomed.pk}")

    assert response.status_code == 204
    assert response.content == b""
    doomed.refresh_from_db()
    assert doomed.is_active is False
    assert doomed.revoked_at is not None
    error_of(api_client(plaintext).get(ME), 401, "UNAUTHORIZED")
    assert data_of(api.get(f"{KEYS}/{doomed.pk}"))["is_active"] is False


def test_a_key_can_deactivate_itself():
    api, _, key = api_for(OWN)

    assert api.delete(f"{KEYS}/{key.pk}").status_code == 204

    error_of(api.get(ME), 401, "UNAUTHORIZED")


def test_deleting_someone_elses_key_without_read_other_is_a_404():
    api, _, _ = api_for(OWN)
    other_key, _plaintext = make_key(make_user(OWN))

    error_of(api.delete(f"{KEYS}/{other_key.pk}"), 404, "NOT_FOUND")
    other_key.refresh_from_db()
    assert other_key.is_active is True


def test_deleting_someone_elses_key_without_delete_other_is_a_403():
    api, _, _ = api_for([*OWN, "api_key.read.other"])
    other_key, plaintext = make_key(make_user(OWN))

    error_of(api.delete(f"{KEYS}/{other_key.pk}"), 403, "FORBIDDEN")
    other_key.refresh_from_db()
    assert other_key.is_active is True
    assert api_client(plaintext).get(ME).status_code == 200


def test_deleting_someone_elses_key_with_delete_other_works():
    api, _, _ = api_for([*OWN, "api_key.read.other", "api_key.delete.other"])
    other_key, plaintext = make_key(make_user(OWN))

    assert api.delete(f"{KEYS}/{other_key.pk}").status_code == 204

    error_of(api_client(plaintext).get(ME), 401, "UNAUTHORIZED")


# --- last_used_at ------------------------------------------------------------------------------------------------------


def _key_updates(queries) -> int:
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("UPDATE") and "accounts_apikey" in query["sql"]
    )


def test_last_used_at_is_written_at_most_once_a_minute(monkeypatch):
    api, _, key = api_for(OWN)
    start = timezone.now()
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])

    with CaptureQueriesContext(connection) as first_burst:
        for second in range(0, 60, 5):
            clock["now"] = start + timedelta(seconds=second)
            assert api.get(ME).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == start
    assert _key_updates(first_burst) == 1

    with CaptureQueriesContext(connection) as second_burst:
        for second in (61, 62, 100, 120):
            clock["now"] = start + timedelta(seconds=second)
            assert api.get(ME).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == start + timedelta(seconds=61)
    assert _key_updates(second_burst) == 1


def test_last_used_at_records_the_address():
    api, _, key = api_for(OWN)

    api.get(ME, REMOTE_ADDR="198.51.100.4")

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_ip == "198.51.100.4"


def test_a_failed_authentication_does_not_touch_last_used_at():
    _, me, _key = api_for(OWN)
    _, plaintext = make_key(me)
    wrong = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")

    assert api_client(wrong).get(ME).status_code == 401

    assert not ApiKey.objects.filter(last_used_at__isnull=False).exists()
