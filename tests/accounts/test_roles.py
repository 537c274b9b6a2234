"""``/roles`` (seed 004, "Role Routes"): CRUD by id or moniker, merging permissions, built-in roles."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.factories import api_for, make_role, make_user
from tests.psa.helpers import data_of, error_of, error_paths, error_text

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/roles"
SEE = ["obj.role.*", "obj.user.*"]


def test_built_in_roles_exist_after_migrate():
    roles = {role.moniker: role for role in Role.objects.filter(is_builtin=True)}

    assert set(roles) == {"admin", "technician", "dispatcher", "read_only"}
    assert roles["admin"].permissions == ["*"]
    assert "*" not in roles["technician"].permissions
    assert "*" not in roles["read_only"].permissions


def test_read_only_role_holds_no_write_node():
    nodes = Role.objects.get(moniker="read_only").permissions

    writes = ("create", "update", "delete", "write", "modify", "*")
    assert [n for n in nodes if n.split(".")[-1] in writes and not n.startswith("obj.")] == []


@pytest.mark.parametrize("moniker", ["admin", "technician", "dispatcher", "read_only"])
def test_built_in_roles_cannot_be_deleted(moniker):
    api, _, _ = api_for(["*"])
    role = Role.objects.get(moniker=moniker)

    error_of(api.delete(f"{ROLES}/{moniker}"), 409, "CONFLICT")
    error_of(api.delete(f"{ROLES}/{role.pk}"), 409, "CONFLICT")
    assert Role.objects.filter(pk=role.pk).exists()


def test_list_needs_read_and_list():
    reader, _, _ = api_for(["role.read", *SEE])
    lister, _, _ = api_for(["role.read", "role.list", *SEE])

    error_of(reader.get(ROLES), 403, "FORBIDDEN")
    assert [row["moniker"] for row in data_of(lister.get(ROLES))] == ["admin", "dispatcher", "read_only", "technician"]


def test_create_role():
    api, _, _ = api_for(["*"])

    data = data_of(
        api.post(
            ROLES,
            {"title": "System Administrator", "moniker": "system_admin", "permissions": ["user.read", "client.*"]},
        ),
        201,
    )

    assert data["title"] == "System Administrator"
    assert data["moniker"] == "system_admin"
    assert data["permissions"] == ["client.*", "user.read"]
    assert data["is_builtin"] is False
    assert {"created_at", "updated_at"} <= set(data)
    assert Role.objects.get(moniker="system_admin").permissions == ["client.*", "user.read"]


def test_get_role_by_id_and_by_moniker():
    role = make_role(["client.read"], moniker="viewer")
    api, _, _ = api_for(["role.read", *SEE])

    by_id = data_of(api.get(f"{ROLES}/{role.pk}"))
    by_moniker = data_of(api.get(f"{ROLES}/viewer"))

    assert by_id == by_moniker
    assert by_id["id"] == str(role.pk)
    assert by_id["permissions"] == ["client.read"]
    error_of(api.get(f"{ROLES}/no-such-role"), 404, "NOT_FOUND")


@pytest.mark.parametrize("moniker", ["admin", "read_only"])
def test_duplicate_moniker_is_a_400(moniker):
    api, _, _ = api_for(["*"])
    before = Role.objects.count()

    response = api.post(ROLES, {"title": "Another", "moniker": moniker})

    assert error_paths(response) == [["moniker"]]
    assert Role.objects.count() == before


def test_renaming_to_an_existing_moniker_is_a_400():
    role = make_role([], moniker="helpdesk")
    api, _, _ = api_for(["*"])

    assert error_paths(api.patch(f"{ROLES}/helpdesk", {"moniker": "technician"})) == [["moniker"]]
    role.refresh_from_db()
    assert role.moniker == "helpdesk"


@pytest.mark.parametrize("moniker", ["has space", "slash/inside", ""])
def test_moniker_must_be_a_slug(moniker):
    api, _, _ = api_for(["*"])

    assert error_paths(api.post(ROLES, {"title": "X", "moniker": moniker})) == [["moniker"]]


def test_create_with_an_unknown_node_is_a_400_naming_it():
    api, _, _ = api_for(["*"])

    response = api.post(ROLES, {"title": "X", "moniker": "x", "permissions": ["client.read", "client.fly"]})

    assert error_paths(response) == [["permissions"]]
    assert "client.fly" in error_text(response)
    assert not Role.objects.filter(moniker="x").exists()


def test_create_with_a_node_you_do_not_hold_is_a_403():
    api, _, _ = api_for(["role.create", "client.read", *SEE])

    error_of(api.post(ROLES, {"title": "X", "moniker": "x", "permissions": ["client.read", "*"]}), 403, "FORBIDDEN")
    assert not Role.objects.filter(moniker="x").exists()


def test_update_role_by_moniker_changes_only_the_fields_sent():
    role = make_role(["client.read"], moniker="helpdesk")
    api, _, _ = api_for(["role.modify", "client.*", *SEE])

    data = data_of(api.put(f"{ROLES}/helpdesk", {"title": "Help desk"}))
    renamed = data_of(api.patch(f"{ROLES}/{role.pk}", {"moniker": "service-desk", "permissions": ["client.update"]}))

    assert data["title"] == "Help desk"
    assert data["permissions"] == ["client.read"]
    assert renamed["moniker"] == "service-desk"
    role.refresh_from_db()
    assert (role.title, role.moniker, role.permissions) == ("Help desk", "service-desk", ["client.update"])


def test_update_role_with_nodes_you_do_not_hold_is_a_403():
    role = make_role(["client.read"], moniker="helpdesk")
    api, _, _ = api_for(["role.modify", "client.read", *SEE])

    error_of(api.patch(f"{ROLES}/helpdesk", {"permissions": ["client.delete"]}), 403, "FORBIDDEN")
    role.refresh_from_db()
    assert role.permissions == ["client.read"]


def test_is_builtin_cannot_be_set():
    role = make_role([], moniker="helpdesk")
    api, _, _ = api_for(["*"])

    assert error_paths(api.patch(f"{ROLES}/helpdesk", {"is_builtin": True})) == [["is_builtin"]]
    role.refresh_from_db()
    assert role.is_builtin is False


def test_delete_role_by_moniker_removes_it_from_its_users():
    role = make_role(["client.read"], moniker="temporary")
    holder = make_user()
    holder.roles.add(role)
    api, _, _ = api_for(["role.delete", "role.read", *SEE])

    assert api.delete(f"{ROLES}/temporary").status_code == 204

    assert not Role.objects.filter(pk=role.pk).exists()
    assert not holder.roles.exists()
    error_of(api.get(f"{ROLES}/{role.pk}"), 404, "NOT_FOUND")
    error_of(api.delete(f"{ROLES}/temporary"), 404, "NOT_FOUND")


# --- permissions of a role ------------------------------------------------------------------------------------------------


def test_post_permissions_merges():
    role = make_role(["user.read", "client.read"], moniker="viewer")
    api, _, _ = api_for(["role.modify", "client.*", "user.read", *SEE])

    data = data_of(api.post(f"{ROLES}/viewer/permissions", {"permissions": ["client.update", "client.read"]}))

    assert data["permissions"] == ["client.read", "client.update", "user.read"]
    role.refresh_from_db()
    assert role.permissions == ["client.read", "client.update", "user.read"]


def test_delete_permissions_removes_only_those_given():
    role = make_role(["user.read", "client.read", "client.update"], moniker="viewer")
    api, _, _ = api_for(["role.modify", *SEE])

    data = data_of(api.delete(f"{ROLES}/{role.pk}/permissions", {"permissions": ["client.update", "contact.read"]}))

    assert data["permissions"] == ["client.read", "user.read"]
    role.refresh_from_db()
    assert role.permissions == ["client.read", "user.read"]


def test_post_permissions_you_do_not_hold_is_a_403():
    role = make_role(["client.read"], moniker="viewer")
    api, _, _ = api_for(["role.modify", "client.read", *SEE])

    error_of(api.post(f"{ROLES}/viewer/permissions", {"permissions": ["client.delete"]}), 403, "FORBIDDEN")
    role.refresh_from_db()
    assert role.permissions == ["client.read"]


@pytest.mark.parametrize("body", [{"permissions": []}, {}, {"permissions": ["client.fly"]}, {"nodes": ["client.read"]}])
def test_permissions_body_must_be_a_non_empty_list_of_known_nodes(body):
    role = make_role(["client.read"], moniker="viewer")
    api, _, _ = api_for(["*"])

    error_of(api.post(f"{ROLES}/viewer/permissions", body), 400, "VALIDATION_ERROR")
    error_of(api.delete(f"{ROLES}/viewer/permissions", body), 400, "VALIDATION_ERROR")
    role.refresh_from_db()
    assert role.permissions == ["client.read"]


def test_permissions_of_a_role_need_role_modify():
    make_role(["client.read"], moniker="viewer")
    api, _, _ = api_for(["role.read", "role.create", "client.*", *SEE])

    error_of(api.post(f"{ROLES}/viewer/permissions", {"permissions": ["client.update"]}), 403, "FORBIDDEN")


# --- users of a role -------------------------------------------------------------------------------------------------


def test_role_users_lists_only_the_holders():
    role = make_role([], moniker="night-shift")
    holders = [make_user(login="bea"), make_user(login="al")]
    for user in holders:
        user.roles.add(role)
    make_user(login="carl")
    api, _, _ = api_for(["role.read", "user.read.other", *SEE])

    by_moniker = api.get(f"{ROLES}/night-shift/users").json()
    by_id = api.get(f"{ROLES}/{role.pk}/users").json()

    assert [row["login"] for row in by_moniker["data"]] == ["al", "bea"]
    assert by_moniker["pagination"]["total"] == 2
    assert by_id == by_moniker
    assert all(row["roles"] == ["night-shift"] for row in by_moniker["data"])


def test_role_users_needs_role_read_and_user_read_other():
    make_role([], moniker="night-shift")
    api, _, _ = api_for(["role.read", *SEE])

    error_of(api.get(f"{ROLES}/night-shift/users"), 403, "FORBIDDEN")


def test_a_nul_character_in_the_identifier_is_a_400_not_a_500():
    api, _, _ = api_for(["*"])
    # NUL anywhere in an API path is refused before routing (psa.middleware), never a server error.
    error_of(api.get(f"{ROLES}/admin%00x"), 400, "VALIDATION_ERROR")
    error_of(api.post(f"{ROLES}/admin%00/permissions", {"permissions": ["client.read"]}), 400, "VALIDATION_ERROR")


@pytest.mark.django_db
def test_built_in_roles_only_hold_registered_nodes():
    from psa.nodes import is_known

    for role in Role.objects.filter(is_builtin=True):
        assert [n for n in role.permissions if not is_known(n)] == [], role.moniker


@pytest.mark.django_db
def test_technicians_can_document_and_use_the_vault():
    from psa.nodes import grants

    technician = set(Role.objects.get(moniker="technician").permissions)
    for node in ("asset.update", "network.create", "domain.read", "credential.secure_values.read", "ticket.update"):
        assert grants(technician, node), node
    assert not grants(technician, "role.modify")
