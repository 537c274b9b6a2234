"""``/users/@me`` and ``/users/@me/check-permission`` (seed 004, "User Routes")."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.factories import api_client, api_for, make_key, make_role, make_user
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/@me"
CHECK = "/api/v1/users/@me/check-permission"
READER = ["user.read", "obj.user.*"]
WRITER = ["user.read", "user.write", "obj.user.*"]


def test_get_me_returns_the_caller():
    api, user, _ = api_for(READER)
    user.name = "Jane Doe"
    user.save()
    user.roles.add(Role.objects.get(moniker="read_only"))

    data = data_of(api.get(ME))

    assert data["id"] == str(user.pk)
    assert data["login"] == user.login
    assert data["email"] == user.email
    assert data["name"] == "Jane Doe"
    assert data["roles"] == ["read_only"]
    assert "password" not in data
    assert "created_at" in data and "updated_at" in data


def test_get_me_is_the_keys_owner_not_anyone_else():
    make_user(["*"], login="aaa-first")
    api, user, _ = api_for(READER)

    assert data_of(api.get(ME))["login"] == user.login


def test_get_me_needs_user_read():
    api, _, _ = api_for(["obj.user.*", "user.write"])

    error_of(api.get(ME), 403, "FORBIDDEN")


def test_patch_me_updates_name_image_and_email():
    api, user, _ = api_for(WRITER)
    user.set_password("The-current-passphrase-1")
    user.save()

    body = {"name": "Jane Doe", "image": "https://example.com/a.jpg", "email": "jane@example.com"}
    data = data_of(api.patch(ME, {**body, "current_password": "The-current-passphrase-1"}))

    user.refresh_from_db()
    assert (user.name, user.image, user.email) == ("Jane Doe", "https://example.com/a.jpg", "jane@example.com")
    assert (data["name"], data["image"], data["email"]) == ("Jane Doe", "https://example.com/a.jpg", "jane@example.com")


def test_patch_me_changes_only_the_fields_sent():
    api, user, _ = api_for(WRITER)
    user.name = "Kept"
    user.save()

    data_of(api.patch(ME, {"image": "https://example.com/b.png"}))

    user.refresh_from_db()
    assert user.name == "Kept"
    assert user.image == "https://example.com/b.png"


def test_patch_me_needs_user_write():
    api, user, _ = api_for(READER)

    error_of(api.patch(ME, {"name": "Nope"}), 403, "FORBIDDEN")
    user.refresh_from_db()
    assert user.name == ""


@pytest.mark.parametrize("field", ["colour", "nickname"])
def test_patch_me_with_an_unknown_field_is_a_400(field):
    api, user, _ = api_for(WRITER)

    response = api.patch(ME, {"name": "Changed", field: "x"})

    assert error_paths(response) == [[field]]
    user.refresh_from_db()
    assert user.name == ""


@pytest.mark.parametrize(
    "field, value",
    [
        ("permissions", ["*"]),
        ("roles", ["admin"]),
        ("is_active", True),
        ("is_superuser", True),
        ("login", "someone-else"),
        ("client_ids", []),
        ("password", "A-long-enough-passphrase-1"),
    ],
)
def test_me_cannot_change_its_own_access(field, value):
    api, user, _ = api_for(WRITER)
    before = (user.login, list(user.permissions), user.password, user.is_superuser)

    response = api.patch(ME, {field: value})

    assert error_paths(response) == [[field]]
    user.refresh_from_db()
    assert (user.login, list(user.permissions), user.password, user.is_superuser) == before
    assert not user.roles.exists()


def test_patch_me_with_a_bad_email_is_a_400():
    api, user, _ = api_for(WRITER)
    old = user.email

    assert error_paths(api.patch(ME, {"email": "not-an-email"})) == [["email"]]
    user.refresh_from_db()
    assert user.email == old


def test_patch_me_with_a_bad_image_url_is_a_400():
    api, _, _ = api_for(WRITER)

    assert error_paths(api.patch(ME, {"image": "javascript:alert(1)"})) == [["image"]]


# --- check-permission ----------------------------------------------------------------------------------------------


def test_check_permission_answers_in_the_seed_shape_and_order():
    api, _, _ = api_for(["user.read", "client.*"])

    data = data_of(api.post(CHECK, {"permissions": ["user.read", "company.create", "client.delete", "clientele.read"]}))

    assert data == {
        "results": [
            {"permission": "user.read", "hasPermission": True},
            {"permission": "company.create", "hasPermission": False},
            {"permission": "client.delete", "hasPermission": True},
            {"permission": "clientele.read", "hasPermission": False},
        ]
    }


def test_check_permission_honours_the_global_wildcard():
    api, _, _ = api_for(["*"])

    data = data_of(api.post(CHECK, {"permissions": ["credential.secure_values.read", "anything.at.all"]}))

    assert [r["hasPermission"] for r in data["results"]] == [True, True]


def test_check_permission_counts_nodes_from_roles():
    api, user, _ = api_for(["user.read"])
    user.roles.add(make_role(["ticket.*"]))

    data = data_of(api.post(CHECK, {"permissions": ["ticket.update", "ticket", "user.read.other"]}))

    assert [r["hasPermission"] for r in data["results"]] == [True, False, False]


def test_check_permission_is_about_the_keys_owner():
    other = make_user(["*"])
    make_key(other)
    api, _, _ = api_for(["user.read"])

    data = data_of(api.post(CHECK, {"permissions": ["client.read"]}))

    assert data["results"] == [{"permission": "client.read", "hasPermission": False}]


@pytest.mark.parametrize("body", [{"permissions": []}, {}, {"permissions": "user.read"}, {"permissions": [None]}])
def test_check_permission_needs_a_non_empty_list(body):
    api, _, _ = api_for(["user.read"])

    assert error_paths(api.post(CHECK, body))[0][0] == "permissions"


def test_check_permission_rejects_unknown_fields():
    api, _, _ = api_for(["user.read"])

    assert error_paths(api.post(CHECK, {"permissions": ["user.read"], "user": "x"})) == [["user"]]


def test_check_permission_needs_user_read():
    api, _, _ = api_for(["client.read"])

    error_of(api.post(CHECK, {"permissions": ["client.read"]}), 403, "FORBIDDEN")


def test_teapot_answers_418_without_credentials():
    response = api_client().get("/api/v1/teapot")

    error_of(response, 418, "IM_A_TEAPOT")
    assert "teapot" in response.json()["error"]["message"].lower()
