"""Mobile sign-in as the AlgaPSA app drives it: browser sign-in, handoff, exchange, refresh, revoke, push tokens.

Every request is the app's own (paths, query strings, bodies, headers); every check reads the fields the app reads.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.mobile import MobileHandoff, MobileRefreshToken, MobileSession, PushToken
from accounts.models import ApiKey
from psa.models import AuditEvent
from tests.factories import make_user
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
STATE = "b3f1c2d4e5a6978812345678"
DEEP_LINK = "alga://auth/callback"
DEVICE = {"platform": "ios", "appVersion": "1.4.0", "buildVersion": "42", "deviceId": "device-1"}


def handoff_url(state: str = STATE, redirect: str = DEEP_LINK) -> str:
    return "http://testserver/auth/mobile/handoff?" + urlencode({"redirect": redirect, "state": state})


@pytest.fixture
def tech(db):
    user = make_user(["ticket.*", "user.read", "mobile.push_token", "obj.*"], login="mo", name="Mo Bile")
    user.set_password(PASSWORD)
    user.save()
    return user


def app_api() -> APIClient:
    """The app's pre-sign-in client: JSON, no credentials."""
    api = APIClient()
    api.credentials(HTTP_ACCEPT="application/json", HTTP_X_ALGA_CLIENT="mobile/auth")
    return api


def signed_in_api(access_token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=access_token, HTTP_X_TENANT_ID="default", HTTP_ACCEPT="application/json")
    return api


def sign_in_in_browser(user, state: str = STATE) -> dict:
    """The system browser: open /auth/signin?callbackUrl=<handoff>, sign in, follow to the deep link."""
    browser = BrowserClient()
    callback = handoff_url(state)
    page = browser.get("/auth/signin", {"callbackUrl": callback})
    assert page.status_code == 200
    assert b'name="callbackUrl"' in page.content
    posted = browser.post("/auth/signin", {"username": user.login, "password": PASSWORD, "callbackUrl": callback})
    assert posted.status_code == 302 and posted["Location"] == callback
    deep = browser.get(callback)
    assert deep.status_code == 302, deep.content[:300]
    location = urlsplit(deep["Location"])
    assert (location.scheme, location.netloc, location.path) == ("alga", "auth", "/callback")
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == state
    return {"ott": params["ott"], "state": params["state"], "browser": browser}


def exchange(ott: str, state: str = STATE):
    return app_api().post("/api/v1/mobile/auth/exchange", {"ott": ott, "state": state, "device": DEVICE}, format="json")


def signed_in(user) -> dict:
    response = exchange(sign_in_in_browser(user)["ott"])
    assert response.status_code == 200, response.content
    return response.json()


# ---- capabilities -----------------------------------------------------------------------------------------------


def test_auth_capabilities_is_the_bare_object_the_server_entry_screen_needs():
    response = app_api().get("/api/v1/mobile/auth/capabilities")
    body = response.json()
    assert response.status_code == 200
    assert "data" not in body
    assert body["mobileEnabled"] is True and body["enabled"] is True
    assert body["providers"] == {"microsoft": False, "google": False}
    assert body["ssoProviders"] == []


def test_auth_capabilities_ignores_a_stale_access_key():
    api = app_api()
    api.credentials(HTTP_X_API_KEY="psa_expiredexpir_" + "x" * 43)
    assert api.get("/api/v1/mobile/auth/capabilities").status_code == 200


# ---- sign-in, handoff and exchange ------------------------------------------------------------------------------


def test_full_sign_in_gives_a_mobile_session_key_that_works_on_the_api(tech):
    body = signed_in(tech)

    assert set(body) == {"accessToken", "refreshToken", "expiresInSec", "tenantId", "user"}
    assert body["expiresInSec"] == 3600
    assert body["tenantId"] == "default"
    assert body["user"]["id"] == str(tech.pk) and body["user"]["name"] == "Mo Bile"
    key = ApiKey.objects.get(owner=tech, purpose=ApiKey.Purpose.MOBILE_SESSION)
    assert timedelta(minutes=59) < key.expires_at - timezone.now() <= timedelta(hours=1)
    api = signed_in_api(body["accessToken"])
    response = api.get("/api/v1/tickets", {"page": 1, "limit": 25, "fields": "mobile_list", "is_open": "true"})
    assert response.status_code == 200
    assert data_of(api.get("/api/v1/tickets/stats"))["open_tickets"] == 0
    session = MobileSession.objects.get(user=tech)
    assert (session.platform, session.app_version, session.device_id) == ("ios", "1.4.0", "device-1")
    assert AuditEvent.objects.filter(action="create", object_type="accounts.mobilesession", actor=tech).exists()


