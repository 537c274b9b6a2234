"""OpenID Connect single sign-on against the provider simulator on loopback (integrations.openid.simulator).

The browser is Django's test client; the provider is a real HTTP server, reached by httpx (our client) and by the
tests (which play the browser's hop through the provider's authorization endpoint).
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from django.test import Client as BrowserClient
from django.test import override_settings

from accounts.models import ApiKey, Role, User
from accounts.sso import SsoIdentity, SsoLogin, SsoProvider
from integrations.openid.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, OpenIdSimulator
from psa.models import AuditEvent
from tests.factories import api_client, make_user
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

REDIRECT_URI = "http://testserver/api/v1/auth/redirect"


@pytest.fixture
def simulator():
    sim = OpenIdSimulator(redirect_uris=[REDIRECT_URI])
    server = sim.serve()
    yield sim
    server.shutdown()


@pytest.fixture
def provider(simulator):
    provider = SsoProvider(key="sim", name="Simulated IdP", issuer=simulator.issuer, client_id=DEMO_CLIENT_ID)
    provider.set_client_secret(DEMO_CLIENT_SECRET)
    provider.save()
    return provider


@pytest.fixture
def dana(db):
    user = make_user(["user.read", "obj.*"], login="dana")
    user.email = "dana@example.com"
    user.save()
    return user


def fresh_address() -> str:
    """An address no earlier test used: on Redis rate-limit counters outlive a test (tests/conftest.py)."""
    part = uuid.uuid4().hex
    return f"2001:db8:{part[:4]}:{part[4:8]}:{part[8:12]}:{part[12:16]}:{part[16:20]}:{part[20:24]}"


def through_provider(url: str) -> str:
    """The browser's hop through the provider: its authorization endpoint answers with our redirect URI."""
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return location.removeprefix("http://testserver")


def browser_sign_in(browser, callback: str | None = None):
    start = "/auth/sso/sim/start" + (f"?{urlencode({'callbackUrl': callback})}" if callback else "")
    response = browser.get(start)
    assert response.status_code == 302
    return browser.get(through_provider(response["Location"]))


def signed_in_as(browser) -> str | None:
    response = browser.get("/profile/")
    return response.context["profile_user"].login if response.status_code == 200 else None


# --- Browser flow --------------------------------------------------------------------------------------------------


def test_the_sign_in_page_lists_the_provider(provider):
    body = BrowserClient().get("/login/").content.decode()

    assert "Sign in with Simulated IdP" in body and "/auth/sso/sim/start" in body


def test_the_authorization_request_carries_pkce_state_and_nonce(provider):
    response = BrowserClient().get("/auth/sso/sim/start")

    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43 and len(query["state"][0]) >= 40 and len(query["nonce"][0]) >= 40
    assert query["redirect_uri"] == [REDIRECT_URI] and "openid" in query["scope"][0].split()
    attempt = SsoLogin.objects.get()
    assert query["state"][0] not in (attempt.state_digest, attempt.nonce)  # only the state's digest is kept


def test_a_verified_email_signs_in_and_links_the_account(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "Dana@Example.com", "Dana W")
    browser = BrowserClient()

    response = browser_sign_in(browser, callback="/tickets/?mine=1")

    assert response.status_code == 302 and response["Location"] == "/tickets/?mine=1"
    assert signed_in_as(browser) == "dana"
    assert SsoIdentity.objects.get(provider=provider).user == dana
    assert AuditEvent.objects.filter(action="sso_linked", object_id=str(dana.pk)).count() == 1
    assert AuditEvent.objects.filter(action="login", actor=dana).count() == 1


def test_once_linked_the_sub_finds_the_user_even_if_the_email_changed(simulator, provider, dana):
    SsoIdentity.objects.create(provider=provider, subject="sub-dana", user=dana, email=dana.email)
    simulator.sign_in_as("sub-dana", "renamed@elsewhere.example", email_verified=False)
    browser = BrowserClient()

    browser_sign_in(browser)

    assert signed_in_as(browser) == "dana"


