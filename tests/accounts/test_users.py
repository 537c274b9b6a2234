"""``/users`` (seed 004, "Other User Routes"): the exact nodes, and no way to grant more than you hold."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Role, User
from tests.factories import api_for, make_role, make_user
from tests.psa.helpers import data_of, error_of, error_paths, error_text

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users"
SEE = ["obj.user.*", "obj.role.*"]


def roles_of(user: User) -> set[str]:
    return set(user.roles.values_list("moniker", flat=True))


# --- list and get ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nodes", [["user.read.other"], ["user.list.other"], ["user.read"]])
def test_list_needs_both_read_other_and_list_other(nodes):
    api, _, _ = api_for([*nodes, *SEE])

    error_of(api.get(USERS), 403, "FORBIDDEN")


def test_list_shows_every_user_sorted_by_login():
    make_user(login="zed")
    make_user(login="amy")
    api, caller, _ = api_for(["user.read.other", "user.list.other", *SEE])

    rows = data_of(api.get(USERS))

    assert [row["login"] for row in rows] == sorted(["zed", "amy", caller.login])
    assert all("password" not in row for row in rows)


def test_list_filters_and_sorts():
    make_user(login="amy", name="Amy Pond")
    make_user(login="rory", name="Rory Williams", is_active=False)
    api, _, _ = api_for(["user.read.other", "user.list.other", *SEE])

    assert [r["login"] for r in data_of(api.get(USERS, {"search": "pond"}))] == ["amy"]
    assert [r["login"] for r in data_of(api.get(USERS, {"is_active": "false"}))] == ["rory"]
    logins = [r["login"] for r in data_of(api.get(USERS, {"sort": "login", "order": "desc"}))]
    assert logins == sorted(logins, reverse=True)
    assert error_paths(api.get(USERS, {"sort": "password"})) == [["sort"]]


def test_get_user_by_id_needs_read_other_only():
    target = make_user(["client.read"], name="Target")
    target.roles.add(Role.objects.get(moniker="technician"))
    api, _, _ = api_for(["user.read.other", *SEE])

    data = data_of(api.get(f"{USERS}/{target.pk}"))

    assert data["id"] == str(target.pk)
    assert data["name"] == "Target"
    assert data["roles"] == ["technician"]
    assert data["permissions"] == ["client.read"]


def test_get_unknown_user_is_a_404():
    api, _, _ = api_for(["user.read.other", *SEE])

    error_of(api.get(f"{USERS}/{uuid.uuid4()}"), 404, "NOT_FOUND")


def test_get_user_without_read_other_is_a_403():
    target = make_user()
    api, _, _ = api_for(["user.read", *SEE])

    error_of(api.get(f"{USERS}/{target.pk}"), 403, "FORBIDDEN")


# --- PATCH --------------------------------------------------------------------------------------------------------------


def test_patch_profile_fields_with_write_other():
    target = make_user()
    api, _, _ = api_for(["user.write.other", *SEE])

    data = data_of(api.patch(f"{USERS}/{target.pk}", {"name": "Jane", "image": "https://example.com/j.png"}))

    target.refresh_from_db()
    assert (target.name, target.image) == ("Jane", "https://example.com/j.png")
    assert data["name"] == "Jane"


def test_patch_without_write_other_is_a_403():
    target = make_user()
    api, _, _ = api_for(["user.read.other", *SEE])

    error_of(api.patch(f"{USERS}/{target.pk}", {"name": "Jane"}), 403, "FORBIDDEN")
    target.refresh_from_db()
    assert target.name == ""


def test_patch_roles_without_roles_other_is_a_403_and_nothing_changes():
    target = make_user()
    role = make_role(["client.read"])
    api, _, _ = api_for(["user.write.other", "client.read", *SEE])

    response = api.patch(f"{USERS}/{target.pk}", {"name": "Changed", "roles": [role.moniker]})

    error = error_of(response, 403, "FORBIDDEN")
    assert "roles" in error["message"]
    target.refresh_from_db()
    assert roles_of(target) == set()
    assert target.name == ""


def test_patch_roles_with_roles_other_replaces_the_roles():
    target = make_user()
    old = make_role(["client.read"], moniker="old-role")
    new = make_role(["client.read"], moniker="new-role")
    target.roles.add(old)
    api, _, _ = api_for(["user.write.other", "user.roles.other", "client.read", *SEE])

    data = data_of(api.patch(f"{USERS}/{target.pk}", {"roles": ["new-role"]}))

    assert data["roles"] == ["new-role"]
    assert roles_of(target) == {"new-role"}
    data_of(api.patch(f"{USERS}/{target.pk}", {"roles": [str(old.pk), new.moniker]}))
    assert roles_of(target) == {"old-role", "new-role"}


def test_patch_roles_with_an_unknown_role_is_a_400():
    target = make_user()
    api, _, _ = api_for(["*"])

    response = api.patch(f"{USERS}/{target.pk}", {"roles": ["no-such-role"]})

    assert error_paths(response)[0][0] == "roles"
    assert "no-such-role" in error_text(response)


def test_patch_roles_granting_nodes_you_do_not_hold_is_a_403():
    target = make_user()
    api, _, _ = api_for(["user.write.other", "user.roles.other", "client.read", *SEE])

    response = api.patch(f"{USERS}/{target.pk}", {"roles": ["admin"]})

    error = error_of(response, 403, "FORBIDDEN")
    assert "*" in error["message"]
    assert roles_of(target) == set()


def test_patch_permissions_without_permissions_other_is_a_403_and_nothing_changes():
    target = make_user(["client.read"])
    api, _, _ = api_for(["user.write.other", "user.roles.other", "client.*", *SEE])

    error_of(api.patch(f"{USERS}/{target.pk}", {"permissions": ["client.delete"]}), 403, "FORBIDDEN")
    target.refresh_from_db()
    assert target.permissions == ["client.read"]


def test_patch_permissions_with_permissions_other_replaces_them():
    target = make_user(["contact.read"])
    api, _, _ = api_for(["user.write.other", "user.permissions.other", "client.*", *SEE])

    data = data_of(api.patch(f"{USERS}/{target.pk}", {"permissions": ["client.update", "client.read", "client.read"]}))

    target.refresh_from_db()
    assert target.permissions == ["client.read", "client.update"]
    assert data["permissions"] == ["client.read", "client.update"]


def test_patch_permissions_with_an_unknown_node_is_a_400_naming_it():
    target = make_user(["client.read"])
    api, _, _ = api_for(["*"])

    response = api.patch(f"{USERS}/{target.pk}", {"permissions": ["client.read", "client.teleport"]})

    assert error_paths(response) == [["permissions"]]
    assert "client.teleport" in error_text(response)
    target.refresh_from_db()
    assert target.permissions == ["client.read"]


@pytest.mark.parametrize("grant", ["client.delete", "client.*", "*", "user.delete.other"])
def test_patch_permissions_granting_a_node_you_do_not_hold_is_a_403(grant):
    target = make_user(["client.read"])
    api, _, _ = api_for(["user.write.other", "user.permissions.other", "client.read", "client.update", *SEE])

    response = api.patch(f"{USERS}/{target.pk}", {"permissions": ["client.read", grant]})

    error = error_of(response, 403, "FORBIDDEN")
    assert grant in error["message"]
    target.refresh_from_db()
    assert target.permissions == ["client.read"]


def test_a_wildcard_you_hold_lets_you_grant_what_it_covers():
    target = make_user()
    api, _, _ = api_for(["user.write.other", "user.permissions.other", "contact.*", *SEE])

    data_of(api.patch(f"{USERS}/{target.pk}", {"permissions": ["contact.delete", "contact.*"]}))

    target.refresh_from_db()
    assert target.permissions == ["contact.*", "contact.delete"]


def test_patch_user_with_an_unknown_field_is_a_400():
    target = make_user()
    api, _, _ = api_for(["*"])

    assert error_paths(api.patch(f"{USERS}/{target.pk}", {"is_superuser": True})) == [["is_superuser"]]
    target.refresh_from_db()
    assert target.is_superuser is False


def test_no_one_sets_another_users_password_through_the_api():
    target = make_user(["client.read"])
    old_hash = target.password
    api, caller, _ = api_for(["*"])

    for user in (target, caller):
        response = api.patch(f"{USERS}/{user.pk}", {"password": "A-new-long-pass-phrase-42"})
        assert error_paths(response) == [["password"]]
        assert "/users/@me/password" in error_text(response)
    assert error_paths(api.post(USERS, {"login": "newbie", "password": "Long-pass-phrase-77"})) == [["password"]]

    target.refresh_from_db()
    assert target.password == old_hash
    assert not User.objects.filter(login="newbie").exists()


# --- delete --------------------------------------------------------------------------------------------------------------


def test_delete_user():
    target = make_user()
    api, _, _ = api_for(["user.delete.other", "user.read.other", *SEE])

    assert api.delete(f"{USERS}/{target.pk}").status_code == 204

    assert not User.objects.filter(pk=target.pk).exists()
    error_of(api.get(f"{USERS}/{target.pk}"), 404, "NOT_FOUND")


def test_delete_without_delete_other_is_a_403():
    target = make_user()
    api, _, _ = api_for(["user.write.other", "user.read.other", *SEE])

    error_of(api.delete(f"{USERS}/{target.pk}"), 403, "FORBIDDEN")
    assert User.objects.filter(pk=target.pk).exists()


def test_deleting_yourself_is_a_409():
    api, caller, _ = api_for(["*"])

    error_of(api.delete(f"{USERS}/{caller.pk}"), 409, "CONFLICT")
    assert User.objects.filter(pk=caller.pk).exists()


# --- roles and check-permission of another user ----------------------------------------------------------------------


def test_user_roles_lists_the_role_objects():
    target = make_user()
    target.roles.add(Role.objects.get(moniker="dispatcher"), Role.objects.get(moniker="read_only"))
    api, _, _ = api_for(["user.read.other", "role.read", *SEE])

    body = api.get(f"{USERS}/{target.pk}/roles").json()

    assert [row["moniker"] for row in body["data"]] == ["dispatcher", "read_only"]
    assert body["data"][0]["permissions"] == Role.objects.get(moniker="dispatcher").permissions
    assert body["pagination"]["total"] == 2


@pytest.mark.parametrize("nodes", [["user.read.other"], ["role.read"]])
def test_user_roles_needs_read_other_and_role_read(nodes):
    target = make_user()
    api, _, _ = api_for([*nodes, *SEE])

    error_of(api.get(f"{USERS}/{target.pk}/roles"), 403, "FORBIDDEN")


def test_check_permission_of_another_user_answers_for_that_user():
    target = make_user(["client.read"])
    target.roles.add(make_role(["contact.*"]))
    api, _, _ = api_for(["*"])

    data = data_of(
        api.post(
            f"{USERS}/{target.pk}/check-permission", {"permissions": ["client.read", "client.delete", "contact.x"]}
        )
    )

    assert data == {
        "results": [
            {"permission": "client.read", "hasPermission": True},
            {"permission": "client.delete", "hasPermission": False},
            {"permission": "contact.x", "hasPermission": True},
        ]
    }


def test_check_permission_of_another_user_needs_read_other_and_a_list():
    target = make_user()
    reader, _, _ = api_for(["user.read.other"])
    stranger, _, _ = api_for(["user.read"])

    error_of(stranger.post(f"{USERS}/{target.pk}/check-permission", {"permissions": ["x"]}), 403, "FORBIDDEN")
    assert error_paths(reader.post(f"{USERS}/{target.pk}/check-permission", {"permissions": []})) == [["permissions"]]
    error_of(reader.post(f"{USERS}/{uuid.uuid4()}/check-permission", {"permissions": ["x"]}), 404, "NOT_FOUND")


# --- create --------------------------------------------------------------------------------------------------------------


def test_create_user():
    api, _, _ = api_for(["user.create.other", *SEE])

    data = data_of(api.post(USERS, {"login": "newbie", "email": "new@example.com"}), 201)

    user = User.objects.get(pk=data["id"])
    assert user.login == "newbie"
    assert not user.has_usable_password()  # an administrator issues a one-time link in the UI
    assert "password" not in data
    assert error_paths(api.post(USERS, {"login": "NEWBIE"})) == [["login"]]


def test_create_user_with_roles_needs_roles_other():
    make_role(["client.read"], moniker="viewer")
    api, _, _ = api_for(["user.create.other", "client.read", *SEE])

    error_of(api.post(USERS, {"login": "newbie", "roles": ["viewer"]}), 403, "FORBIDDEN")
    assert not User.objects.filter(login="newbie").exists()


def test_a_nul_character_in_a_role_reference_is_a_400_not_a_500():
    target = make_user()
    api, _, _ = api_for(["*"])

    assert error_paths(api.patch(f"{USERS}/{target.pk}", {"roles": ["admin\x00"]}))[0][0] == "roles"
    assert roles_of(target) == set()
