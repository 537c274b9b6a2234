"""Reveals and one-time codes: permission nodes, audit rows (success and refusals), rate limit, vault failures."""

from __future__ import annotations

import base64

import pytest
from django.test import override_settings

from credentials import totp
from credentials.models import SecureValue
from psa.models import AuditEvent
from tests.credentials.factories import LOGIN_FIELDS, TOTP_SECRET, VPN_FIELDS, make_credential, make_type, sub_input
from tests.factories import api_for
from tests.psa.helpers import data_of, error_of, error_text

pytestmark = pytest.mark.django_db

READ_FIELDS = ["credential.read", "credential.fields.read", "obj.credential.fields"]
REVEALER = [
    "credential.read",
    "credential.fields.read",
    "credential.secure_values.read",
    "aws.credentials.read",
    "obj.*",
]
SECRET = "Tr0ub4dor&3-domain-admin"


@pytest.fixture
def aws(db):
    return make_type(LOGIN_FIELDS, scope="aws.credentials", name="AWS")


@pytest.fixture
def credential(client_a, aws):
    return make_credential(
        client_a, aws, name="Root account", values={"username": "root", "password": SECRET, "mfa": TOTP_SECRET}
    )


def _reveals(credential=None):
    events = AuditEvent.objects.filter(action="reveal")
    return list(events.filter(object_id=str(credential.pk)) if credential else events)


def test_reveal_one_value_writes_the_audit_row(credential, client_a):
    api, user, key = api_for(REVEALER)
    response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password", REMOTE_ADDR="203.0.113.7")
    assert data_of(response) == {"field_id": "password", "value": SECRET}
    assert "no-store" in response["Cache-Control"]
    [event] = _reveals(credential)
    assert event.outcome == "success"
    assert event.actor == user and event.api_key == key and event.client == client_a
    assert event.ip_address == "203.0.113.7"
    assert event.object_type == "credentials.credential" and event.object_repr == "Root account"
    assert event.changes == {"fields": ["password"], "kind": "secure_value"}
    assert SECRET not in str(AuditEvent.objects.values_list("changes", "object_repr"))


def test_reveal_all_values(credential):
    api, _, _ = api_for(REVEALER)
    assert data_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values")) == {
        "password": SECRET,
        "mfa": TOTP_SECRET,
    }
    assert _reveals(credential)[0].changes["fields"] == ["password", "mfa"]


def test_reveal_needs_the_types_scope_node_and_the_refusal_is_audited(credential):
    api, _, _ = api_for(["credential.read", "credential.fields.read", "credential.secure_values.read", "obj.*"])
    response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password")
    error_of(response, 403, "FORBIDDEN")
    assert "aws.credentials.read" in error_text(response)
    assert SECRET not in response.content.decode()
    [event] = _reveals(credential)
    assert event.outcome == "denied" and event.changes["fields"] == ["password"]
    assert "aws.credentials.read" in event.changes["reason"]


def test_a_missing_static_node_is_403_and_audited(credential):
    api, _, _ = api_for(["credential.read", "aws.credentials.read", "obj.*"])
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values"), 403, "FORBIDDEN")
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/totp"), 403, "FORBIDDEN")
    outcomes = [(e.outcome, e.changes["kind"]) for e in _reveals(credential)]
    assert sorted(outcomes) == [("denied", "secure_value"), ("denied", "totp_code")]


def test_other_clients_credentials_are_404_and_not_audited(credential, client_b):
    api, _, _ = api_for(REVEALER, key_clients=[client_b])
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password"), 404, "NOT_FOUND")
    # Even without the nodes: nothing is revealed about another client's credential, and nothing is logged.
    weak, _, _ = api_for(["credential.read"], clients=[client_b])
    error_of(weak.get(f"/api/v1/credentials/{credential.pk}/secure-values"), 403, "FORBIDDEN")
    assert _reveals() == []


def test_unknown_and_non_secure_fields_are_404(credential):
    api, _, _ = api_for(REVEALER)
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/nope"), 404, "NOT_FOUND")
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/username"), 404, "NOT_FOUND")
    assert [e.outcome for e in _reveals(credential)] == []