def test_a_user_with_two_factor_signs_in_through_the_provider_without_a_code(simulator, provider, dana):
    from accounts.two_factor import TwoFactorDevice

    TwoFactorDevice.start(dana)
    TwoFactorDevice.objects.filter(user=dana).update(confirmed_at="2026-01-01T00:00:00Z")
    simulator.sign_in_as("sub-dana", "dana@example.com")
    browser = BrowserClient()

    browser_sign_in(browser)

    assert signed_in_as(browser) == "dana"


def test_the_parameters_google_and_entra_add_to_the_redirect_are_accepted(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "dana@example.com")
    browser = BrowserClient()
    back = through_provider(browser.get("/auth/sso/sim/start")["Location"])
    extra = {"scope": "email openid", "authuser": "0", "prompt": "consent", "hd": "example.com", "session_state": "s"}

    browser.get(f"{back}&{urlencode(extra)}")

    assert signed_in_as(browser) == "dana"


def test_a_new_vault_master_key_takes_over_the_client_secret_at_its_next_use(settings, simulator, provider, dana):
    from credentials.vault import generate_master_key

    settings.VAULT_KEYS = {**settings.VAULT_KEYS, 99: generate_master_key()}
    simulator.sign_in_as("sub-dana", "dana@example.com")

    browser_sign_in(BrowserClient())

    provider.refresh_from_db()
    assert provider.key_version == 99 and provider.client_secret() == DEMO_CLIENT_SECRET


def test_an_open_redirect_callback_is_dropped(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "dana@example.com")

    response = browser_sign_in(BrowserClient(), callback="https://evil.example/")

    assert response["Location"] == "/"


def test_an_unknown_email_is_refused_unless_the_provider_creates_users(simulator, provider):
    simulator.sign_in_as("sub-new", "newbie@example.com", "New Bie")
    browser = BrowserClient()

    response = browser_sign_in(browser)

    assert response["Location"] == "/login/" and signed_in_as(browser) is None
    assert AuditEvent.objects.get(action="sso_refused").changes == {"reason": "no_such_user", "provider": "sim"}
    assert "No PSA user has this email address" in browser.get("/login/").content.decode()


def test_a_provider_that_creates_users_gives_them_the_default_role(simulator, provider):
    provider.create_users = True
    provider.default_role = Role.objects.get(moniker="technician")
    provider.save()
    simulator.sign_in_as("sub-new", "new.bie@example.com", "New Bie")
    browser = BrowserClient()

    browser_sign_in(browser)

    user = User.objects.get(email="new.bie@example.com")
    assert signed_in_as(browser) == user.login == "new.bie"
    assert user.name == "New Bie" and not user.has_usable_password()
    assert list(user.roles.values_list("moniker", flat=True)) == ["technician"]
    assert AuditEvent.objects.filter(action="sso_user_created").count() == 1


def test_a_deactivated_user_cannot_sign_in(simulator, provider, dana):
    dana.is_active = False
    dana.save()
    simulator.sign_in_as("sub-dana", "dana@example.com")
    browser = BrowserClient()

    browser_sign_in(browser)

    assert signed_in_as(browser) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == "user_inactive"


def test_an_unverified_email_is_not_trusted(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "dana@example.com", email_verified=False)
    browser = BrowserClient()

    browser_sign_in(browser)

    assert signed_in_as(browser) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == "email_not_verified"


def test_a_domain_outside_the_allowed_ones_is_refused(simulator, provider, dana):
    provider.allowed_domains = ["corp.example"]
    provider.save()
    simulator.sign_in_as("sub-dana", "dana@example.com")
    browser = BrowserClient()

    browser_sign_in(browser)

    assert signed_in_as(browser) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == "domain_not_allowed"