def test_tokens_are_stored_only_as_digests(tech):
    flow = sign_in_in_browser(tech)
    handoff = MobileHandoff.objects.get(user=tech)
    assert flow["ott"] not in {handoff.digest, handoff.state_digest}
    body = exchange(flow["ott"]).json()
    digests = set(MobileRefreshToken.objects.values_list("digest", flat=True))
    assert body["refreshToken"] not in digests and len(next(iter(digests))) == 64
    audit_text = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    for secret in (flow["ott"], body["refreshToken"], body["accessToken"]):
        assert secret not in audit_text


def test_replayed_ott_is_refused_and_ends_the_session_it_started(tech):
    flow = sign_in_in_browser(tech)
    first = exchange(flow["ott"])
    assert first.status_code == 200

    error_of(exchange(flow["ott"]), 401, "UNAUTHORIZED")
    session = MobileSession.objects.get(user=tech)
    assert session.revoke_reason == "ott_replayed"
    error_of(signed_in_api(first.json()["accessToken"]).get("/api/v1/tickets"), 401, "UNAUTHORIZED")
    assert AuditEvent.objects.filter(action="ott_replayed", outcome="denied", actor=tech).exists()


def test_expired_ott_is_refused(tech):
    flow = sign_in_in_browser(tech)
    MobileHandoff.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    error_of(exchange(flow["ott"]), 401, "UNAUTHORIZED")
    assert not MobileSession.objects.exists()


def test_ott_expires_after_sixty_seconds(tech):
    sign_in_in_browser(tech)
    handoff = MobileHandoff.objects.get(user=tech)
    assert timedelta(seconds=59) <= handoff.expires_at - handoff.created_at <= timedelta(seconds=61)


def test_wrong_state_is_refused_and_burns_the_ott(tech):
    flow = sign_in_in_browser(tech)
    error_of(exchange(flow["ott"], state="someone-elses-state"), 401, "UNAUTHORIZED")
    error_of(exchange(flow["ott"]), 401, "UNAUTHORIZED")
    assert not MobileSession.objects.exists()


def test_every_refusal_has_one_body(tech):
    flow = sign_in_in_browser(tech)
    unknown = exchange("pso_" + "x" * 43).json()
    wrong_state = exchange(flow["ott"], state="another-state-123").json()
    replay = exchange(flow["ott"]).json()
    assert unknown == wrong_state == replay


def test_exchange_validation_names_the_field():
    api = app_api()
    assert error_paths(api.post("/api/v1/mobile/auth/exchange", {"state": STATE}, format="json")) == [["ott"]]
    body = {"ott": "x", "state": STATE, "device": {"colour": "red"}}
    assert error_paths(api.post("/api/v1/mobile/auth/exchange", body, format="json")) == [["device", "colour"]]


def test_an_inactive_user_cannot_exchange(tech):
    flow = sign_in_in_browser(tech)
    tech.is_active = False
    tech.save()
    error_of(exchange(flow["ott"]), 401, "UNAUTHORIZED")


def test_mobile_sign_in_can_be_turned_off(tech, settings):
    flow = sign_in_in_browser(tech)
    settings.MOBILE_ENABLED = False
    error_of(exchange(flow["ott"]), 403, "FORBIDDEN")
    assert app_api().get("/api/v1/mobile/auth/capabilities").json()["mobileEnabled"] is False


# ---- refresh and revoke ------------------------------------------------------------------------------------------


