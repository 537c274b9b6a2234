"""Passwords (issue 8, section 1): one's own with the current one; someone else's only by a one-time reset link.

Every change is audited without the value and ends the user's other sessions.
"""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from accounts.models import User
from psa.models import AuditEvent
from tests.factories import api_client, api_for, make_client, make_key, make_user
from tests.psa.helpers import error_of, error_paths

pytestmark = pytest.mark.django_db

ME_PASSWORD = "/api/v1/users/@me/password"
CURRENT = "The-current-pass-phrase-1"
NEW = "A-brand-new-pass-phrase-2"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def with_password(user: User, password: str = CURRENT) -> User:
    user.set_password(password)
    user.save()
    return user


def signed_in(user: User) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    assert browser.get("/").status_code == 200
    return browser


def is_signed_out(browser: BrowserClient) -> bool:
    response = browser.get("/")
    return response.status_code == 302 and response["Location"].startswith("/login/")


def password_events(user: User):
    return AuditEvent.objects.filter(object_id=str(user.pk), changes__has_key="password")


# --- POST /users/@me/password -----------------------------------------------------------------------------------------


def test_change_own_password_ends_other_sessions_and_is_audited():
    api, user, _ = api_for(["user.read"])
    with_password(user)
    other_session = signed_in(user)

    response = api.post(ME_PASSWORD, {"current_password": CURRENT, "new_password": NEW})

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert is_signed_out(other_session)
    event = AuditEvent.objects.get(action="change_password")
    assert event.changes == {"password": {"old": "[redacted]", "new": "[redacted]"}}
    assert NEW not in str(event.changes) and CURRENT not in str(event.changes)
    assert api.get("/api/v1/users/@me").status_code == 200  # the key itself keeps working


def test_change_own_password_needs_the_current_one():
    api, user, _ = api_for(["user.read"])
    with_password(user)

    assert error_paths(api.post(ME_PASSWORD, {"current_password": "wrong", "new_password": NEW})) == [
        ["current_password"]
    ]
    user.refresh_from_db()
    assert user.check_password(CURRENT)
    assert not password_events(user).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": CURRENT, "new_password": "short"}, "new_password"),
        ({"current_password": CURRENT, "new_password": "password123"}, "new_password"),
        ({"current_password": CURRENT}, "new_password"),
        ({"new_password": NEW}, "current_password"),
        ({"current_password": CURRENT, "new_password": NEW, "login": "x"}, "login"),
    ],
)
def test_change_own_password_validation(body, field):
    api, user, _ = api_for(["user.read"])
    with_password(user)

    assert [field] in error_paths(api.post(ME_PASSWORD, body))
    user.refresh_from_db()
    assert user.check_password(CURRENT)


def test_change_own_password_needs_credentials_and_user_read():
    error_of(api_client().post(ME_PASSWORD, {"current_password": CURRENT, "new_password": NEW}), 401, "UNAUTHORIZED")
    api, user, _ = api_for(["client.read"])
    with_password(user)
    error_of(api.post(ME_PASSWORD, {"current_password": CURRENT, "new_password": NEW}), 403, "FORBIDDEN")


def test_a_scoped_key_may_change_its_owners_password_only_with_the_current_one():
    a = make_client("A")
    api, user, _ = api_for(["*"], key_clients=[a])
    with_password(user)

    assert error_paths(api.post(ME_PASSWORD, {"current_password": "guess", "new_password": NEW})) == [
        ["current_password"]
    ]
    assert api.post(ME_PASSWORD, {"current_password": CURRENT, "new_password": NEW}).status_code == 204


# --- the profile page --------------------------------------------------------------------------------------------------


def test_profile_password_change_keeps_this_session_and_ends_the_others():
    user = with_password(make_user(["user.read"]))
    this_session, other_session = signed_in(user), signed_in(user)
    form = {"old_password": CURRENT, "new_password1": NEW, "new_password2": NEW}

    response = this_session.post("/profile/password/", form)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert this_session.get("/profile/").status_code == 200
    assert is_signed_out(other_session)
    assert password_events(user).get().action == "change_password"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, "incorrectly"),
        ({"old_password": CURRENT, "new_password1": NEW, "new_password2": "other"}, "didn"),
        ({"old_password": CURRENT, "new_password1": "short", "new_password2": "short"}, "too short"),
    ],
)
def test_profile_password_change_says_what_is_wrong(form, message):
    user = with_password(make_user(["user.read"]))
    browser = signed_in(user)

    response = browser.post("/profile/password/", form)

    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(CURRENT)


