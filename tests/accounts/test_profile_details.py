"""A user changes their own name and email: ``PATCH /api/v1/users/@me`` and the profile page's details form."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from psa.models import AuditEvent
from tests.factories import api_client, api_for, make_client, make_user
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/@me"
WRITER = ["user.read", "user.write", "obj.user.*"]
PASSWORD = "The-current-passphrase-1"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


# --- API ---------------------------------------------------------------------------------------------------------


def test_name_changes_without_the_password_and_is_audited():
    api, user, _ = api_for(WRITER)

    data = data_of(api.patch(ME, {"name": "  Dana Whitfield "}))

    assert data["name"] == "Dana Whitfield"
    event = AuditEvent.objects.get(action="update", object_id=str(user.pk))
    assert event.changes["name"] == {"old": "", "new": "Dana Whitfield"}


def test_email_change_needs_the_current_password():
    api, user, _ = api_for(WRITER)
    with_password(user)
    old = user.email

    assert error_paths(api.patch(ME, {"email": "dana@example.com"})) == [["current_password"]]
    wrong = api.patch(ME, {"email": "dana@example.com", "current_password": "not-it"})
    assert error_paths(wrong) == [["current_password"]]
    user.refresh_from_db()
    assert user.email == old
    assert not AuditEvent.objects.filter(action="update").exists()


def test_email_change_with_the_password_is_saved_and_audited_without_the_password():
    api, user, _ = api_for(WRITER)
    with_password(user)

    data = data_of(api.patch(ME, {"email": "Dana@Example.COM", "current_password": PASSWORD}))

    assert data["email"] == "Dana@example.com"  # the domain is normalised, as Django does
    assert "current_password" not in data
    event = AuditEvent.objects.get(action="update", object_id=str(user.pk))
    assert set(event.changes) == {"email"}
    assert PASSWORD not in str(event.changes)


def test_the_same_email_in_another_case_needs_no_password():
    api, user, _ = api_for(WRITER)

    data_of(api.patch(ME, {"email": user.email.upper().replace("@EXAMPLE.COM", "@example.com"), "name": "N"}))


def test_an_email_another_user_has_is_refused():
    other = make_user([])
    other.email = "taken@example.com"
    other.save()
    api, user, _ = api_for(WRITER)
    with_password(user)

    response = api.patch(ME, {"email": "TAKEN@example.com", "current_password": PASSWORD})

    assert error_paths(response) == [["email"]]


def test_a_user_without_a_password_cannot_change_email():
    api, _, _ = api_for(WRITER)  # no usable password: an SSO user, or one who has not chosen one yet

    response = api.patch(ME, {"email": "new@example.com", "current_password": "anything"})

    assert error_paths(response) == [["email"]]


@pytest.mark.parametrize("name", ["a\x00b", "line\nbreak", "x" * 201])
def test_a_bad_name_is_a_400(name):
    api, _, _ = api_for(WRITER)

    assert error_paths(api.patch(ME, {"name": name})) == [["name"]]


def test_without_credentials_is_a_401():
    error_of(api_client().patch(ME, {"name": "x"}, format="json"), 401, "UNAUTHORIZED")


def test_without_user_write_is_a_403():
    api, _, _ = api_for(["user.read", "obj.user.*"])

    error_of(api.patch(ME, {"name": "x"}), 403, "FORBIDDEN")


def test_a_client_scoped_caller_changes_its_own_details():
    client = make_client("Scoped Co")
    api, _, _ = api_for(WRITER, clients=[client])

    assert data_of(api.patch(ME, {"name": "Scoped Person"}))["name"] == "Scoped Person"


def test_without_the_email_field_node_email_is_a_403():
    api, user, _ = api_for(["user.read", "user.write", "obj.user.name"])
    with_password(user)

    error_of(api.patch(ME, {"email": "x@example.com", "current_password": PASSWORD}), 403, "FORBIDDEN")


# --- UI ----------------------------------------------------------------------------------------------------------


def browser_as(nodes, **fields):
    user = with_password(make_user([*nodes, "obj.*"], **fields))
    browser = BrowserClient()
    browser.force_login(user)
    return browser, user


def test_profile_page_offers_the_details_form():
    browser, _ = browser_as(["user.read", "user.write"])

    body = browser.get("/profile/").content.decode()

    assert 'action="/profile/details/"' in body and 'name="current_password"' in body


def test_profile_page_without_user_write_has_no_form():
    browser, _ = browser_as(["user.read"])

    assert 'action="/profile/details/"' not in browser.get("/profile/").content.decode()
    assert browser.post("/profile/details/", {"name": "x"}).status_code == 403


def test_profile_form_saves_name_and_email_with_password():
    browser, user = browser_as(["user.read", "user.write"])

    response = browser.post(
        "/profile/details/", {"name": "Dana W", "email": "dana.w@example.com", "current_password": PASSWORD}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.email) == ("Dana W", "dana.w@example.com")
    assert AuditEvent.objects.filter(action="update", object_id=str(user.pk)).count() == 1


def test_profile_form_refuses_an_email_change_without_the_password():
    browser, user = browser_as(["user.read", "user.write"])
    old = user.email

    response = browser.post("/profile/details/", {"name": "", "email": "dana.w@example.com"})

    assert response.status_code == 400
    assert "Give your current password" in response.content.decode()
    user.refresh_from_db()
    assert user.email == old


def test_profile_form_refuses_a_malformed_email():
    browser, _ = browser_as(["user.read", "user.write"])

    response = browser.post("/profile/details/", {"name": "", "email": "nope", "current_password": PASSWORD})

    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_profile_form_needs_sign_in():
    response = BrowserClient().post("/profile/details/", {"name": "x"})

    assert response.status_code == 302 and "/login/" in response["Location"]