@pytest.mark.parametrize(
    "fault, reason",
    [
        ("bad_signature", "invalid_signature"),
        ("wrong_aud", "invalid_aud"),
        ("wrong_iss", "invalid_iss"),
        ("expired", "invalid_exp"),
        ("wrong_nonce", "invalid_nonce"),
    ],
)
def test_an_id_token_that_fails_a_check_signs_no_one_in(simulator, provider, dana, fault, reason):
    simulator.sign_in_as("sub-dana", "dana@example.com")
    simulator.set_fault(fault)
    browser = BrowserClient()

    response = browser_sign_in(browser)

    assert response["Location"] == "/login/" and signed_in_as(browser) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == reason
    assert not SsoIdentity.objects.exists()


def test_a_replayed_state_is_refused(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "dana@example.com")
    first = BrowserClient()
    start = first.get("/auth/sso/sim/start")
    back = through_provider(start["Location"])
    first.get(back)
    assert signed_in_as(first) == "dana"

    first.logout()
    first.cookies.pop("sessionid", None)
    start_again = first.get("/auth/sso/sim/start")  # a new session that holds a new attempt, not the old one
    assert start_again.status_code == 302
    response = first.get(back)

    assert response["Location"] == "/login/" and signed_in_as(first) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == "replayed_state"


def test_a_finished_link_opened_in_another_browser_signs_no_one_in(simulator, provider, dana):
    """Login CSRF: someone sends a victim the redirect of a sign-in they started themselves."""
    simulator.sign_in_as("sub-dana", "dana@example.com")
    back = through_provider(BrowserClient().get("/auth/sso/sim/start")["Location"])
    victim = BrowserClient()

    response = victim.get(back)

    assert response["Location"] == "/login/" and signed_in_as(victim) is None
    assert AuditEvent.objects.get(action="sso_refused").changes["reason"] == "other_browser"


def test_an_unknown_state_is_refused(provider):
    browser = BrowserClient()

    response = browser.get("/api/v1/auth/redirect?" + urlencode({"state": "made-up-state", "code": "x"}))

    assert response["Location"] == "/login/" and signed_in_as(browser) is None


def test_the_redirect_without_state_is_a_400_naming_it(provider):
    assert error_paths(BrowserClient().get("/api/v1/auth/redirect?code=x")) == [["state"]]
    assert error_paths(BrowserClient().get("/api/v1/auth/redirect?state=abc")) == [["code"]]


def test_a_cancelled_sign_in_burns_the_state(simulator, provider):
    browser = BrowserClient()
    start = browser.get("/auth/sso/sim/start")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    response = browser.get("/api/v1/auth/redirect?" + urlencode({"state": state, "error": "access_denied"}))

    assert response["Location"] == "/login/"
    assert SsoLogin.objects.get().failure == "provider_refused"


def test_a_provider_that_is_down_is_a_message_not_an_error(simulator, provider):
    simulator.set_fault("down")
    browser = BrowserClient()

    response = browser.get("/auth/sso/sim/start")

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "not available right now" in browser.get("/login/").content.decode()


def test_an_inactive_or_unknown_provider_is_a_404(provider):
    provider.is_active = False
    provider.save()

    assert BrowserClient().get("/auth/sso/sim/start").status_code == 404
    assert BrowserClient().get("/auth/sso/nope/start").status_code == 404


@override_settings(SSO_RATE_LIMIT="2/min")
def test_starting_sign_ins_is_rate_limited_per_address(provider):
    browser = BrowserClient(REMOTE_ADDR=fresh_address())
    for _ in range(2):
        assert browser.get("/auth/sso/sim/start").status_code == 302

    response = browser.get("/auth/sso/sim/start")

    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_the_client_secret_is_stored_encrypted_and_never_shown(provider):
    admin = make_user(["*"], is_staff=True, is_superuser=True)
    browser = BrowserClient()
    browser.force_login(admin)

    page = browser.get(f"/admin/accounts/ssoprovider/{provider.pk}/change/").content.decode()

    assert DEMO_CLIENT_SECRET.encode() not in bytes(provider.secret_ciphertext)
    assert provider.client_secret() == DEMO_CLIENT_SECRET
    assert DEMO_CLIENT_SECRET not in page


