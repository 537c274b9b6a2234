"""Two-factor enrolment and sign-in, and single sign-on through the OpenID provider simulator, in Chromium."""

from __future__ import annotations

import httpx
import pyotp
import pytest
from django.utils import timezone

from accounts import oidc, two_factor
from accounts.sso import SsoProvider
from integrations.openid.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, OpenIdSimulator, SimulatedUser
from psa.models import AuditEvent
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def user_with_password(login: str, **fields):
    user = make_user(["user.read", "user.write", "obj.*"], login=login, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def code_at(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + steps_ahead)


def enter_password(page, login: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_in_two_factor_then_sign_in_with_a_code_and_with_a_recovery_code(page, chromium, live_server):
    user = user_with_password("tara", name="Tara Tech")
    enter_password(page, "tara")
    page.wait_for_url("**/")

    page.goto("/profile/")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    assert page.locator(".qr-code svg").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_role("textbox", name="Code").fill(code_at(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Your recovery codes: save them now").wait_for()
    codes = [c.strip() for c in page.locator("#recovery-code-list code").all_inner_texts()]
    assert len(codes) == 10 and two_factor.is_enrolled(user)
    page.get_by_role("button", name="Sign out").click()

    # The password alone leads to the code step; the next step's code (one step ahead is allowed) signs in.
    enter_password(page, "tara")
    page.wait_for_url("**/login/verify/")
    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_text("That code is not valid").first.wait_for()
    page.get_by_role("textbox", name="Code").fill(code_at(secret, 1))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Sign out").click()

    # A second browser, a recovery code instead of the app.
    context = chromium.new_context(base_url=live_server.url)
    other = context.new_page()
    enter_password(other, "tara")
    other.wait_for_url("**/login/verify/")
    other.get_by_role("textbox", name="Code").fill(codes[0])
    other.get_by_role("button", name="Verify and sign in").click()
    other.get_by_text("You signed in with a recovery code. 9 remain").wait_for()
    context.close()
    assert AuditEvent.objects.filter(action="login", actor=user).count() == 3
    assert AuditEvent.objects.filter(action="two_factor_failed", actor=None).count() == 1


@pytest.fixture
def sam_at_the_provider(live_server):
    """The provider simulator on loopback, configured as provider ``sim``, and user ``sam`` whose address it vouches
    for; yields ``(simulator, sam)``."""
    simulator = OpenIdSimulator(users=[SimulatedUser("sub-sam", "sam@example.com", "Sam Sso")])
    server = simulator.serve()
    oidc.forget(simulator.issuer)  # on Redis the cache outlives a test; ports get reused
    try:
        provider = SsoProvider(key="sim", name="Simulated IdP", issuer=simulator.issuer, client_id=DEMO_CLIENT_ID)
        provider.set_client_secret(DEMO_CLIENT_SECRET)
        provider.save()
        sam = make_user(["user.read", "obj.*"], login="sam")
        sam.email = "sam@example.com"
        sam.save()
        yield simulator, sam
    finally:
        server.shutdown()


def test_single_sign_on_through_the_provider_simulator(page, live_server, sam_at_the_provider):
    simulator, sam = sam_at_the_provider

    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Simulated IdP").click()
    page.get_by_role("button", name="Continue as sam@example.com").click()  # the provider's own page
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/profile/")
    assert page.locator(".details").get_by_text("sam@example.com").is_visible()
    assert "POST /token" in simulator.requests and "GET /jwks" in simulator.requests
    assert AuditEvent.objects.filter(action="sso_linked", object_id=str(sam.pk)).count() == 1


@pytest.mark.usefixtures("sam_at_the_provider")
def test_an_api_clients_single_sign_on_waits_for_the_code_it_shows(page, live_server):
    started = httpx.get(f"{live_server.url}/api/v1/auth/uri", params={"provider": "sim"}).json()["data"]

    page.goto(started["uri"])
    page.get_by_role("button", name="Continue as sam@example.com").click()
    page.get_by_role("heading", name="Sign an app in as sam?").wait_for()
    page.get_by_role("textbox", name="Code shown in the app").fill(started["userCode"])
    page.get_by_role("button", name="Sign the app in").click()
    page.get_by_role("heading", name="You are signed in").wait_for()

    tokens = httpx.post(f"{live_server.url}/api/v1/auth/token", json={"callbackKey": started["callbackKey"]})
    assert tokens.status_code == 200 and tokens.json()["data"]["user"]["login"] == "sam"
