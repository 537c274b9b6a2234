"""Client scope: outside it an object does not exist (404, never in a list or a count)."""

from __future__ import annotations

import pytest

from clients.models import Client, Contact
from tests.factories import api_for, make_client, make_contact
from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db

NODES = ["client.*", "contact.*", "obj.client.*", "obj.contact.*"]


@pytest.fixture
def world(client_a, client_b):
    return {
        "a": client_a,
        "b": client_b,
        "contact_a": make_contact(client_a, first_name="Ann"),
        "contact_b": make_contact(client_b, first_name="Bob"),
    }


def listed(api, path: str, **params) -> tuple[set[str], int]:
    body = api.get(path, {"limit": 100, **params}).json()
    return {row["id"] for row in body["data"]}, body["pagination"]["total"]


def assert_sees_only_a(api, world) -> None:
    a, b = world["a"], world["b"]
    assert listed(api, "/api/v1/clients") == ({str(a.pk)}, 1)
    assert listed(api, "/api/v1/contacts") == ({str(world["contact_a"].pk)}, 1)
    assert listed(api, "/api/v1/clients", search="Client B") == (set(), 0)
    assert listed(api, "/api/v1/contacts", client_id=str(b.pk)) == (set(), 0)
    assert data_of(api.get(f"/api/v1/clients/{a.pk}"))["name"] == "Client A"
    assert data_of(api.get(f"/api/v1/contacts/{world['contact_a'].pk}"))["first_name"] == "Ann"


def assert_b_does_not_exist(api, world) -> None:
    b, contact_b = world["b"], world["contact_b"]
    for path in (f"/api/v1/clients/{b.pk}", f"/api/v1/contacts/{contact_b.pk}"):
        error_of(api.get(path), 404, "NOT_FOUND")
        error_of(api.patch(path, {"notes": "x"} if "clients" in path else {"title": "x"}), 404, "NOT_FOUND")
        error_of(api.put(path, {"name": "Taken"} if "clients" in path else {"first_name": "Taken"}), 404, "NOT_FOUND")
        error_of(api.delete(path), 404, "NOT_FOUND")
    b.refresh_from_db()
    contact_b.refresh_from_db()
    assert (b.name, b.notes) == ("Client B", "")
    assert (contact_b.first_name, contact_b.title) == ("Bob", "")


def test_a_user_limited_to_a_sees_only_a(world):
    api, _, _ = api_for(NODES, clients=[world["a"]])

    assert_sees_only_a(api, world)
    assert_b_does_not_exist(api, world)


def test_a_key_limited_to_a_narrows_an_unscoped_user(world):
    api, user, _ = api_for(NODES, key_clients=[world["a"]])
    assert user.client_scope() is None

    assert_sees_only_a(api, world)
    assert_b_does_not_exist(api, world)


def test_a_key_limited_to_a_narrows_a_user_limited_to_a_and_b(world):
    api, _, _ = api_for(NODES, clients=[world["a"], world["b"]], key_clients=[world["a"]])

    assert_sees_only_a(api, world)
    assert_b_does_not_exist(api, world)


def test_user_scope_a_and_key_scope_b_see_nothing(world):
    api, _, _ = api_for(NODES, clients=[world["a"]], key_clients=[world["b"]])

    assert listed(api, "/api/v1/clients") == (set(), 0)
    assert listed(api, "/api/v1/contacts") == (set(), 0)
    for client in (world["a"], world["b"]):
        error_of(api.get(f"/api/v1/clients/{client.pk}"), 404, "NOT_FOUND")
    for contact in (world["contact_a"], world["contact_b"]):
        error_of(api.get(f"/api/v1/contacts/{contact.pk}"), 404, "NOT_FOUND")
    for client in (world["a"], world["b"]):
        response = api.post("/api/v1/contacts", {"client_id": str(client.pk), "first_name": "Eve"})
        error_of(response, 400, "VALIDATION_ERROR")
    assert Contact.objects.count() == 2


def test_an_unscoped_user_and_key_see_everything(world):
    api, _, _ = api_for(NODES)

    ids, total = listed(api, "/api/v1/clients")
    assert ids == {str(world["a"].pk), str(world["b"].pk)}
    assert total == 2


def test_deletes_outside_the_scope_leave_the_rows(world):
    api, _, _ = api_for(NODES, clients=[world["a"]])

    api.delete(f"/api/v1/clients/{world['b'].pk}")
    api.delete(f"/api/v1/contacts/{world['contact_b'].pk}")

    assert Client.objects.filter(pk=world["b"].pk).exists()
    assert Contact.objects.filter(pk=world["contact_b"].pk).exists()


def test_a_scope_that_gains_a_client_sees_it(world):
    third = make_client("Client C")
    api, user, _ = api_for(NODES, clients=[world["a"]])
    assert str(third.pk) not in listed(api, "/api/v1/clients")[0]

    user.allowed_clients.add(third)

    assert listed(api, "/api/v1/clients")[0] == {str(world["a"].pk), str(third.pk)}