def test_the_admin_changes_the_secret_audited_without_it(provider):
    admin = make_user(["*"], is_staff=True, is_superuser=True)
    browser = BrowserClient()
    browser.force_login(admin)
    form = {
        "key": "sim", "name": "Simulated IdP", "preset": "generic", "issuer": provider.issuer,
        "client_id": DEMO_CLIENT_ID, "client_secret": "rotated-secret-value", "scopes": "openid email profile",
        "allowed_domains_text": "example.com", "is_active": "on",
    }  # fmt: skip

    response = browser.post(f"/admin/accounts/ssoprovider/{provider.pk}/change/", form)

    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret() == "rotated-secret-value" and provider.allowed_domains == ["example.com"]
    events = AuditEvent.objects.filter(object_id=str(provider.pk))
    assert "set_client_secret" in set(events.values_list("action", flat=True))
    assert "rotated-secret-value" not in str(list(events.values_list("changes", flat=True)))


def test_the_admin_refuses_a_plain_http_issuer_off_loopback(provider):
    admin = make_user(["*"], is_staff=True, is_superuser=True)
    browser = BrowserClient()
    browser.force_login(admin)
    form = {"key": "x", "name": "X", "preset": "generic", "issuer": "http://idp.example", "client_id": "c",
            "client_secret": "s", "scopes": "openid", "is_active": "on"}  # fmt: skip

    response = browser.post("/admin/accounts/ssoprovider/add/", form)

    assert response.status_code == 200 and "must be an https:// URL" in response.content.decode()


def test_the_mobile_capabilities_list_the_provider(provider):
    body = api_client().get("/api/v1/mobile/auth/capabilities").json()

    assert [p["key"] for p in body["ssoProviders"]] == ["sim"]
    assert body["providers"] == {"microsoft": False, "google": False}


def test_the_mobile_app_signs_in_through_sso_and_gets_its_handoff(simulator, provider, dana):
    simulator.sign_in_as("sub-dana", "dana@example.com")
    browser = BrowserClient()
    handoff = "/auth/mobile/handoff?" + urlencode({"redirect": "alga://auth/callback", "state": "mobile-state-123"})

    back = browser_sign_in(browser, callback=handoff)
    deep_link = browser.get(back["Location"])

    assert back["Location"] == handoff
    assert deep_link.status_code == 302 and deep_link["Location"].startswith("alga://auth/callback?ott=")


# --- API clients: /auth/uri, /auth/redirect, /auth/token, /auth/refresh -------------------------------------------


def api_sign_in(simulator, sub="sub-dana", email="dana@example.com", confirm=True) -> tuple[str, str]:
    """An API client's sign-in, the person finishing it in a browser and, with ``confirm``, typing the app's code."""
    simulator.sign_in_as(sub, email)
    data = data_of(api_client().get("/api/v1/auth/uri", {"provider": "sim"}))
    browser = BrowserClient()
    back = browser.get(through_provider(data["uri"]))
    if confirm and back["Location"] == "/auth/sso/confirm":
        confirmed = browser.post("/auth/sso/confirm", {"code": data["userCode"].lower().replace("-", " ")})
        assert confirmed.status_code == 302, confirmed.content
        return data["callbackKey"], confirmed["Location"]
    return data["callbackKey"], back["Location"]


def test_an_api_client_signs_in_and_collects_its_tokens_once(simulator, provider, dana):
    key, landed = api_sign_in(simulator)
    assert landed == "/auth/sso/done"

    tokens = data_of(api_client().post("/api/v1/auth/token", {"callbackKey": key}, format="json"))

    assert tokens["user"]["login"] == "dana" and tokens["expiresInSec"] == 3600
    assert ApiKey.objects.get(purpose="mobile_session").owner == dana
    assert api_client(tokens["accessToken"]).get("/api/v1/users/@me").status_code == 200
    assert AuditEvent.objects.filter(action="sso_login", actor=dana).count() == 1
    again = api_client().post("/api/v1/auth/token", {"callbackKey": key}, format="json")
    error_of(again, 401, "UNAUTHORIZED")


