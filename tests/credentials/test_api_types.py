"""Credential-type routes: CRUD by id or name, definition validation, changes to fields in use, reveal-scope nodes."""

from __future__ import annotations

import pytest

from credentials.models import CredentialType
from psa.nodes import all_nodes, categories, is_known
from tests.credentials.factories import LOGIN_FIELDS, VPN_FIELDS, make_credential, make_type
from tests.factories import api_for, make_user
from tests.psa.helpers import data_of, error_of, error_paths, error_text

pytestmark = pytest.mark.django_db

ADMIN = ["credential_type.*", "credential.read", "obj.*"]


@pytest.fixture
def admin(db):
    return api_for(ADMIN)[0]


def test_create_read_by_id_or_name_update_delete(admin):
    body = {
        "name": "GitHub",
        "permission_scope": "github.credentials",
        "icon": "https://github.com/favicon.ico",
        "fields": [
            {"id": "username", "name": "Username", "required": True, "secure": False, "value_type": "username"},
            {"id": "token", "name": "Personal access token", "required": True, "value_type": "password"},
        ],
    }
    created = data_of(admin.post("/api/v1/credential-types", body, format="json"), 201)
    assert created["fields"][1]["secure"] is True
    assert created["credential_count"] == 0
    assert data_of(admin.get(f"/api/v1/credential-types/{created['id']}"))["name"] == "GitHub"
    assert data_of(admin.get("/api/v1/credential-types/github"))["id"] == created["id"]  # by name, any case
    error_of(admin.get("/api/v1/credential-types/gitlab"), 404, "NOT_FOUND")
    updated = data_of(admin.patch("/api/v1/credential-types/GitHub", {"description": "Org tokens"}, format="json"))
    assert updated["description"] == "Org tokens"
    assert admin.delete("/api/v1/credential-types/GitHub").status_code == 204
    assert not CredentialType.objects.filter(name__iexact="GitHub").exists()


def test_definition_errors_are_400_with_paths(admin):
    body = {
        "name": "Bad",
        "permission_scope": "bad.credentials",
        "fields": [
            {"id": "a", "name": "A", "value_type": "plain_text"},
            {"id": "a", "name": "A again", "value_type": "nonsense"},
            {
                "id": "m",
                "name": "M",
                "value_type": "plain_text",
                "sub_fields": [{"id": "x", "name": "X", "value_type": "url"}],
            },
        ],
    }
    paths = error_paths(admin.post("/api/v1/credential-types", body, format="json"))
    assert (
        ["fields", 1, "id"] in paths and ["fields", 1, "value_type"] in paths and ["fields", 2, "sub_fields"] in paths
    )


@pytest.mark.parametrize(
    "scope,ok",
    [
        ("aws.credentials", True),
        ("credential", True),
        ("credential.domain_admin", True),
        ("Bad Scope", False),
        ("obj.credential", False),
        ("role", False),  # role.read already means something else
        ("credential.sub_credentials", False),  # so does credential.sub_credentials.read
        ("", False),
    ],
)
def test_permission_scope_validation(admin, scope, ok):
    body = {"name": f"T {scope}", "permission_scope": scope, "fields": LOGIN_FIELDS}
    response = admin.post("/api/v1/credential-types", body, format="json")
    if ok:
        data_of(response, 201)
    else:
        assert error_paths(response) == [["permission_scope"]]


def test_names_are_unique_ignoring_case_and_never_look_like_ids(admin):
    login = make_type(name="Portal login")
    body = {"name": "PORTAL LOGIN", "permission_scope": "credential", "fields": LOGIN_FIELDS}
    assert error_paths(admin.post("/api/v1/credential-types", body, format="json")) == [["name"]]
    body["name"] = str(login.pk)  # would make /credential-types/{id_or_name} ambiguous
    assert error_paths(admin.post("/api/v1/credential-types", body, format="json")) == [["name"]]


def test_names_may_contain_a_slash_and_resolve_by_name(admin, client_a):
    body = {"name": "VPN / site-to-site", "permission_scope": "credential", "fields": LOGIN_FIELDS}
    created = data_of(admin.post("/api/v1/credential-types", body, format="json"), 201)
    assert data_of(admin.get("/api/v1/credential-types/vpn / site-to-site"))["id"] == created["id"]
    make_credential(client_a, CredentialType.objects.get(pk=created["id"]), name="HQ tunnel")
    rows = data_of(admin.get("/api/v1/credential-types/VPN / site-to-site/credentials"))
    assert [row["name"] for row in rows] == ["HQ tunnel"]
    assert data_of(admin.get("/api/v1/credential-types/Windows / local admin"))["name"] == "Windows / local admin"


def test_default_types_exist_after_migrate_and_validate(admin):
    from credentials.defaults import DEFAULT_TYPES
    from credentials.value_types import validate_definition

    names = [name for name, *_ in DEFAULT_TYPES]
    stored = {t.name: t for t in CredentialType.objects.filter(name__in=names)}
    assert sorted(stored) == sorted(names)
    for kind in stored.values():
        assert validate_definition(kind.fields) == kind.fields
        assert kind.permission_scope == "credential"
    assert any(f["value_type"] == "totp_secret" for f in stored["Login"].fields)
    assert {f["id"] for f in stored["Wi-Fi"].fields} >= {"ssid", "passphrase"}


