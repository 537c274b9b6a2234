"""Field-level gating (seed 004): only the fields the caller holds ``obj.<scope>.<field>`` for, absent otherwise."""

from __future__ import annotations

import pytest

from clients.api.serializers import ClientSerializer
from clients.models import Client
from tests.factories import api_for, make_client
from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients"


def readable_client_fields() -> set[str]:
    serializer = ClientSerializer()
    return {name for name, field in serializer.fields.items() if not field.write_only}


@pytest.fixture
def acme():
    return make_client("Acme", identifier="ACME", website="https://acme.example", notes="secret-ish notes")


def test_only_granted_fields_are_present_in_lists_and_details(acme):
    api, _, _ = api_for(["client.read", "obj.client.name"])

    row = data_of(api.get(CLIENTS))[0]
    detail = data_of(api.get(f"{CLIENTS}/{acme.pk}"))

    assert row == {"id": str(acme.pk), "name": "Acme"}
    assert detail == {"id": str(acme.pk), "name": "Acme"}


def test_gated_fields_are_absent_not_null(acme):
    api, _, _ = api_for(["client.read", "obj.client.name", "obj.client.website"])

    detail = data_of(api.get(f"{CLIENTS}/{acme.pk}"))

    assert set(detail) == {"id", "name", "website"}
    assert "notes" not in detail
    assert "identifier" not in detail


def test_without_any_field_node_only_the_id_is_shown(acme):
    api, _, _ = api_for(["client.read"])

    assert data_of(api.get(f"{CLIENTS}/{acme.pk}")) == {"id": str(acme.pk)}


@pytest.mark.parametrize("grant", ["obj.client.*", "obj.*", "*"])
def test_a_wildcard_shows_every_field(acme, grant):
    api, _, _ = api_for(["client.read", grant])

    detail = data_of(api.get(f"{CLIENTS}/{acme.pk}"))

    assert set(detail) >= readable_client_fields()
    assert detail["notes"] == "secret-ish notes"
    assert detail["identifier"] == "ACME"


def test_another_objects_wildcard_does_not_open_this_one(acme):
    api, _, _ = api_for(["client.read", "obj.contact.*", "obj.clientele.*"])

    assert data_of(api.get(f"{CLIENTS}/{acme.pk}")) == {"id": str(acme.pk)}


def test_writing_a_gated_field_is_a_403_and_nothing_changes(acme):
    api, _, _ = api_for(["client.read", "client.update", "obj.client.name"])

    response = api.patch(f"{CLIENTS}/{acme.pk}", {"name": "Acme 2", "notes": "overwritten"})

    error = error_of(response, 403, "FORBIDDEN")
    assert "notes" in error["message"]
    acme.refresh_from_db()
    assert (acme.name, acme.notes) == ("Acme", "secret-ish notes")


def test_writing_a_visible_field_works_and_answers_with_visible_fields_only(acme):
    api, _, _ = api_for(["client.read", "client.update", "obj.client.name"])

    data = data_of(api.patch(f"{CLIENTS}/{acme.pk}", {"name": "Acme 2"}))

    assert data == {"id": str(acme.pk), "name": "Acme 2"}
    acme.refresh_from_db()
    assert acme.name == "Acme 2"


def test_creating_with_a_gated_field_is_a_403_and_nothing_is_created():
    api, _, _ = api_for(["client.read", "client.create", "obj.client.name"])

    response = api.post(CLIENTS, {"name": "Hooli", "website": "https://hooli.example"})

    error_of(response, 403, "FORBIDDEN")
    assert not Client.objects.filter(name="Hooli").exists()


def test_user_objects_are_gated_on_me_too():
    api, user, _ = api_for(["user.read", "obj.user.login", "obj.user.email"])

    data = data_of(api.get("/api/v1/users/@me"))

    assert data == {"id": str(user.pk), "login": user.login, "email": user.email}


def test_updating_me_with_a_gated_field_is_a_403():
    api, user, _ = api_for(["user.read", "user.write", "obj.user.name"])

    error_of(api.patch("/api/v1/users/@me", {"name": "Me", "email": "new@example.com"}), 403, "FORBIDDEN")
    user.refresh_from_db()
    assert user.name == ""
    assert user.email != "new@example.com"


def test_role_objects_are_gated():
    api, _, _ = api_for(["role.read", "role.list", "obj.role.moniker"])

    rows = data_of(api.get("/api/v1/roles"))

    assert rows and all(set(row) == {"id", "moniker"} for row in rows)
    assert "admin" in {row["moniker"] for row in rows}
