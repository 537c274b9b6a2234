"""``manage.py vault_rotate``: rewraps every data key to the newest master key while reveals keep succeeding."""

from __future__ import annotations

import base64
import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from credentials import services
from credentials.models import DataKey
from psa.models import AuditEvent
from tests.credentials.factories import make_credential, make_type
from tests.factories import api_for

OLD = base64.b64encode(b"\x11" * 32).decode()
NEW = base64.b64encode(b"\x22" * 32).decode()


def _rotate(*args) -> str:
    out = io.StringIO()
    call_command("vault_rotate", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotation_rewraps_every_key_and_the_old_key_can_then_go(client_a):
    kind = make_type()
    with override_settings(VAULT_KEYS={1: OLD}):
        credentials = [
            make_credential(client_a, kind, values={"username": "u", "password": f"secret-{i}"}) for i in range(5)
        ]
    assert set(DataKey.objects.values_list("key_version", flat=True)) == {1}
    before = {row.pk: bytes(row.ciphertext) for c in credentials for row in c.secure_values.all()}

    with override_settings(VAULT_KEYS={1: OLD, 2: NEW}):
        assert "5 data key(s) to rewrap" in _rotate("--check")
        output = _rotate()
        assert "Rewrapped 5 data key(s) to version 2; 0 left" in output
        assert "Rewrapped 0 data key(s)" in _rotate()  # idempotent
        assert "0 data key(s) to rewrap" in _rotate("--check")
    assert set(DataKey.objects.values_list("key_version", flat=True)) == {2}
    assert all(row.rotated_at is not None for row in DataKey.objects.all())
    # Values were not re-encrypted, only their data keys rewrapped.
    after = {row.pk: bytes(row.ciphertext) for c in credentials for row in c.secure_values.all()}
    assert after == before
    with override_settings(VAULT_KEYS={2: NEW}):  # the old key is gone
        for i, credential in enumerate(credentials):
            assert services.decrypt_fields(credential, ["password"]) == {"password": f"secret-{i}"}


@pytest.mark.django_db
def test_rows_that_cannot_be_rewrapped_are_named_and_fail_the_command(client_a):
    kind = make_type()
    with override_settings(VAULT_KEYS={1: OLD}):
        lost = make_credential(client_a, kind)
    with override_settings(VAULT_KEYS={3: base64.b64encode(b"\x33" * 32).decode()}):
        make_credential(client_a, kind)  # version 3
    with override_settings(VAULT_KEYS={2: NEW, 3: base64.b64encode(b"\x33" * 32).decode()}):
        with pytest.raises(CommandError, match="not configured"):
            _rotate("--check")
        out = io.StringIO()
        with pytest.raises(CommandError, match="1 data key"):
            call_command("vault_rotate", stdout=out, stderr=out)
        assert str(lost.pk) in out.getvalue() and "version 1 is not configured" in out.getvalue()
    assert DataKey.objects.get(credential=lost).key_version == 1  # left as it was
    assert DataKey.objects.exclude(credential=lost).get().key_version == 3  # the other one moved on to... 3


@pytest.mark.django_db
def test_rotation_refuses_to_start_without_a_usable_newest_key(client_a):
    with override_settings(VAULT_KEYS={1: OLD, 2: "bm90IGEga2V5"}), pytest.raises(CommandError, match="malformed"):
        _rotate()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rotation_alongside_a_loop_of_reveals_loses_no_read(client_a):
    kind = make_type()
    with override_settings(VAULT_KEYS={1: OLD}):
        credentials = [
            make_credential(client_a, kind, values={"username": "u", "password": f"loop-{i}"}) for i in range(40)
        ]
    api, _, _ = api_for(
        ["credential.read", "credential.fields.read", "obj.credential.fields", "credential.secure_values.read"]
    )
    results = {"ok": 0, "failed": [], "during": 0}
    rotating = threading.Event()
    done = threading.Event()

    def reveal_loop():
        try:
            i = 0
            while not done.is_set() or results["ok"] < 5:
                credential = credentials[i % len(credentials)]
                response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password")
                if response.status_code == 200 and response.json()["data"]["value"] == f"loop-{i % len(credentials)}":
                    results["ok"] += 1
                    if rotating.is_set() and not done.is_set():
                        results["during"] += 1
                else:
                    results["failed"].append((response.status_code, response.content[:200]))
                i += 1
        finally:
            connection.close()

    with override_settings(VAULT_KEYS={1: OLD, 2: NEW}, VAULT_REVEAL_LIMIT=1_000_000):
        worker = threading.Thread(target=reveal_loop)
        worker.start()
        deadline = time.monotonic() + 10
        while results["ok"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        rotating.set()
        # A pause between rows stretches the rotation so that many reveals interleave with it.
        output = _rotate("--batch-size", "7", "--pause", "0.02")
        done.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert results["failed"] == []
    assert results["during"] >= 10, f"only {results['during']} reveals ran while the rotation did"
    assert "Rewrapped 40 data key(s) to version 2; 0 left" in output
    assert set(DataKey.objects.values_list("key_version", flat=True)) == {2}
    assert AuditEvent.objects.filter(action="reveal", outcome="success").count() == results["ok"]


@pytest.mark.django_db
def test_rotation_also_moves_the_secrets_sealed_outside_credentials(client_a):
    """Authenticator secrets and SSO client secrets use the same keyring: after a rotation that reports nothing
    stale, removing the old key must lock no one out of two-factor sign-in or single sign-on."""
    from accounts.sso import SsoProvider
    from accounts.two_factor import TwoFactorDevice
    from tests.factories import make_user

    with override_settings(VAULT_KEYS={1: OLD}):
        device = TwoFactorDevice.start(make_user(["user.read"], login="totp-user"))
        totp_secret = device.secret()
        provider = SsoProvider(key="idp", name="IdP", issuer="https://idp.example.com", client_id="psa")
        provider.set_client_secret("client-secret-value")
        provider.save()
        SsoProvider.objects.create(key="public", name="Public client", issuer="https://p.example.com", client_id="x")
    ciphertext_before = bytes(TwoFactorDevice.objects.get(pk=device.pk).secret_ciphertext)

    with override_settings(VAULT_KEYS={1: OLD, 2: NEW}):
        assert "2 data key(s) to rewrap" in _rotate("--check")
        assert "Rewrapped 2 data key(s) to version 2; 0 left" in _rotate()
        assert "0 data key(s) to rewrap" in _rotate("--check")

    with override_settings(VAULT_KEYS={2: NEW}):  # the old key is gone
        device = TwoFactorDevice.objects.get(pk=device.pk)
        assert device.key_version == 2 and device.secret() == totp_secret
        assert bytes(device.secret_ciphertext) == ciphertext_before  # only the data key was rewrapped
        assert SsoProvider.objects.get(key="idp").client_secret() == "client-secret-value"
        assert SsoProvider.objects.get(key="public").client_secret() == ""