# --- an administrator's one-time reset link ---------------------------------------------------------------------------

ADMIN_PASSWORD = "The-admins-own-pass-3"
EDITOR = ["user.read.other", "user.write.other", "client.read"]


def admin_browser(nodes=("*",), **fields) -> tuple[BrowserClient, User]:
    admin = with_password(make_user(list(nodes), **fields), ADMIN_PASSWORD)
    return signed_in(admin), admin


def reset(browser, subject, your_password=ADMIN_PASSWORD):
    return browser.post(f"/users/{subject.pk}/password-reset/", {"your_password": your_password})


def choose_password(link: str, password: str = NEW):
    visitor = BrowserClient()
    landing = visitor.get(link, follow=True)
    if not landing.context["validlink"]:
        return landing
    return visitor.post(landing.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_reset_link_is_shown_once_stops_the_old_password_and_ends_sessions():
    subject = with_password(make_user(["client.read"], login="subject"))
    subject_session = signed_in(subject)
    browser, admin = admin_browser()

    response = reset(browser, subject)

    assert response.status_code == 200
    link = response.context["reset_link"]
    assert link in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    subject.refresh_from_db()
    assert not subject.check_password(CURRENT)
    assert is_signed_out(subject_session)
    assert link not in browser.get(f"/users/{subject.pk}/").content.decode()
    event = AuditEvent.objects.get(action="issue_password_reset")
    assert event.actor_id == admin.pk and link not in str(event.changes)

    assert choose_password(link).status_code == 302
    subject.refresh_from_db()
    assert subject.check_password(NEW)
    assert AuditEvent.objects.filter(action="reset_password", object_id=str(subject.pk)).exists()
    # One time only.
    assert choose_password(link, "Yet-another-pass-phrase-4").context["validlink"] is False
    subject.refresh_from_db()
    assert subject.check_password(NEW)


def test_reset_link_expires(settings):
    subject = make_user(["client.read"])
    browser, _ = admin_browser()
    link = reset(browser, subject).context["reset_link"]

    settings.PASSWORD_RESET_TIMEOUT = -1  # as if PSA_PASSWORD_RESET_HOURS had passed

    assert choose_password(link).context["validlink"] is False


def test_reset_needs_the_admins_own_password():
    subject = with_password(make_user(["client.read"]))
    browser, _ = admin_browser()

    response = reset(browser, subject, your_password="not-mine")

    assert response.status_code == 400
    assert "That is not your password" in response.content.decode()
    subject.refresh_from_db()
    assert subject.check_password(CURRENT)
    assert not AuditEvent.objects.filter(action="issue_password_reset").exists()


def test_reset_is_refused_for_a_more_powerful_user_for_oneself_and_without_write_other():
    boss = with_password(make_user(["*"]))
    browser, editor = admin_browser(EDITOR)
    reader, _ = admin_browser(["user.read.other"])

    assert reset(browser, boss).status_code == 403
    assert reset(browser, editor).status_code == 403
    assert reset(reader, make_user()).status_code == 403
    boss.refresh_from_db()
    assert boss.check_password(CURRENT)


def test_a_scoped_admin_cannot_reset_passwords():
    a = make_client("A")
    subject = with_password(make_user(["client.read"], clients=[a]))
    browser, _ = admin_browser(clients=[a])

    assert reset(browser, subject).status_code == 403
    subject.refresh_from_db()
    assert subject.check_password(CURRENT)


def test_the_api_and_a_scoped_key_reach_no_reset():
    a = make_client("A")
    owner = make_user(["*"])
    _, plaintext = make_key(owner, clients=[a])
    subject = with_password(make_user())

    response = api_client(plaintext).post(f"/users/{subject.pk}/password-reset/", {"your_password": "x"})

    assert response.status_code in (302, 403)  # the UI route needs a browser session
    subject.refresh_from_db()
    assert subject.check_password(CURRENT)
