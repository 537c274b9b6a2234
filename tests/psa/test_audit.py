"""The audit log: every write through the API is recorded, secrets never are, and reading it is scoped."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey, User
from clients.models import Client
from psa import audit
from psa.models import AuditEvent
from tests.factories import api_for, make_client, make_contact, make_role, make_user
from tests.psa.helpers import data_of, error_of, ids_of

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def only_event(**filters) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, [(e.action, e.object_type, e.changes) for e in events]
    return events[0]


def test_create_records_actor_key_action_object_changes_ip_and_client(admin_api):
    api, user, key = admin_api

    data = data_of(api.post("/api/v1/clients", {"name": "Acme", "identifier": "ACME"}, REMOTE_ADDR=IP), 201)

    event = only_event(object_type="clients.client")
    assert event.action == "create"
    assert event.object_id == data["id"]
    assert event.actor_id == user.pk
    assert event.actor_name == user.login
    assert event.api_key_id == key.pk
    assert event.ip_address == IP
    assert str(event.client_id) == data["id"]
    assert event.outcome == "success"
    assert event.changes["name"] == {"old": None, "new": "Acme"}
    assert event.changes["identifier"] == {"old": None, "new": "ACME"}


def test_update_records_only_the_changed_fields_with_old_and_new(admin_api):
    api, user, key = admin_api
    client = make_client("Acme", notes="old notes")

    response = api.patch(f"/api/v1/clients/{client.pk}", {"name": "Acme Ltd", "notes": "old notes"}, REMOTE_ADDR=IP)

    assert response.status_code == 200
    event = only_event(action="update")
    assert event.object_type == "clients.client"
    assert event.object_id == str(client.pk)
    assert event.changes == {"name": {"old": "Acme", "new": "Acme Ltd"}}
    assert (event.actor_id, event.api_key_id, event.ip_address, event.client_id) == (user.pk, key.pk, IP, client.pk)


def test_delete_records_the_old_values(admin_api):
    api, user, key = admin_api
    client = make_client("Acme")
    contact = make_contact(client, first_name="Ann", email="ann@example.com")

    assert api.delete(f"/api/v1/contacts/{contact.pk}", REMOTE_ADDR=IP).status_code == 204

    event = only_event(action="delete")
    assert event.object_type == "clients.contact"
    assert event.object_id == str(contact.pk)
    assert event.client_id == client.pk
    assert event.changes["first_name"] == {"old": "Ann", "new": None}
    assert event.changes["email"] == {"old": "ann@example.com", "new": None}
    assert (event.actor_id, event.api_key_id, event.ip_address) == (user.pk, key.pk, IP)


def test_contact_writes_are_attributed_to_the_contacts_client(admin_api):
    api, _, _ = admin_api
    client = make_client()

    contact_id = data_of(api.post("/api/v1/contacts", {"client_id": str(client.pk), "first_name": "Bo"}), 201)["id"]
    api.patch(f"/api/v1/contacts/{contact_id}", {"title": "CTO"})

    events = AuditEvent.objects.filter(object_type="clients.contact", object_id=contact_id)
    assert sorted(e.action for e in events) == ["create", "update"]
    assert {e.client_id for e in events} == {client.pk}
    assert events.get(action="create").changes["client"] == {"old": None, "new": str(client.pk)}


def test_a_refused_write_leaves_no_audit_event(admin_api):
    api, _, _ = admin_api
    client = make_client("Acme")

    api.post("/api/v1/clients", {"name": "x", "bogus": 1})
    api.patch(f"/api/v1/clients/{client.pk}", {"type": "not-a-type"})

    assert not AuditEvent.objects.exists()


def test_role_user_and_me_writes_are_audited(admin_api):
    api, admin, _ = admin_api
    target = make_user(["client.read"])

    role_id = data_of(api.post("/api/v1/roles", {"title": "Helpdesk", "moniker": "helpdesk"}), 201)["id"]
    api.post(f"/api/v1/roles/{role_id}/permissions", {"permissions": ["client.read"]})
    api.patch(f"/api/v1/users/{target.pk}", {"roles": ["helpdesk"], "name": "Target"})
    api.patch("/api/v1/users/@me", {"name": "The Admin"})

    role_events = AuditEvent.objects.filter(object_type="accounts.role", object_id=role_id).order_by("created_at")
    assert [e.action for e in role_events] == ["create", "update"]
    assert role_events[1].changes == {"permissions": {"old": [], "new": ["client.read"]}}
    user_event = only_event(object_type="accounts.user", object_id=str(target.pk))
    assert user_event.changes == {"name": {"old": "", "new": "Target"}, "roles": {"old": [], "new": [role_id]}}
    me_event = only_event(object_type="accounts.user", object_id=str(admin.pk))
    assert me_event.changes == {"name": {"old": "", "new": "The Admin"}}


def test_the_password_hash_never_reaches_the_audit_log(admin_api):
    """Nobody sets another user's password through the API (issue 8); own changes are audited without values
    (tests/accounts/test_passwords.py). A refused attempt stores and audits nothing."""
    api, _, _ = admin_api
    target = make_user(["client.read"])
    before = target.password

    response = api.patch(f"/api/v1/users/{target.pk}", {"name": "Renamed", "password": "A-new-long-pass-phrase-42"})

    assert response.status_code == 400
    target.refresh_from_db()
    assert target.password == before and target.name != "Renamed"
    assert not AuditEvent.objects.filter(object_type="accounts.user", object_id=str(target.pk)).exists()
    dumped = json.dumps([e.changes for e in AuditEvent.objects.all()])
    assert "A-new-long-pass-phrase-42" not in dumped and (not before or before not in dumped)


def test_api_key_digest_and_plaintext_never_reach_the_audit_log(admin_api):
    api, _, _ = admin_api
    expires = (timezone.now() + timedelta(days=10)).isoformat()

    created = data_of(api.post("/api/v1/api-keys", {"description": "ci", "expires_at": expires}), 201)
    assert api.delete(f"/api/v1/api-keys/{created['id']}").status_code == 204

    key = ApiKey.objects.get(pk=created["id"])
    events = AuditEvent.objects.filter(object_type="accounts.apikey", object_id=created["id"])
    assert sorted(e.action for e in events) == ["create", "deactivate"]
    assert events.get(action="deactivate").changes["is_active"] == {"old": True, "new": False}
    dumped = json.dumps([e.changes for e in AuditEvent.objects.all()])
    for secret_field in ("digest", "pepper_version"):
        assert all(secret_field not in e.changes for e in events)
    assert key.digest not in dumped
    assert created["key"] not in dumped
    assert created["key"].split("_", 2)[2] not in dumped


def test_a_write_made_through_the_session_is_attributed_to_the_user_without_a_key():
    from rest_framework.test import APIClient

    user = make_user(["client.create", "obj.*"])
    api = APIClient()
    api.force_authenticate(user=user)

    data_of(api.post("/api/v1/clients", {"name": "Acme"}), 201)

    event = only_event(object_type="clients.client")
    assert event.actor_id == user.pk
    assert event.api_key_id is None


# --- reading the audit log ---------------------------------------------------------------------------------------------


def _events_for(client_a, client_b):
    admin, _, _ = api_for(["*"])
    a_id = data_of(admin.post("/api/v1/contacts", {"client_id": str(client_a.pk), "first_name": "A"}), 201)["id"]
    b_id = data_of(admin.post("/api/v1/contacts", {"client_id": str(client_b.pk), "first_name": "B"}), 201)["id"]
    role_id = data_of(admin.post("/api/v1/roles", {"title": "R", "moniker": "r"}), 201)["id"]
    return a_id, b_id, role_id


def test_audit_events_need_audit_read():
    api, _, _ = api_for(["client.read", "obj.*"])

    error_of(api.get("/api/v1/audit-events"), 403, "FORBIDDEN")


def test_audit_events_list_shows_every_event_to_an_unscoped_reader(client_a, client_b):
    a_id, b_id, role_id = _events_for(client_a, client_b)
    api, _, _ = api_for(["audit.read", "obj.*"])

    rows = data_of(api.get("/api/v1/audit-events", {"limit": 100}))

    assert {row["object_id"] for row in rows} == {a_id, b_id, role_id}
    row = next(r for r in rows if r["object_id"] == a_id)
    assert row["action"] == "create"
    assert row["object_type"] == "clients.contact"
    assert row["client_id"] == str(client_a.pk)
    assert row["changes"]["first_name"] == {"old": None, "new": "A"}
    assert {"actor_id", "api_key_id", "ip_address", "created_at"} <= set(row)


def test_a_client_scoped_reader_sees_only_its_clients_events(client_a, client_b):
    a_id, b_id, _role_id = _events_for(client_a, client_b)
    b_event = AuditEvent.objects.get(object_id=b_id)
    api, _, _ = api_for(["audit.read"], clients=[client_a])

    body = api.get("/api/v1/audit-events", {"limit": 100}).json()

    assert [row["object_id"] for row in body["data"]] == [a_id]
    assert body["pagination"]["total"] == 1
    error_of(api.get(f"/api/v1/audit-events/{b_event.pk}"), 404, "NOT_FOUND")
    assert data_of(api.get("/api/v1/audit-events", {"client_id": str(client_b.pk)})) == []


def test_a_client_scoped_key_sees_only_its_clients_events(client_a, client_b):
    a_id, _, _ = _events_for(client_a, client_b)
    api, _, _ = api_for(["audit.read"], key_clients=[client_a])

    assert [row["object_id"] for row in data_of(api.get("/api/v1/audit-events"))] == [a_id]


def test_audit_events_filter_by_object_and_are_newest_first(admin_api, client_a, client_b):
    a_id, b_id, _ = _events_for(client_a, client_b)
    api, _, _ = admin_api

    contacts = ids_of(api.get("/api/v1/audit-events", {"object_type": "clients.contact"}))
    one = data_of(api.get("/api/v1/audit-events", {"object_id": b_id}))

    assert [AuditEvent.objects.get(pk=i).object_id for i in contacts] == [b_id, a_id]
    assert [row["object_id"] for row in one] == [b_id]


def test_record_without_a_request_user_is_anonymous():
    client = make_client("Acme")
    role = make_role(["client.read"])

    event = audit.record(None, "sync", client, changes={"name": {"old": "a", "new": "b"}})
    other = audit.record(None, "update", role)

    assert event.actor is None and event.api_key is None and event.ip_address is None
    assert event.client_id == client.pk
    assert other.client_id is None
    assert User.objects.count() == 0
    assert Client.objects.count() == 1
