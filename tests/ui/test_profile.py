"""The profile page: API keys are created (shown once), listed and revoked, with the API's nodes, and audited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from psa.models import AuditEvent
from tests.factories import make_client, make_key, make_user

pytestmark = pytest.mark.django_db

KEY_NODES = ["user.read", "api_key.read", "api_key.create", "api_key.delete"]
KEY_RE = re.compile(r'<code id="new-api-key" class="secret">([^<]+)</code>')


def in_days(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def create(browser, **data):
    data.setdefault("description", "backup script")
    data.setdefault("purpose", "general")
    data.setdefault("expires_on", in_days(30))
    return browser.post("/profile/", data)


def shown_key(response):
    match = KEY_RE.search(response.content.decode())
    return match.group(1) if match else None


def test_profile_shows_details_and_keys(browser_for):
    browser, user = browser_for(KEY_NODES, name="Alice Example")
    key, _ = make_key(user, description="rmm sync")
    make_key(make_user([]), description="someone else's key")
    response = browser.get("/profile/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alice Example" in body
    assert "rmm sync" in body and key.prefix in body
    assert "someone else" not in body
    assert 'name="description"' in body
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_default_expiry_is_90_days(browser_for):
    browser, _ = browser_for(KEY_NODES)
    form = browser.get("/profile/").context["form"]
    assert form["expires_on"].value() == timezone.localdate() + timedelta(days=90)


def test_without_api_key_read_a_friendly_message_is_shown(browser_for):
    browser, user = browser_for(["user.read"])
    make_key(user, description="hidden key")
    response = browser.get("/profile/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "lacks the permission <code>api_key.read</code>" in body
    assert "hidden key" not in body
    assert 'name="description"' not in body


def test_without_api_key_create_the_form_is_replaced_and_posting_is_403(browser_for):
    browser, _ = browser_for(["api_key.read"])
    body = browser.get("/profile/").content.decode()
    assert "lacks the permission <code>api_key.create</code>" in body
    assert 'name="description"' not in body
    response = create(browser)
    assert response.status_code == 403
    assert "api_key.create" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_create_key_shows_it_once_and_it_works(browser_for):
    browser, user = browser_for([*KEY_NODES, "obj.user.*"], login="keymaker")
    response = create(browser, description="backup script", purpose="integration", expires_on=in_days(30))
    assert response.status_code == 200
    plaintext = shown_key(response)
    assert plaintext and plaintext.startswith("psa_")
    key = ApiKey.objects.get(owner=user)
    assert key.description == "backup script" and key.purpose == "integration"
    assert key.expires_at.date() == timezone.localdate() + timedelta(days=30)
    assert plaintext.startswith(key.prefix + "_")
    assert "no-store" in response["Cache-Control"]

    # It really works against the API, as its owner.
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    me = api.get("/api/v1/users/@me")
    assert me.status_code == 200 and me.json()["data"]["login"] == "keymaker"

    # Shown once: not in the session, not on the next page view, not in the database.
    session_blob = "".join(str(v) for v in browser.session.values())
    assert plaintext not in session_blob
    again = browser.get("/profile/")
    assert plaintext not in again.content.decode()
    assert shown_key(again) is None
    assert key.prefix in again.content.decode()
    secret = plaintext.split("_", 2)[2]
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().first())


def test_create_key_is_audited_without_the_secret(browser_for):
    browser, user = browser_for(KEY_NODES)
    plaintext = shown_key(create(browser))
    key = ApiKey.objects.get(owner=user)
    event = AuditEvent.objects.get(action="create", object_type="accounts.apikey")
    assert event.object_id == str(key.pk) and event.actor_id == user.pk
    assert "digest" not in event.changes
    assert plaintext.split("_", 2)[2] not in str(event.changes)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"description": ""}, "description", "Enter a description"),
        ({"expires_on": ""}, "expires_on", "Enter an expiry date"),
        ({"expires_on": "not-a-date"}, "expires_on", "YYYY-MM-DD"),
        ({"expires_on": in_days(0)}, "expires_on", "must be in the future"),
        ({"expires_on": in_days(-3)}, "expires_on", "must be in the future"),
        ({"expires_on": in_days(366)}, "expires_on", "at most one year ahead"),
        ({"purpose": "root"}, "purpose", "Select a valid choice"),
    ],
)
def test_create_key_validation_says_what_is_wrong_and_keeps_input(browser_for, data, field, message):
    browser, _ = browser_for(KEY_NODES)
    payload = {"description": "kept description", **data}
    response = create(browser, **payload)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    body = response.content.decode()
    assert message in body
    if payload["description"]:
        assert 'value="kept description"' in body
    assert shown_key(response) is None
    assert ApiKey.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_expiry_one_year_ahead_is_accepted(browser_for):
    browser, _ = browser_for(KEY_NODES)
    response = create(browser, expires_on=in_days(365))
    assert response.status_code == 200 and shown_key(response)


def test_key_client_scope_is_limited_to_the_users_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, user = browser_for(KEY_NODES, clients=[a])
    body = browser.get("/profile/").content.decode()
    assert f'value="{a.pk}"' in body and f'value="{b.pk}"' not in body

    response = create(browser, clients=[str(b.pk)])
    assert response.status_code == 400
    assert "clients" in response.context["form"].errors

    # No choice: the key inherits the user's scope, as in the API.
    assert create(browser).status_code == 200
    key = ApiKey.objects.get(owner=user)
    assert list(key.allowed_clients.all()) == [a]


def test_key_can_be_narrowed_to_chosen_clients(browser_for):
    make_client("A")
    b = make_client("B")
    browser, user = browser_for(KEY_NODES)
    assert create(browser, clients=[str(b.pk)]).status_code == 200
    key = ApiKey.objects.get(owner=user)
    assert list(key.allowed_clients.all()) == [b]


def test_revoke_own_key(browser_for):
    browser, user = browser_for(KEY_NODES)
    key, plaintext = make_key(user, description="old key")
    response = browser.post(f"/profile/keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active and key.revoked_at is not None
    event = AuditEvent.objects.get(action="deactivate")
    assert event.object_id == str(key.pk) and event.changes["is_active"] == {"old": True, "new": False}
    page = browser.get("/profile/").content.decode()
    assert "Revoked the key" in page and "Revoked</span>" in page

    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    assert api.get("/api/v1/users/@me").status_code == 401

    # Revoking again changes nothing and records nothing.
    browser.post(f"/profile/keys/{key.pk}/revoke/")
    assert AuditEvent.objects.filter(action="deactivate").count() == 1


def test_revoke_needs_post(browser_for):
    browser, user = browser_for(KEY_NODES)
    key, _ = make_key(user)
    assert browser.get(f"/profile/keys/{key.pk}/revoke/").status_code == 405
    key.refresh_from_db()
    assert key.is_active


def test_revoke_someone_elses_key_is_404(browser_for):
    browser, _ = browser_for([*KEY_NODES, "api_key.delete.other"])
    key, _ = make_key(make_user([]))
    assert browser.post(f"/profile/keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.is_active


def test_revoke_without_api_key_delete_is_403(browser_for):
    browser, user = browser_for(["api_key.read", "api_key.create"])
    key, _ = make_key(user)
    assert "Revoke" not in browser.get("/profile/").content.decode()
    response = browser.post(f"/profile/keys/{key.pk}/revoke/")
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.is_active
    assert not AuditEvent.objects.exists()


def test_expired_key_is_listed_as_expired(browser_for):
    browser, user = browser_for(KEY_NODES)
    key, _ = make_key(user, description="stale")
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert "Expired</span>" in browser.get("/profile/").content.decode()