def test_an_unset_secure_field_reveals_null(client_a, aws):
    credential = make_credential(client_a, aws, values={"username": "u", "password": "p"})
    api, _, _ = api_for(REVEALER)
    assert data_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/mfa"))["value"] is None


def test_sub_credential_values_are_revealed_through_their_own_id(client_a):
    vpn = make_type(VPN_FIELDS, scope="credential")
    parent = make_credential(
        client_a, vpn, values={"hostname": "fw"}, subs={"tunnels": [sub_input("T1", server="s", psk="tunnel-psk")]}
    )
    tunnel = parent.children.get()
    api, _, _ = api_for([*READ_FIELDS, "credential.secure_values.read"])
    assert data_of(api.get(f"/api/v1/credentials/{tunnel.pk}/secure-values")) == {"psk": "tunnel-psk"}
    assert _reveals(tunnel)[0].changes["fields"] == ["tunnels.psk"]
    assert data_of(api.get(f"/api/v1/credentials/{parent.pk}/secure-values")) == {"admin_password": None}


def test_totp_code_is_current_and_audited(credential, monkeypatch):
    monkeypatch.setattr(totp, "_now", lambda: 1_700_000_020.0)
    api, _, _ = api_for(REVEALER)
    response = api.get(f"/api/v1/credentials/{credential.pk}/totp")
    data = data_of(response)
    expected = totp.current_code(totp.parse(TOTP_SECRET), at=1_700_000_020.0)
    assert data == {"field_id": "mfa", "code": expected.code, "seconds_remaining": 20, "period": 30, "digits": 6}
    assert "no-store" in response["Cache-Control"]
    [event] = _reveals(credential)
    assert event.outcome == "success" and event.changes == {"fields": ["mfa"], "kind": "totp_code"}
    assert TOTP_SECRET not in response.content.decode()
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/totp", {"field_id": "password"}), 404, "NOT_FOUND")


def test_totp_without_a_secret_is_404(client_a, aws):
    credential = make_credential(client_a, aws, values={"username": "u", "password": "p"})
    api, _, _ = api_for(REVEALER)
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/totp"), 404, "NOT_FOUND")