def refresh(token: str, stale_key: str | None = None):
    api = app_api()
    if stale_key:  # the app's 401 handler sends the expired key along
        api.credentials(HTTP_X_API_KEY=stale_key)
    return api.post("/api/v1/mobile/auth/refresh", {"refreshToken": token, "device": DEVICE}, format="json")


def test_refresh_rotates_both_tokens(tech):
    first = signed_in(tech)
    response = refresh(first["refreshToken"], stale_key=first["accessToken"])
    second = response.json()

    assert response.status_code == 200
    assert {"accessToken", "refreshToken", "expiresInSec"} <= set(second)
    assert second["refreshToken"] != first["refreshToken"] and second["accessToken"] != first["accessToken"]
    error_of(signed_in_api(first["accessToken"]).get("/api/v1/tickets"), 401, "UNAUTHORIZED")
    assert signed_in_api(second["accessToken"]).get("/api/v1/tickets").status_code == 200
    assert MobileSession.objects.filter(user=tech).count() == 1


def test_reusing_an_old_refresh_token_revokes_the_whole_family(tech):
    first = signed_in(tech)
    second = refresh(first["refreshToken"]).json()

    error_of(refresh(first["refreshToken"]), 401, "UNAUTHORIZED")
    error_of(refresh(second["refreshToken"]), 401, "UNAUTHORIZED")
    error_of(signed_in_api(second["accessToken"]).get("/api/v1/tickets"), 401, "UNAUTHORIZED")
    session = MobileSession.objects.get(user=tech)
    assert session.revoke_reason == "refresh_token_reused"
    event = AuditEvent.objects.get(action="refresh_token_reused")
    assert event.outcome == "denied" and event.actor == tech and event.object_id == str(session.pk)


def test_expired_refresh_token_is_refused(tech):
    first = signed_in(tech)
    MobileRefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    error_of(refresh(first["refreshToken"]), 401, "UNAUTHORIZED")


def test_refresh_validation_names_the_field():
    assert error_paths(app_api().post("/api/v1/mobile/auth/refresh", {}, format="json")) == [["refreshToken"]]


def test_sign_out_revokes_the_session(tech):
    tokens = signed_in(tech)
    api = app_api()
    response = api.post("/api/v1/mobile/auth/revoke", {"refreshToken": tokens["refreshToken"]}, format="json")
    assert response.status_code == 200 and response.json() == {"ok": True}

    error_of(signed_in_api(tokens["accessToken"]).get("/api/v1/tickets"), 401, "UNAUTHORIZED")
    error_of(refresh(tokens["refreshToken"]), 401, "UNAUTHORIZED")
    assert MobileSession.objects.get(user=tech).revoke_reason == "signed_out"
    assert AuditEvent.objects.filter(action="revoke", object_type="accounts.mobilesession").count() == 1
    # An unknown token gets the same answer: revoke is no oracle.
    unknown = api.post("/api/v1/mobile/auth/revoke", {"refreshToken": "psr_nope"}, format="json")
    assert unknown.status_code == 200 and unknown.json() == {"ok": True}


def test_deactivating_a_user_ends_every_session(tech):
    one, two = signed_in(tech), signed_in(tech)
    tech.is_active = False
    tech.save(update_fields=["is_active"])
    tech.is_active = True
    tech.save(update_fields=["is_active"])  # reactivation does not bring the phones back

    for tokens in (one, two):
        error_of(refresh(tokens["refreshToken"]), 401, "UNAUTHORIZED")
        error_of(signed_in_api(tokens["accessToken"]).get("/api/v1/tickets"), 401, "UNAUTHORIZED")
    assert set(MobileSession.objects.values_list("revoke_reason", flat=True)) == {"user_deactivated"}


# ---- the browser side: no open redirect -----------------------------------------------------------------------

