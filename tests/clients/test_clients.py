"""``/clients``: CRUD, filters, identifiers, archiving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Client, Contact
from tests.factories import api_for, make_client, make_contact
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients"


@pytest.fixture
def api():
    client, _, _ = api_for(["client.*", "obj.client.*"])
    return client


def names(response) -> list[str]:
    return [row["name"] for row in data_of(response)]


def test_create_and_read_a_client(api):
    data = data_of(
        api.post(CLIENTS, {"name": "Acme", "identifier": "ACME", "type": "prospect", "website": "https://acme.test"}),
        201,
    )

    assert data["name"] == "Acme"
    assert data["identifier"] == "ACME"
    assert data["type"] == "prospect"
    assert data["is_active"] is True
    assert data["archived_at"] is None
    assert data_of(api.get(f"{CLIENTS}/{data['id']}")) == data
    assert Client.objects.get(pk=data["id"]).website == "https://acme.test"


def test_create_needs_a_name(api):
    assert error_paths(api.post(CLIENTS, {"identifier": "X"})) == [["name"]]
    assert error_paths(api.post(CLIENTS, {"name": ""})) == [["name"]]
    assert not Client.objects.exists()


def test_create_refuses_an_unknown_type(api):
    assert error_paths(api.post(CLIENTS, {"name": "Acme", "type": "overlord"})) == [["type"]]


# --- filters ------------------------------------------------------------------------------------------------------------


def test_search_matches_name_and_identifier_case_insensitively(api):
    make_client("Acme Corporation", identifier="ACME")
    make_client("Globex", identifier="GLX-ACM")
    make_client("Initech", identifier="INI")

    assert names(api.get(CLIENTS, {"search": "acme"})) == ["Acme Corporation"]
    assert names(api.get(CLIENTS, {"search": "ACM"})) == ["Acme Corporation", "Globex"]
    assert names(api.get(CLIENTS, {"search": "nothing-like-it"})) == []


def test_is_active_filter(api):
    make_client("Live")
    make_client("Gone", archived_at=timezone.now())

    assert names(api.get(CLIENTS, {"is_active": "true"})) == ["Live"]
    assert names(api.get(CLIENTS, {"is_active": "false"})) == ["Gone"]
    assert names(api.get(CLIENTS)) == ["Gone", "Live"]


def test_client_id_filter(api):
    wanted = make_client("Wanted")
    make_client("Other")

    assert names(api.get(CLIENTS, {"client_id": str(wanted.pk)})) == ["Wanted"]
    assert error_paths(api.get(CLIENTS, {"client_id": "not-a-uuid"})) == [["client_id"]]


def test_updated_since_filter(api):
    old = make_client("Old")
    make_client("New")
    Client.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    assert names(api.get(CLIENTS, {"updated_since": since})) == ["New"]
    assert error_paths(api.get(CLIENTS, {"updated_since": "yesterday"})) == [["updated_since"]]


def test_filters_combine_with_pagination_totals(api):
    for i in range(4):
        make_client(f"Match {i}")
    make_client("Else")

    body = api.get(CLIENTS, {"search": "match", "limit": 3}).json()

    assert body["pagination"]["total"] == 4
    assert body["pagination"]["totalPages"] == 2
    assert len(body["data"]) == 3


# --- identifier ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["ACME", "acme", "Acme", " acme "])
def test_identifier_is_unique_case_insensitively(api, identifier):
    make_client("Acme", identifier="ACME")

    assert error_paths(api.post(CLIENTS, {"name": "Copycat", "identifier": identifier})) == [["identifier"]]
    assert not Client.objects.filter(name="Copycat").exists()


def test_changing_identifier_to_another_clients_is_a_400(api):
    make_client("Acme", identifier="ACME")
    globex = make_client("Globex", identifier="GLX")

    assert error_paths(api.patch(f"{CLIENTS}/{globex.pk}", {"identifier": "acme"})) == [["identifier"]]
    globex.refresh_from_db()
    assert globex.identifier == "GLX"


def test_a_client_may_keep_or_recase_its_own_identifier(api):
    acme = make_client("Acme", identifier="ACME")

    data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"identifier": "ACME", "name": "Acme Inc"}))
    data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"identifier": "Acme"}))

    acme.refresh_from_db()
    assert (acme.name, acme.identifier) == ("Acme Inc", "Acme")


def test_blank_identifiers_do_not_clash(api):
    data_of(api.post(CLIENTS, {"name": "One", "identifier": ""}), 201)
    data_of(api.post(CLIENTS, {"name": "Two", "identifier": ""}), 201)
    data_of(api.post(CLIENTS, {"name": "Three"}), 201)

    assert list(Client.objects.values_list("identifier", flat=True)) == [None, None, None]


# --- archiving ------------------------------------------------------------------------------------------------------------


def test_is_active_false_archives_and_true_restores(api):
    acme = make_client("Acme")

    archived = data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"is_active": False}))
    acme.refresh_from_db()
    archived_at = acme.archived_at
    assert archived["is_active"] is False
    assert archived["archived_at"] is not None
    assert archived_at is not None

    again = data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"is_active": False}))
    acme.refresh_from_db()
    assert acme.archived_at == archived_at  # archiving twice keeps the first date
    assert again["is_active"] is False

    restored = data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"is_active": True}))
    acme.refresh_from_db()
    assert restored["is_active"] is True
    assert restored["archived_at"] is None
    assert acme.archived_at is None


def test_a_client_can_be_created_archived(api):
    data = data_of(api.post(CLIENTS, {"name": "Dormant", "is_active": False}), 201)

    assert data["is_active"] is False
    assert Client.objects.get(pk=data["id"]).archived_at is not None


# --- update and delete ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_changes_only_the_fields_sent(api, method):
    acme = make_client("Acme", identifier="ACME", website="https://acme.test", notes="keep me")

    data = data_of(getattr(api, method)(f"{CLIENTS}/{acme.pk}", {"notes": "new notes"}))

    acme.refresh_from_db()
    assert (acme.name, acme.identifier, acme.website, acme.notes) == ("Acme", "ACME", "https://acme.test", "new notes")
    assert data["name"] == "Acme"


def test_update_validates_like_create(api):
    acme = make_client("Acme")

    assert error_paths(api.patch(f"{CLIENTS}/{acme.pk}", {"name": ""})) == [["name"]]
    assert error_paths(api.patch(f"{CLIENTS}/{acme.pk}", {"website": "not a url"})) == [["website"]]
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_delete_then_404(api):
    acme = make_client("Acme")
    make_contact(acme)

    response = api.delete(f"{CLIENTS}/{acme.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Client.objects.filter(pk=acme.pk).exists()
    assert not Contact.objects.filter(client_id=acme.pk).exists()
    error_of(api.get(f"{CLIENTS}/{acme.pk}"), 404, "NOT_FOUND")
    error_of(api.delete(f"{CLIENTS}/{acme.pk}"), 404, "NOT_FOUND")
    error_of(api.patch(f"{CLIENTS}/{acme.pk}", {"name": "Back"}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "method, nodes",
    [
        ("post", ["client.read", "client.update", "client.delete"]),
        ("patch", ["client.read", "client.create", "client.delete"]),
        ("delete", ["client.read", "client.create", "client.update"]),
    ],
)
def test_each_write_needs_its_own_node(method, nodes):
    acme = make_client("Acme")
    api, _, _ = api_for([*nodes, "obj.client.*"])
    path = CLIENTS if method == "post" else f"{CLIENTS}/{acme.pk}"

    error_of(getattr(api, method)(path, {"name": "Changed"}), 403, "FORBIDDEN")

    assert list(Client.objects.values_list("name", flat=True)) == ["Acme"]