def test_the_token_is_pending_until_the_browser_finishes(simulator, provider, dana):
    data = data_of(api_client().get("/api/v1/auth/uri", {"provider": "sim"}))

    error_of(
        api_client().post("/api/v1/auth/token", {"callbackKey": data["callbackKey"]}, format="json"), 409, "CONFLICT"
    )


def started_api_sign_in(simulator) -> tuple[dict, BrowserClient]:
    """An API sign-in the person has finished at the provider; the browser stands on the confirmation page."""
    simulator.sign_in_as("sub-dana", "dana@example.com")
    data = data_of(api_client().get("/api/v1/auth/uri", {"provider": "sim"}, REMOTE_ADDR="192.0.2.44"))
    browser = BrowserClient()
    assert browser.get(through_provider(data["uri"]))["Location"] == "/auth/sso/confirm"
    return data, browser


def collect(data: dict):
    return api_client().post("/api/v1/auth/token", {"callbackKey": data["callbackKey"]}, format="json")


def test_the_tokens_wait_until_the_person_types_the_apps_code(simulator, provider, dana):
    data, browser = started_api_sign_in(simulator)
    assert len(data["userCode"]) == 9 and data["userCode"][4] == "-"

    page = browser.get("/auth/sso/confirm").content.decode()
    assert "Sign an app in as dana?" in page and "192.0.2.44" in page and data["userCode"] not in page
    error_of(collect(data), 409, "CONFLICT")

    wrong = browser.post("/auth/sso/confirm", {"code": "BBBB-BBBB"})
    assert wrong.status_code == 400 and "not the code of this sign-in" in wrong.content.decode()
    error_of(collect(data), 409, "CONFLICT")

    assert browser.post("/auth/sso/confirm", {"code": data["userCode"]})["Location"] == "/auth/sso/done"
    assert data_of(collect(data))["user"]["login"] == "dana"
    actions = list(AuditEvent.objects.order_by("created_at").values_list("action", flat=True))
    assert "sso_confirm_code_wrong" in actions and "sso_api_confirmed" in actions
    assert not AuditEvent.objects.filter(changes__icontains=data["userCode"]).exists()


def test_a_sign_in_link_sent_by_someone_else_can_be_declined(simulator, provider, dana):
    data, browser = started_api_sign_in(simulator)

    assert browser.post("/auth/sso/confirm", {"decline": "1"})["Location"] == "/auth/sso/done?failed=1"

    error_of(collect(data), 401, "UNAUTHORIZED")
    assert AuditEvent.objects.filter(action="sso_refused", changes__reason="declined").exists()
    assert browser.get("/auth/sso/confirm")["Location"] == "/auth/sso/done"  # nothing left to confirm


def test_too_many_wrong_codes_fail_the_sign_in(simulator, provider, dana, settings):
    settings.SSO_CONFIRM_ATTEMPTS = 2
    data, browser = started_api_sign_in(simulator)

    assert browser.post("/auth/sso/confirm", {"code": "BBBB-BBBB"}).status_code == 400
    assert browser.post("/auth/sso/confirm", {"code": "CCCC-CCCC"})["Location"] == "/auth/sso/done?failed=1"

    assert browser.post("/auth/sso/confirm", {"code": data["userCode"]})["Location"] == "/auth/sso/done"
    error_of(collect(data), 401, "UNAUTHORIZED")  # the right code came too late


def test_the_confirmation_belongs_to_the_browser_that_finished_the_sign_in(simulator, provider, dana):
    data, _ = started_api_sign_in(simulator)

    other = BrowserClient()
    assert other.post("/auth/sso/confirm", {"code": data["userCode"]})["Location"] == "/auth/sso/done"

    error_of(collect(data), 409, "CONFLICT")