@override_settings(VAULT_REVEAL_LIMIT=3)
def test_reveals_are_rate_limited_per_user_and_the_refusals_audited(credential):
    api, user, _ = api_for(REVEALER)
    url = f"/api/v1/credentials/{credential.pk}/secure-values/password"
    for _ in range(3):
        data_of(api.get(url))
    response = api.get(url)
    error_of(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert SECRET not in response.content.decode()
    assert [e.outcome for e in _reveals(credential)].count("rate_limited") == 1
    # TOTP codes count against the same budget.
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/totp"), 429, "RATE_LIMITED")
    # Another key of the same user shares the user's budget; another user does not.
    from tests.factories import api_client, make_key

    _, second_plaintext = make_key(user)
    error_of(api_client(second_plaintext).get(url), 429, "RATE_LIMITED")
    other, _, _ = api_for(REVEALER)
    data_of(other.get(url))


def test_the_rate_limit_window_resets(credential, monkeypatch):
    from credentials import ratelimit

    api, _, _ = api_for(REVEALER)
    url = f"/api/v1/credentials/{credential.pk}/secure-values/password"
    now = [1_700_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    with override_settings(VAULT_REVEAL_LIMIT=1):
        data_of(api.get(url))
        response = api.get(url)
        error_of(response, 429, "RATE_LIMITED")
        assert response["Retry-After"] == str(60 - int(now[0] % 60))
        now[0] += 60
        data_of(api.get(url))


def test_the_key_bucket_is_separate_from_the_user_bucket(rf, credential):
    from credentials import ratelimit

    _, user, key = api_for(REVEALER)
    request = rf.get("/")
    request.user, request.auth = user, key
    with override_settings(VAULT_REVEAL_LIMIT=2):
        assert ratelimit.consume(request, now=120.0) is None
        assert ratelimit._buckets(request) == [f"vault-reveal:user:{user.pk}", f"vault-reveal:key:{key.pk}"]
        session = rf.get("/")
        session.user, session.auth = user, None
        assert ratelimit.consume(session, now=121.0) is None  # user bucket: 2
        assert ratelimit.consume(request, now=122.0) == 58  # user bucket: 3 > 2


def test_a_missing_master_key_refuses_reveals_and_everything_else_works(credential):
    api, _, _ = api_for([*REVEALER, "credential.update"])
    other_key = base64.b64encode(b"\x09" * 32).decode()
    with override_settings(VAULT_KEYS={2: other_key}):  # the credential's key (version 1) is gone
        response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password")
        error = error_of(response, 503, "VAULT_UNAVAILABLE")
        assert "version 1" in error["message"]
        error_of(api.get(f"/api/v1/credentials/{credential.pk}/totp"), 503, "VAULT_UNAVAILABLE")
        # Reads and non-secure writes keep working.
        data_of(api.get("/api/v1/credentials"))
        data_of(api.get(f"/api/v1/credentials/{credential.pk}"))
        data_of(api.patch(f"/api/v1/credentials/{credential.pk}", {"name": "Renamed"}, format="json"))
        # Secure writes need the key too.
        body = {"fields": [{"field_id": "password", "value": "new"}]}
        error_of(api.patch(f"/api/v1/credentials/{credential.pk}", body, format="json"), 503, "VAULT_UNAVAILABLE")
    assert [e.outcome for e in _reveals(credential)] == ["failed", "failed"]
    assert "vault unavailable" in _reveals(credential)[0].changes["reason"]
    # With the key back, the value is intact.
    assert data_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password"))["value"] == SECRET


def test_a_tampered_ciphertext_is_refused_not_garbled(credential):
    row = SecureValue.objects.get(credential=credential, field_id="password")
    data = bytearray(bytes(row.ciphertext))
    data[20] ^= 0x40
    SecureValue.objects.filter(pk=row.pk).update(ciphertext=bytes(data))
    api, _, _ = api_for(REVEALER)
    response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password")
    error_of(response, 500, "VAULT_INTEGRITY_ERROR")
    [event] = _reveals(credential)
    assert event.outcome == "failed" and "integrity" in event.changes["reason"]


def test_no_audit_row_no_value(credential, monkeypatch):
    """If the audit insert fails, the reveal fails and nothing is returned (fail closed)."""
    from psa import audit

    real_record = audit.record

    def broken(request, action, *args, **kwargs):
        if action == "reveal" and kwargs.get("outcome") == "success":
            raise RuntimeError("audit storage down")
        return real_record(request, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", broken)
    api, _, _ = api_for(REVEALER)
    api.raise_request_exception = False
    response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password")
    assert response.status_code == 500
    assert SECRET not in response.content.decode()
    assert [e.outcome for e in _reveals(credential)] == []


@pytest.mark.parametrize(
    "without",
    ["credential.fields.read", "obj.credential.fields"],
    ids=["without the fields route's node", "without the fields field"],
)
@pytest.mark.parametrize("route", ["secure-values", "secure-values/password", "totp"])
def test_a_reveal_needs_everything_reading_the_fields_needs(credential, without, route):
    nodes = [n for n in (*READ_FIELDS, "credential.secure_values.read", "aws.credentials.read") if n != without]
    api, _, _ = api_for(nodes)
    error_of(api.get(f"/api/v1/credentials/{credential.pk}/fields"), 403, "FORBIDDEN")

    response = api.get(f"/api/v1/credentials/{credential.pk}/{route}")

    error_of(response, 403, "FORBIDDEN")
    assert SECRET not in response.content.decode()
    assert [event.outcome for event in _reveals(credential)] == ["denied"]


def test_fields_nodes_plus_the_reveal_nodes_reveal(credential):
    api, _, _ = api_for([*READ_FIELDS, "credential.secure_values.read", "aws.credentials.read"])

    assert data_of(api.get(f"/api/v1/credentials/{credential.pk}/secure-values/password"))["value"] == SECRET
