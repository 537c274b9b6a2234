"""Client scope is a ceiling (issue 8, section 1): a scoped caller manages only itself, whatever nodes it holds.

The attack these tests replay: a key limited to client A, whose owner holds ``*``, set an unscoped technician's
password, signed in as them and read every client; it also added nodes to the ``read_only`` role and deactivated users.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from accounts.models import ApiKey, Role, User
from psa.models import AuditEvent
from tests.factories import api_client, api_for, make_client, make_key, make_role, make_user
from tests.psa.helpers import data_of, error_of, ids_of

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users"


@pytest.fixture
def a(db):
    return make_client("A")


@pytest.fixture
def b(db):
    return make_client("B")


@pytest.fixture
def scoped(a):
    """A key limited to client A whose owner holds every node: ``(client, owner, key)``."""
    return api_for(["*"], key_clients=[a])


def test_a_scoped_key_cannot_set_a_password_and_sign_in_as_that_user(scoped, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    api, owner, _ = scoped
    technician = make_user(["*"], login="tech")
    technician.set_password("The-technicians-own-1")
    technician.save()

    for target in (technician, owner):
        response = api.patch(f"{USERS}/{target.pk}", {"password": "Taken-over-pass-phrase-9"})
        assert "client-scoped" in error_of(response, 403, "FORBIDDEN")["message"]

    browser = BrowserClient()
    signed_in = browser.post("/login/", {"username": "tech", "password": "Taken-over-pass-phrase-9"})
    assert signed_in.status_code == 200  # the sign-in form again, with an error
    technician.refresh_from_db()
    assert technician.check_password("The-technicians-own-1")


def test_a_scoped_key_cannot_add_nodes_to_a_role(scoped):
    api, _, _ = scoped
    read_only = Role.objects.get(moniker="read_only")
    before = list(read_only.permissions)

    error_of(api.post("/api/v1/roles/read_only/permissions", {"permissions": ["client.delete"]}), 403, "FORBIDDEN")
    error_of(api.patch("/api/v1/roles/read_only", {"permissions": ["*"]}), 403, "FORBIDDEN")
    error_of(api.delete("/api/v1/roles/read_only/permissions", {"permissions": before[:1]}), 403, "FORBIDDEN")
    error_of(api.post("/api/v1/roles", {"title": "Mine", "moniker": "mine"}), 403, "FORBIDDEN")
    error_of(api.delete(f"/api/v1/roles/{make_role([]).moniker}"), 403, "FORBIDDEN")

    read_only.refresh_from_db()
    assert read_only.permissions == before
    assert not Role.objects.filter(moniker="mine").exists()


def test_a_scoped_key_cannot_create_change_or_delete_users(scoped, a):
    api, owner, _ = scoped
    victim = make_user(["client.read"])

    error_of(api.patch(f"{USERS}/{victim.pk}", {"is_active": False}), 403, "FORBIDDEN")
    error_of(api.patch(f"{USERS}/{owner.pk}", {"client_ids": []}), 403, "FORBIDDEN")
    error_of(api.delete(f"{USERS}/{victim.pk}"), 403, "FORBIDDEN")
    error_of(api.post(USERS, {"login": "sleeper", "client_ids": [str(a.pk)]}), 403, "FORBIDDEN")

    victim.refresh_from_db()
    assert victim.is_active
    assert not User.objects.filter(login="sleeper").exists()
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


def test_a_user_limited_to_some_clients_is_a_scoped_caller_too(a):
    api, _, _ = api_for(["*"], clients=[a])
    victim = make_user()

    error_of(api.patch(f"{USERS}/{victim.pk}", {"name": "Changed"}), 403, "FORBIDDEN")
    error_of(api.post("/api/v1/roles/read_only/permissions", {"permissions": ["client.delete"]}), 403, "FORBIDDEN")


def test_a_scoped_caller_cannot_change_what_every_client_shares(scoped):
    api, _, _ = scoped

    assert "clients" in error_of(api.post("/api/v1/clients", {"name": "Elsewhere"}), 403, "FORBIDDEN")["message"]
    error_of(api.post("/api/v1/tags", {"text": "global"}), 403, "FORBIDDEN")


def test_a_scoped_caller_uses_existing_ticket_tags_but_creates_none(scoped, a):
    from tests.tickets.factories import make_ticket
    from tickets.models import Tag

    api, _, _ = scoped
    ticket = make_ticket(a)
    Tag.objects.create(text="known")
    url = f"/api/v1/tags/entity/ticket/{ticket.pk}"

    refused = api.post(url, {"entity_id": str(ticket.pk), "entity_type": "ticket", "tags": ["brand-new"]})
    assert "existing tags" in error_of(refused, 403, "FORBIDDEN")["message"]
    assert not Tag.objects.filter(text="brand-new").exists()
    assert api.post(url, {"entity_id": str(ticket.pk), "entity_type": "ticket", "tags": ["known"]}).status_code == 201


def test_a_scoped_caller_still_manages_itself(scoped, a):
    api, owner, key = scoped

    assert data_of(api.patch(f"{USERS}/@me", {"name": "Still me"}))["name"] == "Still me"
    assert data_of(api.post(f"{USERS}/{owner.pk}/check-permission", {"permissions": ["user.read"]}))
    new = data_of(
        api.post(
            "/api/v1/api-keys", {"description": "k", "expires_at": (timezone.now() + timedelta(days=5)).isoformat()}
        ),
        201,
    )
    assert new["client_ids"] == [str(a.pk)]  # no wider than the caller
    assert api.delete(f"/api/v1/api-keys/{new['id']}").status_code == 204
    assert api.delete(f"/api/v1/api-keys/{key.pk}").status_code == 204  # a key may revoke itself


def test_a_scoped_key_cannot_revoke_its_owners_wider_keys(scoped, a, b):
    api, owner, _ = scoped
    unscoped, _ = make_key(owner)
    both, _ = make_key(owner, clients=[a, b])

    error_of(api.delete(f"/api/v1/api-keys/{unscoped.pk}"), 403, "FORBIDDEN")
    error_of(api.delete(f"/api/v1/api-keys/{both.pk}"), 403, "FORBIDDEN")

    assert ApiKey.objects.filter(pk__in=[unscoped.pk, both.pk], is_active=True).count() == 2


def test_a_scoped_key_sees_and_revokes_no_one_elses_keys(scoped, a):
    api, _, _ = scoped
    stranger_key, _ = make_key(make_user(), clients=[a])

    assert str(stranger_key.pk) not in ids_of(api.get("/api/v1/api-keys"))
    error_of(api.delete(f"/api/v1/api-keys/{stranger_key.pk}"), 404, "NOT_FOUND")
    stranger_key.refresh_from_db()
    assert stranger_key.is_active


# --- responses carry no client id outside the caller's scope ---------------------------------------------------------


def test_user_responses_show_only_the_in_scope_part_of_client_ids(scoped, a, b):
    api, _, _ = scoped
    both = make_user(login="both", clients=[a, b])
    only_b = make_user(login="only-b", clients=[b])
    everywhere = make_user(login="everywhere")
    role = make_role(["client.read"])
    for user in (both, only_b, everywhere):
        user.roles.add(role)

    rows = {row["login"]: row for row in data_of(api.get(USERS, {"limit": 100}))}
    assert rows["both"]["client_ids"] == [str(a.pk)]
    assert rows["everywhere"]["client_ids"] == []
    assert "only-b" not in rows  # it sees none of the caller's clients
    assert data_of(api.get(f"{USERS}/{both.pk}"))["client_ids"] == [str(a.pk)]
    error_of(api.get(f"{USERS}/{only_b.pk}"), 404, "NOT_FOUND")
    holders = {row["login"]: row for row in data_of(api.get(f"/api/v1/roles/{role.moniker}/users"))}
    assert set(holders) == {"both", "everywhere"}
    assert holders["both"]["client_ids"] == [str(a.pk)]
    assert str(b.pk) not in api.get(USERS, {"limit": 100}).content.decode()


def test_key_responses_show_only_the_in_scope_part_of_client_ids(scoped, a, b):
    api, owner, _ = scoped
    both, _ = make_key(owner, clients=[a, b])
    only_b, _ = make_key(owner, clients=[b])

    body = api.get("/api/v1/api-keys", {"limit": 100})
    rows = {row["id"]: row for row in data_of(body)}

    assert rows[str(both.pk)]["client_ids"] == [str(a.pk)]
    assert str(only_b.pk) not in rows
    assert str(b.pk) not in body.content.decode()


def test_an_unscoped_caller_sees_every_client_id(a, b):
    api, _, _ = api_for(["*"])
    both = make_user(clients=[a, b])

    assert sorted(data_of(api.get(f"{USERS}/{both.pk}"))["client_ids"]) == sorted([str(a.pk), str(b.pk)])


def test_a_scoped_user_gets_no_django_admin(a):
    user = make_user(["*"], clients=[a], is_staff=True, is_superuser=True)
    browser = BrowserClient()
    browser.force_login(user)

    assert not user.has_perm("accounts.change_user")
    assert browser.get("/admin/accounts/user/").status_code in (302, 403)


def test_the_scope_ceiling_is_about_scope_not_keys(a):
    """An unscoped key of the same owner may do what the owner may."""
    _, owner, _ = api_for(["*"], key_clients=[a])
    _, plaintext = make_key(owner)
    victim = make_user()

    assert api_client(plaintext).patch(f"{USERS}/{victim.pk}", {"name": "Renamed"}).status_code == 200


def test_a_scoped_user_changes_no_users_or_roles_in_the_ui(a):
    user = make_user(["*"], clients=[a])
    browser = BrowserClient()
    browser.force_login(user)
    role = make_role(["client.read"])
    victim = make_user(clients=[a])

    assert browser.get("/roles/new/").status_code == 403
    assert browser.post("/roles/new/", {"title": "Mine", "moniker": "mine"}).status_code == 403
    assert browser.post(f"/roles/{role.pk}/", {"title": "Renamed", "moniker": role.moniker}).status_code == 403
    assert browser.post(f"/roles/{role.pk}/delete/").status_code == 403
    assert browser.post(f"/users/{victim.pk}/", {"name": "Renamed"}).status_code == 403
    assert browser.get("/users/new/").status_code == 403
    role.refresh_from_db()
    victim.refresh_from_db()
    assert role.title != "Renamed" and victim.name != "Renamed"
    assert not Role.objects.filter(moniker="mine").exists()
