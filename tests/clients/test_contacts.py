"""``/contacts``: CRUD, filters, the client relation within scope, one primary contact per client."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Contact
from tests.factories import api_for, make_contact
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts"
NODES = ["contact.*", "client.read", "obj.contact.*", "obj.client.*"]


@pytest.fixture
def api():
    client, _, _ = api_for(NODES)
    return client


def first_names(response) -> list[str]:
    return [row["first_name"] for row in data_of(response)]


def test_create_and_read_a_contact(api, client_a):
    data = data_of(
        api.post(
            CONTACTS,
            {
                "client_id": str(client_a.pk),
                "first_name": "Ann",
                "last_name": "Lee",
                "email": "ann@example.com",
                "title": "CTO",
            },
        ),
        201,
    )

    assert data["client_id"] == str(client_a.pk)
    assert data["name"] == "Ann Lee"
    assert data["email"] == "ann@example.com"
    assert data["is_primary"] is False
    assert data["is_active"] is True
    assert data_of(api.get(f"{CONTACTS}/{data['id']}")) == data
    assert Contact.objects.get(pk=data["id"]).client == client_a


def test_create_needs_a_client_and_a_first_name(api, client_a):
    assert error_paths(api.post(CONTACTS, {"first_name": "Ann"})) == [["client_id"]]
    assert error_paths(api.post(CONTACTS, {"client_id": str(client_a.pk)})) == [["first_name"]]
    assert error_paths(api.post(CONTACTS, {"client_id": str(uuid.uuid4()), "first_name": "Ann"})) == [["client_id"]]
    assert error_paths(api.post(CONTACTS, {"client_id": "nope", "first_name": "Ann"})) == [["client_id"]]
    assert not Contact.objects.exists()


def test_a_bad_email_is_a_400(api, client_a):
    response = api.post(CONTACTS, {"client_id": str(client_a.pk), "first_name": "Ann", "email": "ann-at-example"})

    assert error_paths(response) == [["email"]]


def test_name_is_read_only(api, client_a):
    response = api.post(CONTACTS, {"client_id": str(client_a.pk), "first_name": "Ann", "name": "Someone Else"})

    assert error_paths(response) == [["name"]]
    assert not Contact.objects.exists()


# --- filters ------------------------------------------------------------------------------------------------------------


def test_client_id_filter(api, client_a, client_b):
    make_contact(client_a, first_name="Ann")
    make_contact(client_b, first_name="Bob")

    assert first_names(api.get(CONTACTS, {"client_id": str(client_a.pk)})) == ["Ann"]
    assert first_names(api.get(CONTACTS, {"client_id": str(client_b.pk)})) == ["Bob"]
    assert first_names(api.get(CONTACTS, {"client_id": str(uuid.uuid4())})) == []


def test_search_filter(api, client_a):
    make_contact(client_a, first_name="Ann", last_name="Lee", email="ann@acme.test")
    make_contact(client_a, first_name="Bob", last_name="Stone", email="bob@globex.test")

    assert first_names(api.get(CONTACTS, {"search": "ACME"})) == ["Ann"]
    assert first_names(api.get(CONTACTS, {"search": "stone"})) == ["Bob"]


def test_is_active_filter(api, client_a):
    make_contact(client_a, first_name="Ann")
    make_contact(client_a, first_name="Old", is_active=False)

    assert first_names(api.get(CONTACTS, {"is_active": "true"})) == ["Ann"]
    assert first_names(api.get(CONTACTS, {"is_active": "false"})) == ["Old"]


def test_updated_since_filter(api, client_a):
    stale = make_contact(client_a, first_name="Stale")
    make_contact(client_a, first_name="Fresh")
    Contact.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=30))

    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert first_names(api.get(CONTACTS, {"updated_since": since})) == ["Fresh"]


def test_default_order_is_by_last_name(api, client_a):
    make_contact(client_a, first_name="Zed", last_name="Adams")
    make_contact(client_a, first_name="Amy", last_name="Carter")
    make_contact(client_a, first_name="Al", last_name="Brown")

    assert first_names(api.get(CONTACTS)) == ["Zed", "Al", "Amy"]
    assert first_names(api.get(CONTACTS, {"order": "desc"})) == ["Amy", "Al", "Zed"]
    assert first_names(api.get(CONTACTS, {"sort": "first_name", "order": "desc"})) == ["Zed", "Amy", "Al"]


# --- scope --------------------------------------------------------------------------------------------------------------


def test_creating_a_contact_for_a_client_outside_the_scope_is_a_400(client_a, client_b):
    api, _, _ = api_for(NODES, clients=[client_a])

    response = api.post(CONTACTS, {"client_id": str(client_b.pk), "first_name": "Eve"})

    assert error_paths(response) == [["client_id"]]
    assert not Contact.objects.exists()


def test_creating_a_contact_for_a_client_outside_the_keys_scope_is_a_400(client_a, client_b):
    api, _, _ = api_for(NODES, key_clients=[client_a])

    assert error_paths(api.post(CONTACTS, {"client_id": str(client_b.pk), "first_name": "Eve"})) == [["client_id"]]
    assert not Contact.objects.exists()


def test_moving_a_contact_to_a_client_outside_the_scope_is_a_400(client_a, client_b):
    contact = make_contact(client_a, first_name="Ann")
    api, _, _ = api_for(NODES, clients=[client_a])

    assert error_paths(api.patch(f"{CONTACTS}/{contact.pk}", {"client_id": str(client_b.pk)})) == [["client_id"]]
    contact.refresh_from_db()
    assert contact.client == client_a


# --- primary contact ----------------------------------------------------------------------------------------------------


def test_only_one_primary_contact_per_client(api, client_a, client_b):
    make_contact(client_a, first_name="Boss", is_primary=True)

    second = api.post(CONTACTS, {"client_id": str(client_a.pk), "first_name": "Also", "is_primary": True})
    elsewhere = api.post(CONTACTS, {"client_id": str(client_b.pk), "first_name": "Other", "is_primary": True})

    assert error_paths(second) == [["is_primary"]]
    assert data_of(elsewhere, 201)["is_primary"] is True
    assert Contact.objects.filter(client=client_a, is_primary=True).count() == 1


def test_promoting_a_second_primary_is_a_400_but_the_primary_itself_may_be_edited(api, client_a):
    boss = make_contact(client_a, first_name="Boss", is_primary=True)
    other = make_contact(client_a, first_name="Other")

    assert error_paths(api.patch(f"{CONTACTS}/{other.pk}", {"is_primary": True})) == [["is_primary"]]
    data_of(api.patch(f"{CONTACTS}/{boss.pk}", {"is_primary": True, "title": "CEO"}))
    data_of(api.patch(f"{CONTACTS}/{boss.pk}", {"is_primary": False}))
    data_of(api.patch(f"{CONTACTS}/{other.pk}", {"is_primary": True}))

    assert list(Contact.objects.filter(is_primary=True).values_list("first_name", flat=True)) == ["Other"]


def test_moving_a_primary_contact_onto_a_client_with_one_is_a_400(api, client_a, client_b):
    make_contact(client_a, first_name="BossA", is_primary=True)
    boss_b = make_contact(client_b, first_name="BossB", is_primary=True)

    assert error_paths(api.patch(f"{CONTACTS}/{boss_b.pk}", {"client_id": str(client_a.pk)})) == [["is_primary"]]
    boss_b.refresh_from_db()
    assert boss_b.client == client_b


# --- update and delete ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_changes_only_the_fields_sent(api, client_a, method):
    contact = make_contact(client_a, first_name="Ann", last_name="Lee", email="ann@example.com")

    data_of(getattr(api, method)(f"{CONTACTS}/{contact.pk}", {"title": "CTO"}))

    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.email, contact.title) == (
        "Ann",
        "Lee",
        "ann@example.com",
        "CTO",
    )
    assert contact.client == client_a


def test_delete_then_404(api, client_a):
    contact = make_contact(client_a)

    assert api.delete(f"{CONTACTS}/{contact.pk}").status_code == 204

    assert not Contact.objects.filter(pk=contact.pk).exists()
    error_of(api.get(f"{CONTACTS}/{contact.pk}"), 404, "NOT_FOUND")
    error_of(api.delete(f"{CONTACTS}/{contact.pk}"), 404, "NOT_FOUND")