def test_a_failed_api_sign_in_ends_on_the_failure_page_and_the_key_is_refused(simulator, provider, dana):
    simulator.set_fault("wrong_aud")
    key, landed = api_sign_in(simulator)

    assert landed == "/auth/sso/done?failed=1"
    error_of(api_client().post("/api/v1/auth/token", {"callbackKey": key}, format="json"), 401, "UNAUTHORIZED")


def test_a_made_up_callback_key_is_a_401_and_a_missing_one_a_400(provider):
    error_of(api_client().post("/api/v1/auth/token", {"callbackKey": "nope"}, format="json"), 401, "UNAUTHORIZED")
    assert error_paths(api_client().post("/api/v1/auth/token", {}, format="json")) == [["callbackKey"]]


def test_the_uri_names_an_unknown_provider(provider):
    assert error_paths(api_client().get("/api/v1/auth/uri", {"provider": "nope"})) == [["provider"]]


def test_the_uri_without_a_provider_uses_the_only_one(provider):
    assert data_of(api_client().get("/api/v1/auth/uri"))["uri"].startswith(provider.issuer + "/authorize?")


def test_the_uri_with_the_provider_down_is_a_502(simulator, provider):
    simulator.set_fault("down")

    error_of(api_client().get("/api/v1/auth/uri", {"provider": "sim"}), 502, "PROVIDER_ERROR")


def test_refresh_takes_the_seed_header_and_rotates(simulator, provider, dana):
    key, _ = api_sign_in(simulator)
    tokens = data_of(api_client().post("/api/v1/auth/token", {"callbackKey": key}, format="json"))

    fresh = data_of(
        api_client().post("/api/v1/auth/refresh", {}, format="json", HTTP_X_REFRESH_TOKEN=tokens["refreshToken"])
    )

    assert fresh["refreshToken"] != tokens["refreshToken"]
    reused = api_client().post("/api/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}, format="json")
    error_of(reused, 401, "UNAUTHORIZED")
    assert api_client(fresh["accessToken"]).get("/api/v1/users/@me").status_code == 401  # the family is revoked


def test_refresh_without_a_token_is_a_400():
    assert error_paths(api_client().post("/api/v1/auth/refresh", {}, format="json")) == [["refreshToken"]]


@override_settings(SSO_RATE_LIMIT="1/min")
def test_the_api_routes_are_rate_limited_per_address():
    client, address = api_client(), fresh_address()
    client.post("/api/v1/auth/token", {"callbackKey": "a"}, format="json", REMOTE_ADDR=address)

    response = client.post("/api/v1/auth/token", {"callbackKey": "a"}, format="json", REMOTE_ADDR=address)

    error_of(response, 429, "RATE_LIMITED")


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("get", "/api/v1/auth/uri?provider=%00", None),
        ("get", "/api/v1/auth/uri?provider=" + "x" * 500, None),
        ("get", "/api/v1/auth/redirect?state=%00&code=%ff", None),
        ("get", "/api/v1/auth/redirect?state=" + "s" * 600 + "&code=c", None),
        ("get", "/api/v1/auth/redirect?state=abc&code=c&unknown=1", None),
        ("post", "/api/v1/auth/token", {"callbackKey": ["list"]}),
        ("post", "/api/v1/auth/token", {"callbackKey": "k", "device": "not-an-object"}),
        ("post", "/api/v1/auth/token", {"callbackKey": "k", "extra": 1}),
        ("post", "/api/v1/auth/refresh", {"refreshToken": 12}),
        ("post", "/api/v1/auth/refresh", [1, 2]),
    ],
)
def test_garbage_is_a_4xx_never_a_500(provider, method, url, body):
    client = api_client()
    client.raise_request_exception = False
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])


def test_the_daily_task_forgets_old_attempts(provider):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tasks import prune_sso_logins

    BrowserClient().get("/auth/sso/sim/start")
    BrowserClient().get("/auth/sso/sim/start")
    old = SsoLogin.objects.first()
    SsoLogin.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=2))

    assert prune_sso_logins() == {"pruned": 1}
    assert SsoLogin.objects.count() == 1
