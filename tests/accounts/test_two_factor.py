"""TOTP two-factor sign-in: enrolment, the code step at sign-in, recovery codes, PSA_REQUIRE_2FA, resets."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pyotp
import pytest
from django.test import Client as BrowserClient
from django.test import override_settings
from django.utils import timezone

from accounts import two_factor
from accounts.two_factor import RecoveryCode, TwoFactorDevice
from psa.models import AuditEvent
from tests.factories import api_client, api_for, make_client, make_key, make_user
from tests.psa.helpers import error_of

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-battery-9"
SECRET_RE = re.compile(r'<code id="totp-secret" class="secret">([A-Z2-7]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def person(nodes=("user.read", "user.write"), login="dana", **fields):
    user = make_user([*nodes, "obj.*"], login=login, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def enrolled(user) -> tuple[str, list[str]]:
    """Enrol ``user`` directly; returns the secret and the recovery codes."""
    device = TwoFactorDevice.start(user)
    device.confirmed_at = timezone.now()
    device.save()
    return device.secret(), two_factor.issue_recovery_codes(user)


def code_for(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + offset_steps)


def sign_in(browser, login="dana", password=PASSWORD, path="/login/", **extra):
    return browser.post(path, {"username": login, "password": password, **extra})


# --- Storage -------------------------------------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_bound_to_its_device():
    user = person()
    secret, _ = enrolled(user)
    device = TwoFactorDevice.objects.get(user=user)

    assert secret.encode() not in bytes(device.secret_ciphertext)
    other = TwoFactorDevice.start(person(login="other"))
    other.secret_ciphertext, other.wrapped_key = device.secret_ciphertext, device.wrapped_key
    with pytest.raises(Exception, match="integrity"):
        other.secret()


def test_recovery_codes_are_stored_only_as_digests():
    user = person()
    _, codes = enrolled(user)

    digests = list(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert len(codes) == len(set(codes)) == 10 == len(digests)
    assert not any(code.replace("-", "") in digest for code in codes for digest in digests)


def test_a_code_works_once():
    user = person()
    secret, _ = enrolled(user)
    device = TwoFactorDevice.objects.get(user=user)
    code = code_for(secret)

    assert device.verify(code) is True
    assert TwoFactorDevice.objects.get(pk=device.pk).verify(code) is False


def test_a_code_one_step_off_is_accepted_two_are_not():
    user = person()
    secret, _ = enrolled(user)
    device = TwoFactorDevice.objects.get(user=user)

    assert device.verify(code_for(secret, -3)) is False
    assert device.verify(code_for(secret, -1)) is True


# --- Sign-in -------------------------------------------------------------------------------------------------------


def test_without_a_device_the_password_signs_in():
    person()
    browser = BrowserClient()

    assert sign_in(browser)["Location"] == "/"
    assert browser.get("/profile/").status_code == 200


def test_with_a_device_the_password_alone_does_not_sign_in():
    person()
    enrolled(two_factor.User.objects.get(login="dana"))
    browser = BrowserClient()

    response = sign_in(browser)

    assert response["Location"] == "/login/verify/"
    assert browser.get("/profile/")["Location"].startswith("/login/")
    assert not AuditEvent.objects.filter(action="login").exists()


def test_the_right_code_signs_in_and_returns_to_next():
    user = person()
    secret, _ = enrolled(user)
    browser = BrowserClient()
    browser.post("/login/?" + urlencode({"next": "/tickets/"}), {"username": "dana", "password": PASSWORD})

    response = browser.post("/login/verify/", {"code": code_for(secret)})

    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert browser.get("/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="login", actor=user).count() == 1


def test_a_wrong_code_is_a_400_audited_and_does_not_sign_in():
    user = person()
    enrolled(user)
    browser = BrowserClient()
    sign_in(browser)

    response = browser.post("/login/verify/", {"code": "000000"})

    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert browser.get("/profile/").status_code == 302
    assert AuditEvent.objects.filter(action="two_factor_failed", outcome="failed").count() == 1


def test_an_empty_code_is_a_400():
    enrolled(person())
    browser = BrowserClient()
    sign_in(browser)

    assert browser.post("/login/verify/", {"code": ""}).status_code == 400


@override_settings(TWO_FACTOR_FAILURE_LIMIT="3/15min")
def test_too_many_wrong_codes_pause_the_step_even_for_the_right_code():
    user = person(login="paused")
    secret, _ = enrolled(user)
    browser = BrowserClient()
    sign_in(browser, login="paused")
    for _ in range(3):
        browser.post("/login/verify/", {"code": "000000"})

    response = browser.post("/login/verify/", {"code": code_for(secret)})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert browser.get("/profile/").status_code == 302


def test_the_code_step_without_a_password_first_sends_to_sign_in():
    assert BrowserClient().get("/login/verify/")["Location"] == "/login/"


@override_settings(TWO_FACTOR_PENDING_SECONDS=0)
def test_the_code_step_expires():
    user = person()
    secret, _ = enrolled(user)
    browser = BrowserClient()
    sign_in(browser)
    session = browser.session
    pending = session["psa_2fa_pending"]
    pending["at"] -= 5
    session["psa_2fa_pending"] = pending
    session.save()

    assert browser.post("/login/verify/", {"code": code_for(secret)})["Location"] == "/login/"


def test_a_recovery_code_signs_in_once_and_is_audited():
    user = person()
    _, codes = enrolled(user)
    browser = BrowserClient()
    sign_in(browser)

    assert browser.post("/login/verify/", {"code": codes[0].upper()}).status_code == 302
    event = AuditEvent.objects.get(action="recovery_code_used")
    assert event.changes == {"remaining": 9}
    other = BrowserClient()
    sign_in(other)
    assert other.post("/login/verify/", {"code": codes[0]}).status_code == 400


def test_a_deactivated_user_cannot_finish_the_code_step():
    user = person()
    secret, _ = enrolled(user)
    browser = BrowserClient()
    sign_in(browser)
    user.is_active = False
    user.save()

    assert browser.post("/login/verify/", {"code": code_for(secret)})["Location"] == "/login/"


def test_the_mobile_sign_in_page_asks_for_the_code_then_hands_off():
    user = person()
    secret, _ = enrolled(user)
    browser = BrowserClient()
    handoff = "/auth/mobile/handoff?" + urlencode({"redirect": "alga://auth/callback", "state": "state-1234567890"})
    response = browser.post("/auth/signin?" + urlencode({"callbackUrl": handoff}), {
        "username": "dana", "password": PASSWORD, "callbackUrl": handoff,
    })  # fmt: skip
    assert response["Location"] == "/login/verify/"

    done = browser.post("/login/verify/", {"code": code_for(secret)})
    assert done["Location"] == handoff
    deep_link = browser.get(handoff)
    assert deep_link.status_code == 302 and deep_link["Location"].startswith("alga://auth/callback?ott=")


def test_the_admin_signs_in_through_the_same_code_step():
    admin = person(login="boss", is_staff=True, is_superuser=True)
    enrolled(admin)
    browser = BrowserClient()

    response = browser.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD, "next": "/admin/"})

    assert response["Location"] == "/login/verify/"
    assert browser.get("/admin/").status_code == 302


# --- Enrolment -----------------------------------------------------------------------------------------------------


def signed_in(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def test_enrolment_shows_a_server_drawn_qr_code_then_confirms_and_shows_codes_once():
    user = person()
    browser = signed_in(user)
    assert "Set up two-factor sign-in" in browser.get("/profile/two-factor/").content.decode()

    start = browser.post("/profile/two-factor/")
    body = start.content.decode()
    assert start.status_code == 200 and "<svg" in body and "no-store" in start["Cache-Control"]
    secret = SECRET_RE.search(body).group(1)
    assert not two_factor.is_enrolled(user)

    done = browser.post("/profile/two-factor/confirm/", {"code": code_for(secret)})
    codes = CODES_RE.findall(done.content.decode())
    assert done.status_code == 200 and len(codes) == 10
    assert two_factor.is_enrolled(user)
    assert AuditEvent.objects.filter(action="two_factor_enabled", actor=user).count() == 1
    again = browser.get("/profile/two-factor/").content.decode()
    assert not CODES_RE.findall(again) and secret not in again and "<svg" not in again


def test_enrolment_with_a_wrong_code_stays_unconfirmed():
    user = person()
    browser = signed_in(user)
    browser.post("/profile/two-factor/")

    response = browser.post("/profile/two-factor/confirm/", {"code": "123456"})

    assert response.status_code == 400 and "<svg" in response.content.decode()
    assert not two_factor.is_enrolled(user)


def test_the_secret_never_reaches_the_audit_log():
    user = person()
    browser = signed_in(user)
    secret = SECRET_RE.search(browser.post("/profile/two-factor/").content.decode()).group(1)
    browser.post("/profile/two-factor/confirm/", {"code": code_for(secret)})

    assert secret not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_new_recovery_codes_need_the_password_and_replace_the_old():
    user = person()
    _, old = enrolled(user)
    browser = signed_in(user)

    assert browser.post("/profile/two-factor/recovery-codes/", {"confirmation": "wrong"}).status_code == 400
    response = browser.post("/profile/two-factor/recovery-codes/", {"confirmation": PASSWORD})
    new = CODES_RE.findall(response.content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.use_recovery_code(user, old[0])


def test_turning_it_off_needs_the_password_or_a_code():
    user = person()
    secret, _ = enrolled(user)
    browser = signed_in(user)

    assert browser.post("/profile/two-factor/disable/", {"confirmation": "nope"}).status_code == 400
    assert two_factor.is_enrolled(user)
    assert browser.post("/profile/two-factor/disable/", {"confirmation": code_for(secret)}).status_code == 302
    assert not two_factor.is_enrolled(user)
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="two_factor_disabled").count() == 1


def test_enrolment_pages_need_sign_in():
    browser = BrowserClient()

    assert browser.get("/profile/two-factor/")["Location"].startswith("/login/")
    assert browser.post("/profile/two-factor/confirm/", {"code": "1"})["Location"].startswith("/login/")


# --- PSA_REQUIRE_2FA -----------------------------------------------------------------------------------------------


@override_settings(REQUIRE_2FA="all")
def test_when_required_a_user_without_a_device_must_enrol_first():
    person()
    browser = BrowserClient()

    assert sign_in(browser)["Location"] == "/profile/two-factor/"
    assert browser.get("/tickets/")["Location"] == "/profile/two-factor/"
    error_of(browser.get("/api/v1/users/@me"), 403, "FORBIDDEN")
    secret = SECRET_RE.search(browser.post("/profile/two-factor/").content.decode()).group(1)
    browser.post("/profile/two-factor/confirm/", {"code": code_for(secret)})
    assert browser.get("/profile/").status_code == 200


@override_settings(REQUIRE_2FA="all")
def test_when_required_it_cannot_be_turned_off():
    user = person()
    enrolled(user)

    assert signed_in(user).post("/profile/two-factor/disable/", {"confirmation": PASSWORD}).status_code == 403
    assert two_factor.is_enrolled(user)


@override_settings(REQUIRE_2FA="all")
def test_api_keys_are_not_affected_by_the_requirement():
    api, _, _ = api_for(["user.read", "obj.user.*"])

    assert api.get("/api/v1/users/@me").status_code == 200


@override_settings(REQUIRE_2FA="admins")
def test_admins_only_means_holders_of_everything():
    assert two_factor.is_required_for(make_user(["*"]))
    assert two_factor.is_required_for(make_user([], is_staff=True))
    assert not two_factor.is_required_for(make_user(["ticket.*"]))


# --- Administrators reset it ---------------------------------------------------------------------------------------

RESETTER = ["user.read.other", "user.write.other", "user.two_factor.other", "obj.*"]


def test_an_administrator_resets_a_users_second_factor_after_their_own_password():
    subject = person()
    enrolled(subject)
    admin = person(RESETTER, login="boss")
    browser = signed_in(admin)
    page = browser.get(f"/users/{subject.pk}/").content.decode()
    assert "Reset two-factor sign-in" in page

    browser.post(f"/users/{subject.pk}/two-factor/reset/", {"your_password": "wrong"})
    assert two_factor.is_enrolled(subject)
    response = browser.post(f"/users/{subject.pk}/two-factor/reset/", {"your_password": PASSWORD})

    assert response.status_code == 302
    assert not two_factor.is_enrolled(subject)
    event = AuditEvent.objects.get(action="reset_two_factor")
    assert event.actor == admin and event.object_id == str(subject.pk)


def test_the_ui_reset_needs_its_node():
    subject = person()
    enrolled(subject)
    browser = signed_in(person(["user.read.other", "user.write.other"], login="boss"))

    assert browser.post(f"/users/{subject.pk}/two-factor/reset/", {"your_password": PASSWORD}).status_code == 403
    assert two_factor.is_enrolled(subject)


def test_the_api_reset_removes_it_and_is_audited():
    subject = person()
    enrolled(subject)
    api, admin, _ = api_for(RESETTER)

    response = api.delete(f"/api/v1/users/{subject.pk}/two-factor")

    assert response.status_code == 204
    assert not two_factor.is_enrolled(subject)
    assert AuditEvent.objects.get(action="reset_two_factor").actor == admin


def test_the_api_reset_answers_401_403_and_404():
    subject = person()
    enrolled(subject)
    url = f"/api/v1/users/{subject.pk}/two-factor"
    error_of(api_client().delete(url), 401, "UNAUTHORIZED")
    api, _, _ = api_for(["user.read.other", "user.write.other", "obj.*"])
    error_of(api.delete(url), 403, "FORBIDDEN")
    scoped_client = make_client("Elsewhere")
    outsider = make_user(RESETTER, clients=[scoped_client])
    hidden = make_user([], clients=[make_client("Hidden Co")])
    _, plaintext = make_key(outsider)
    assert api_client(plaintext).delete(f"/api/v1/users/{hidden.pk}/two-factor").status_code in (403, 404)
    assert two_factor.is_enrolled(subject)


def test_user_responses_never_carry_the_secret():
    subject = person()
    secret, codes = enrolled(subject)
    api, _, _ = api_for(["user.read.other", "user.list.other", "obj.*"])

    body = api.get(f"/api/v1/users/{subject.pk}").content.decode() + api.get("/api/v1/users").content.decode()

    assert secret not in body and codes[0] not in body