def test_fields_in_use_cannot_be_removed_or_change_kind(admin, client_a):
    kind = make_type(VPN_FIELDS, name="VPN")
    make_credential(
        client_a,
        kind,
        values={"hostname": "h", "admin_password": "p"},
        subs={
            "tunnels": [
                {"name": "T", "fields": [{"field_id": "server", "value": "s"}, {"field_id": "psk", "value": "k"}]}
            ]
        },
    )
    without_password = [f for f in VPN_FIELDS if f["id"] != "admin_password"]
    response = admin.patch(f"/api/v1/credential-types/{kind.pk}", {"fields": without_password}, format="json")
    error_of(response, 409, "CONFLICT")
    assert "admin_password" in error_text(response)

    hostname_secret = [{**VPN_FIELDS[0], "secure": True}, *VPN_FIELDS[1:]]
    assert (
        admin.patch(f"/api/v1/credential-types/{kind.pk}", {"fields": hostname_secret}, format="json").status_code
        == 409
    )

    tunnels = {**VPN_FIELDS[2], "sub_fields": [VPN_FIELDS[2]["sub_fields"][0]]}  # drops tunnels.psk, which has a value
    response = admin.patch(f"/api/v1/credential-types/{kind.pk}", {"fields": [*VPN_FIELDS[:2], tunnels]}, format="json")
    assert "tunnels.psk" in error_text(response)

    # Adding fields, renaming and changing "required" are fine; so is removing an unused field.
    changed = [
        {**VPN_FIELDS[0], "name": "Host name"},
        VPN_FIELDS[1],
        VPN_FIELDS[2],
        {"id": "notes2", "name": "N", "value_type": "url"},
    ]
    data_of(admin.patch(f"/api/v1/credential-types/{kind.pk}", {"fields": changed}, format="json"))
    data_of(admin.patch(f"/api/v1/credential-types/{kind.pk}", {"fields": VPN_FIELDS}, format="json"))


def test_a_type_with_credentials_cannot_be_deleted(admin, client_a):
    kind = make_type(name="Used")
    credential = make_credential(client_a, kind)
    credential.deleted_at = credential.created_at
    credential.save()  # even deleted ones (awaiting purge) hold it
    error_of(admin.delete(f"/api/v1/credential-types/{kind.pk}"), 409, "CONFLICT")


def test_credential_count_and_credentials_route_respect_client_scope(client_a, client_b):
    kind = make_type(name="Scoped")
    make_credential(client_a, kind, name="A1")
    make_credential(client_b, kind, name="B1")
    make_credential(client_b, kind, name="B2")
    everyone = api_for(ADMIN)[0]
    scoped = api_for(ADMIN, clients=[client_a])[0]
    assert data_of(everyone.get(f"/api/v1/credential-types/{kind.pk}"))["credential_count"] == 3
    assert data_of(scoped.get(f"/api/v1/credential-types/{kind.pk}"))["credential_count"] == 1
    listed = {row["name"]: row for row in data_of(scoped.get("/api/v1/credential-types", {"limit": 100}))}
    assert listed["Scoped"]["credential_count"] == 1
    assert [r["name"] for r in data_of(scoped.get(f"/api/v1/credential-types/{kind.pk}/credentials"))] == ["A1"]
    assert [r["name"] for r in data_of(everyone.get("/api/v1/credential-types/scoped/credentials"))] == [
        "A1",
        "B1",
        "B2",
    ]


def test_field_gating_with_obj_credential_type(db):
    kind = make_type(name="Gated type")
    api = api_for(["credential_type.read", "credential_type.update", "obj.credentialType.name"])[0]
    assert set(data_of(api.get(f"/api/v1/credential-types/{kind.pk}"))) == {"id", "name"}
    error_of(api.patch(f"/api/v1/credential-types/{kind.pk}", {"icon": "x"}, format="json"), 403, "FORBIDDEN")


def test_type_scopes_become_grantable_permission_nodes(db):
    make_type(name="AWS", scope="aws.credentials")
    make_type(name="AWS GovCloud", scope="aws.credentials")
    assert is_known("aws.credentials.read") and is_known("aws.*")
    node = all_nodes()["aws.credentials.read"]
    assert node.category == "credential_scope" and "AWS, AWS GovCloud" in node.description
    assert "aws.credentials.read" in categories()["credential_scope"].nodes
    # A role editor may now grant it (it holds the node), through the accounts API.
    api, _, _ = api_for(["role.create", "role.read", "aws.credentials.read", "obj.*"])
    body = {"title": "AWS reveal", "moniker": "aws-reveal", "permissions": ["aws.credentials.read"]}
    data_of(api.post("/api/v1/roles", body, format="json"), 201)
    listed = data_of(api_for(["role.read"])[0].get("/api/v1/permissions/credential_scope"))
    assert [p["node"] for p in listed["permissions"]] == ["aws.credentials.read"]
    assert make_user(["aws.credentials.read"]).has_node("aws.credentials.read")


def test_scope_nodes_do_not_shadow_static_nodes(db):
    make_type(name="Plain", scope="credential")
    assert all_nodes()["credential.read"].category == "credential"
