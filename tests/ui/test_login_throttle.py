"""Sign-in throttling (issue 8 §3): django-axes per login and per address, audited, telling nothing about accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.utils import timezone

from psa.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOCKED = "Too many failed sign-ins"


@pytest.fixture
def alice(db):
    user = make_user(["client.read"], login="alice")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, login: str, password: str, address: str = "192.0.2.10"):
    return client.post("/login/", {"username": login, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_login_even_with_the_right_password(client, alice):
    for _ in range(4):
        assert sign_in(client, "alice", "wrong").status_code == 200
    assert sign_in(client, "alice", "wrong").status_code == 429  # the fifth failure locks
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


def test_the_lock_out_reads_the_same_for_a_login_that_does_not_exist(client, alice):
    for login in ("alice", "nobody"):
        for _ in range(5):
            sign_in(client, login, "wrong", address=f"192.0.2.{len(login)}")
    existing = sign_in(client, "alice", "wrong", address="192.0.2.50").content.decode()
    missing = sign_in(client, "nobody", "wrong", address="192.0.2.60").content.decode()
    assert LOCKED in existing and LOCKED in missing

    def plain(page: str, login: str) -> str:  # the page minus what differs anyway: the login typed, the CSRF token
        import re

        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page).replace(login, "X")

    assert plain(existing, "alice") == plain(missing, "nobody")


def test_one_address_is_locked_across_logins(client, alice):
    for index in range(5):
        sign_in(client, f"guess{index}", "wrong", address="198.51.100.9")
    assert sign_in(client, "alice", PASSWORD, address="198.51.100.9").status_code == 429
    assert sign_in(client, "alice", PASSWORD, address="198.51.100.10").status_code == 302


def test_one_login_is_locked_across_addresses(client, alice):
    for index in range(5):
        sign_in(client, "alice", "wrong", address=f"203.0.113.{index + 1}")
    assert sign_in(client, "alice", PASSWORD, address="203.0.113.200").status_code == 429


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_limit_is_a_setting_and_the_lock_ends_after_the_cool_off(client, alice):
    for _ in range(2):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, alice):
    for _ in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="192.0.2.77")
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 429


def test_sign_ins_failures_and_lock_outs_are_audited_and_shown_in_the_audit_log(client, alice):
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    [success] = AuditEvent.objects.filter(action="login")
    assert success.actor == alice and success.outcome == "success" and success.ip_address == "192.0.2.10"
    client.logout()
    for _ in range(5):
        sign_in(client, "alice", "wrong-password-value")
    sign_in(client, "alice", "wrong-password-value")
    failures = AuditEvent.objects.filter(action="login_failed").order_by("created_at")
    assert [e.outcome for e in failures] == ["failed"] * 4 + ["locked_out"] * 2
    assert all(e.changes == {"login": "alice"} for e in failures)
    lockouts = AuditEvent.objects.filter(action="lockout")
    assert lockouts.exists()
    assert all(e.changes == {"login": "alice"} and e.outcome == "locked_out" for e in lockouts)
    assert not AuditEvent.objects.filter(changes__icontains="wrong-password-value").exists()

    admin = make_user(["*"], login="auditor")
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    assert "login_failed" in page and "lockout" in page