EVIL_CALLBACKS = [
    "https://evil.example/steal",
    "//evil.example/steal",
    "///evil.example/steal",
    "/\\evil.example/steal",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    "alga://auth/callback",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.parametrize("callback", EVIL_CALLBACKS)
def test_sign_in_never_returns_to_another_origin(tech, callback):
    browser = BrowserClient()
    response = browser.post("/auth/signin", {"username": "mo", "password": PASSWORD, "callbackUrl": callback})
    assert response.status_code == 302
    assert response["Location"] == "/", response["Location"]
    # Already signed in: the page bounces, again only to our own dashboard.
    again = browser.get("/auth/signin", {"callbackUrl": callback})
    assert again.status_code == 302 and again["Location"] == "/"


def test_sign_in_returns_to_a_same_origin_callback(tech):
    browser = BrowserClient()
    response = browser.post("/auth/signin", {"username": "mo", "password": PASSWORD, "callbackUrl": "/tickets/"})
    assert response["Location"] == "/tickets/"


def test_sign_in_page_shows_the_form_and_a_bad_password(tech):
    browser = BrowserClient()
    response = browser.post("/auth/signin", {"username": "mo", "password": "wrong", "callbackUrl": handoff_url()})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert not browser.session.get("_auth_user_id")


EVIL_REDIRECTS = [
    "https://evil.example/callback",
    "http://evil.example/callback",
    "//evil.example/callback",
    "javascript:alert(1)",
    "evilapp://auth/callback",
    "alga://auth/callback#fragment",
    "alga://user@evil/callback",
    "alga://auth\\callback",
    "alga://auth/callback\nLocation: https://evil.example",
    "",
]


@pytest.mark.parametrize("target", EVIL_REDIRECTS)
def test_handoff_only_redirects_to_allowed_app_schemes(tech, target):
    browser = BrowserClient()
    browser.force_login(tech)
    for response in (
        browser.get("/auth/mobile/handoff", {"redirect": target, "state": STATE}),
        browser.post("/auth/mobile/handoff", {"redirect": target, "state": STATE}),
    ):
        assert response.status_code == 400
        assert "Location" not in response
    assert not MobileHandoff.objects.exists()


def test_handoff_schemes_come_from_the_setting(tech, settings):
    settings.MOBILE_REDIRECT_SCHEMES = ["exp", "https"]  # web schemes are never allowed, whatever the list says
    browser = BrowserClient()
    browser.force_login(tech)
    ok = browser.post("/auth/mobile/handoff", {"redirect": "exp://10.0.0.5:8081/--/auth/callback", "state": STATE})
    assert ok.status_code == 302 and ok["Location"].startswith("exp://10.0.0.5:8081/--/auth/callback?ott=pso_")
    web = browser.post("/auth/mobile/handoff", {"redirect": "https://evil.example/", "state": STATE})
    assert web.status_code == 400


@pytest.mark.parametrize("state", ["", "short", "has space in it", "x" * 513, "<script>alert(1)</script>"])
def test_handoff_needs_a_well_formed_state(tech, state):
    browser = BrowserClient()
    browser.force_login(tech)
    assert browser.get("/auth/mobile/handoff", {"redirect": DEEP_LINK, "state": state}).status_code == 400


def test_handoff_without_a_session_goes_to_sign_in_and_back():
    response = BrowserClient().get("/auth/mobile/handoff", {"redirect": DEEP_LINK, "state": STATE})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/auth/signin"
    callback = parse_qs(location.query)["callbackUrl"][0]
    assert callback.startswith("/auth/mobile/handoff?") and STATE in callback


def test_an_already_signed_in_browser_must_confirm(tech):
    """A link planted elsewhere cannot make a signed-in browser hand a token to an app without a click."""
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(tech)
    page = browser.get("/auth/mobile/handoff", {"redirect": DEEP_LINK, "state": STATE})
    assert page.status_code == 200 and b"Continue to the app" in page.content
    assert not MobileHandoff.objects.exists()
    forged = browser.post("/auth/mobile/handoff", {"redirect": DEEP_LINK, "state": STATE})
    assert forged.status_code == 403  # no CSRF token
    token = page.context["csrf_token"]
    confirmed = browser.post(
        "/auth/mobile/handoff", {"redirect": DEEP_LINK, "state": STATE, "csrfmiddlewaretoken": str(token)}
    )
    assert confirmed.status_code == 302 and confirmed["Location"].startswith("alga://auth/callback?ott=")
    assert AuditEvent.objects.filter(action="mobile_handoff", actor=tech).count() == 1


def test_the_fresh_sign_in_skips_the_confirmation_once(tech):
    flow = sign_in_in_browser(tech)
    again = flow["browser"].get(handoff_url())
    assert again.status_code == 200, "a second handoff in the same browser asks again"


# ---- app session calls -----------------------------------------------------------------------------------------


def test_me_capabilities(tech):
    api = signed_in_api(signed_in(tech)["accessToken"])
    data = data_of(api.get("/api/v1/mobile/me/capabilities"))
    assert data == {"features": {"inventory": False, "opportunities": False, "opportunitiesCreate": False}}
    error_of(APIClient().get("/api/v1/mobile/me/capabilities"), 401, "UNAUTHORIZED")


def test_push_token_register_replace_and_remove(tech):
    tokens = signed_in(tech)
    api = signed_in_api(tokens["accessToken"])
    body = {"expoPushToken": "ExponentPushToken[aaa]", "deviceId": "device-1", "platform": "ios", "appVersion": "1.4"}

    response = api.put("/api/v1/mobile/push-token", body, format="json")
    assert response.status_code == 200 and response.json()["ok"] is True
    api.put("/api/v1/mobile/push-token", {**body, "expoPushToken": "ExponentPushToken[bbb]"}, format="json")
    api.put("/api/v1/mobile/push-token", {**body, "deviceId": "tablet"}, format="json")
    stored = {t.device_id: t for t in PushToken.objects.filter(user=tech)}
    assert set(stored) == {"device-1", "tablet"}
    assert stored["device-1"].token == "ExponentPushToken[bbb]"
    assert stored["device-1"].session == MobileSession.objects.get(user=tech)

    response = api.delete("/api/v1/mobile/push-token", {"deviceId": "device-1"}, format="json")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert set(PushToken.objects.values_list("device_id", flat=True)) == {"tablet"}
    assert "ExponentPushToken" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_push_token_errors(tech):
    api = signed_in_api(signed_in(tech)["accessToken"])
    assert error_paths(api.put("/api/v1/mobile/push-token", {"deviceId": "d", "platform": "ios"}, format="json")) == [
        ["expoPushToken"]
    ]
    assert error_paths(api.delete("/api/v1/mobile/push-token", {}, format="json")) == [["deviceId"]]
    error_of(APIClient().put("/api/v1/mobile/push-token", {}, format="json"), 401, "UNAUTHORIZED")
    nobody = make_user(["user.read"])
    from tests.factories import make_key

    _, key = make_key(nobody)
    response = signed_in_api(key).put(
        "/api/v1/mobile/push-token", {"expoPushToken": "t", "deviceId": "d", "platform": "ios"}, format="json"
    )
    error_of(response, 403, "FORBIDDEN")


# ---- the profile page -------------------------------------------------------------------------------------------


def test_profile_lists_sessions_and_revokes_one(tech):
    signed_in(tech)
    browser = BrowserClient()
    browser.force_login(tech)
    page = browser.get("/profile/")
    assert page.status_code == 200
    assert b"Mobile sessions" in page.content and b"device-1" in page.content and b"ios" in page.content
    session = MobileSession.objects.get(user=tech)

    response = browser.post(f"/profile/mobile-sessions/{session.pk}/revoke/")
    assert response.status_code == 302 and response["Location"].endswith("#mobile-sessions")
    session.refresh_from_db()
    assert session.revoke_reason == "revoked_by_user"
    assert not ApiKey.objects.get(pk=session.access_key_id).is_active
    assert AuditEvent.objects.filter(action="revoke", actor=tech, object_id=str(session.pk)).exists()


def test_profile_cannot_revoke_someone_elses_session(tech):
    signed_in(tech)
    session = MobileSession.objects.get(user=tech)
    other = make_user(["user.read"])
    browser = BrowserClient()
    browser.force_login(other)
    assert browser.post(f"/profile/mobile-sessions/{session.pk}/revoke/").status_code == 404
    assert browser.get(f"/profile/mobile-sessions/{session.pk}/revoke/").status_code == 405
    anonymous = BrowserClient().post(f"/profile/mobile-sessions/{session.pk}/revoke/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    session.refresh_from_db()
    assert session.is_active
