"""The crypto layer (reference/security.md §1.6): round trips, tampering, swaps, key versions, the local key file."""

from __future__ import annotations

import base64
import os
import stat
import threading
import uuid

import pytest
from django.test import override_settings

from credentials import services, vault
from credentials.keyfile import local_vault_key
from credentials.models import DataKey, SecureValue
from credentials.value_types import VALUE_TYPES
from tests.credentials.factories import VPN_FIELDS, make_credential, make_type, sub_input

KEY_1 = base64.b64encode(b"\x01" * 32).decode()
KEY_2 = base64.b64encode(b"\x02" * 32).decode()

SAMPLES = {
    "password": "correct horse battery staple \u00e9\u4e2d",
    "generic_secret": "sk_live_0123456789abcdef",
    "bitlocker_key": "000011-000022-000033-000044-000055-000066-000077-000088",
    "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
    "plain_text": "  a secure plain text with spaces  ",
    "license_key": "AAAAA-BBBBB-CCCCC-DDDDD",
    "username": "administrator",
    "url": "https://portal.example.com/login",
    "email": "admin@example.com",
    "ip_address": "10.0.0.1",
}


def _flip(blob: bytes, index: int) -> bytes:
    data = bytearray(blob)
    data[index] ^= 0x01
    return bytes(data)


def test_value_round_trip_and_binding():
    dek = vault.new_data_key()
    cred = uuid.uuid4()
    blob = vault.encrypt_value(dek, cred, "password", "hunter2")
    assert b"hunter2" not in blob
    assert blob[0] == vault.FORMAT_VERSION
    assert vault.decrypt_value(dek, cred, "password", blob) == "hunter2"
    # Same plaintext twice: different nonces, different ciphertexts.
    assert vault.encrypt_value(dek, cred, "password", "hunter2") != blob
    with pytest.raises(vault.VaultIntegrityError):
        vault.decrypt_value(dek, cred, "other_field", blob)
    with pytest.raises(vault.VaultIntegrityError):
        vault.decrypt_value(dek, uuid.uuid4(), "password", blob)
    with pytest.raises(vault.VaultIntegrityError):
        vault.decrypt_value(vault.new_data_key(), cred, "password", blob)


@pytest.mark.parametrize(
    "part,index",
    [("format byte", 0), ("nonce", 1), ("nonce end", 12), ("ciphertext", 14), ("tag", -1), ("tag start", -16)],
)
def test_a_flipped_bit_anywhere_fails(part, index):
    dek = vault.new_data_key()
    cred = uuid.uuid4()
    blob = vault.encrypt_value(dek, cred, "password", "hunter2")
    with pytest.raises(vault.VaultIntegrityError):
        vault.decrypt_value(dek, cred, "password", _flip(blob, index))


def test_truncated_and_unknown_format_fail():
    dek = vault.new_data_key()
    cred = uuid.uuid4()
    blob = vault.encrypt_value(dek, cred, "f", "x")
    with pytest.raises(vault.VaultIntegrityError, match="truncated"):
        vault.decrypt_value(dek, cred, "f", blob[:20])
    with pytest.raises(vault.VaultIntegrityError, match="unknown format"):
        vault.decrypt_value(dek, cred, "f", bytes([2]) + blob[1:])


def test_padding_hides_exact_length():
    dek = vault.new_data_key()
    cred = uuid.uuid4()
    lengths = {len(vault.encrypt_value(dek, cred, "p", "x" * n)) for n in range(0, 31)}
    assert len(lengths) == 1
    assert len(vault.encrypt_value(dek, cred, "p", "x" * 40)) > lengths.pop()
    for text in ("", "a", "a\x80", "ends with zero \x00"[:-1], "x" * 31, "x" * 32, "x" * 33):
        assert vault.decrypt_value(dek, cred, "p", vault.encrypt_value(dek, cred, "p", text)) == text


@override_settings(VAULT_KEYS={1: KEY_1, 2: KEY_2})
def test_data_keys_wrap_with_the_newest_master_key_and_bind_to_credential_and_version():
    dek = vault.new_data_key()
    cred = uuid.uuid4()
    wrapped, version = vault.wrap_data_key(dek, cred)
    assert version == 2
    assert dek not in wrapped
    assert vault.unwrap_data_key(wrapped, cred, 2) == dek
    with pytest.raises(vault.VaultIntegrityError):
        vault.unwrap_data_key(wrapped, uuid.uuid4(), 2)  # moved to another credential
    with pytest.raises(vault.VaultIntegrityError):
        vault.unwrap_data_key(wrapped, cred, 1)  # version column changed without a rewrap
    for index in (0, 5, 20, -1):
        with pytest.raises(vault.VaultIntegrityError):
            vault.unwrap_data_key(_flip(wrapped, index), cred, 2)


def test_missing_unknown_and_malformed_master_keys():
    ring = vault.load_keyring({1: KEY_1, 3: "bm90IGEga2V5", 4: base64.b64encode(b"short").decode()})
    assert ring.primary_version == 4
    assert set(ring.keys) == {1}
    with pytest.raises(vault.VaultUnavailable, match="version 2 is not configured"):
        ring.key(2)
    with pytest.raises(vault.VaultUnavailable, match="version 3 is malformed"):
        ring.key(3)
    with pytest.raises(vault.VaultUnavailable, match="malformed"):
        vault.wrap_data_key(vault.new_data_key(), uuid.uuid4(), ring)  # the newest is unusable: no new writes
    with pytest.raises(vault.VaultUnavailable, match="No vault master key"):
        _ = vault.load_keyring({}).primary_version
    status = ring.status()
    assert status["available"] is False and status["versions"] == [1] and set(status["problems"]) == {"3", "4"}
    # Error messages never contain key material.
    assert KEY_1 not in str(status)


def test_master_keys_accept_standard_and_urlsafe_base64():
    raw = bytes(range(32))
    assert vault.decode_master_key(base64.b64encode(raw).decode()) == raw
    assert vault.decode_master_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    with pytest.raises(ValueError):
        vault.decode_master_key("!!!")
    assert len(base64.b64decode(vault.generate_master_key())) == 32


def test_local_key_file_is_created_once_private_and_agreed_by_concurrent_starts(tmp_path):
    results = []
    threads = [threading.Thread(target=lambda: results.append(local_vault_key(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert len(base64.b64decode(results[0])) == 32
    path = tmp_path / "vault_master_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault_master_key"]  # no temporary files left
    assert local_vault_key(tmp_path) == results[0]


# --- stored rows -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value_type", [k for k, v in VALUE_TYPES.items() if v.secure != "never"])
def test_every_secure_value_type_round_trips_through_the_database(client_a, value_type):
    fields = [{"id": "f", "name": "F", "value_type": value_type, "secure": True}]
    credential = make_credential(client_a, make_type(fields), values={"f": SAMPLES[value_type]})
    stored = bytes(SecureValue.objects.get(credential=credential).ciphertext)
    assert SAMPLES[value_type].strip().encode() not in stored
    # Secure values are kept exactly as typed (validated types are normalised; these samples already are).
    assert services.decrypt_fields(credential, ["f"]) == {"f": SAMPLES[value_type]}
    assert credential.values == {}


def _stored(credential, field_id):
    return SecureValue.objects.get(credential=credential, field_id=field_id)


@pytest.mark.django_db
def test_ciphertexts_moved_between_fields_credentials_clients_and_sub_credentials_fail(client_a, client_b):
    two_secrets = [
        {"id": "password", "name": "Password", "value_type": "password"},
        {"id": "pin", "name": "PIN", "value_type": "generic_secret"},
    ]
    kind = make_type(two_secrets)
    one = make_credential(client_a, kind, values={"password": "one-password", "pin": "1111"})
    same_client = make_credential(client_a, kind, values={"password": "two-password", "pin": "2222"})
    other_client = make_credential(client_b, kind, values={"password": "three-password", "pin": "3333"})

    def swapped_read(target, field_id, source_ciphertext):
        SecureValue.objects.filter(credential=target, field_id=field_id).update(ciphertext=source_ciphertext)
        with pytest.raises(vault.VaultIntegrityError):
            services.decrypt_fields(target, [field_id])

    swapped_read(one, "pin", _stored(one, "password").ciphertext)  # same row, other field
    swapped_read(same_client, "password", _stored(one, "password").ciphertext)  # other credential
    swapped_read(other_client, "password", _stored(one, "password").ciphertext)  # other client

    vpn = make_type(VPN_FIELDS)
    parent = make_credential(
        client_a,
        vpn,
        values={"hostname": "fw", "admin_password": "parent-secret"},
        subs={"tunnels": [sub_input("T", server="s", psk="child-secret")]},
    )
    child = parent.children.get()
    swapped_read(parent, "admin_password", _stored(child, "psk").ciphertext)  # sub-credential into parent
    # Even the same field id in another position of the definition fails (the path is bound, not just the id).
    SecureValue.objects.create(credential=parent, field_id="psk", ciphertext=_stored(child, "psk").ciphertext)
    with pytest.raises(vault.VaultIntegrityError):
        vault.decrypt_value(services.data_key_for(parent), parent.pk, "psk", bytes(_stored(parent, "psk").ciphertext))


@pytest.mark.django_db
def test_wrapped_data_keys_moved_between_credentials_fail(client_a):
    kind = make_type()
    one, two = make_credential(client_a, kind), make_credential(client_a, kind)
    DataKey.objects.filter(credential=two).update(wrapped=DataKey.objects.get(credential=one).wrapped)
    with pytest.raises(vault.VaultIntegrityError):
        services.decrypt_fields(two, ["password"])
    assert services.decrypt_fields(one, ["password"])["password"].startswith("pw-")


@pytest.mark.django_db
def test_every_credential_has_its_own_data_key(client_a):
    kind = make_type()
    one, two = make_credential(client_a, kind), make_credential(client_a, kind)
    assert services.data_key_for(one) != services.data_key_for(two)
    assert DataKey.objects.get(credential=one).wrapped != DataKey.objects.get(credential=two).wrapped


@pytest.mark.django_db
def test_a_credential_without_secure_values_needs_no_vault(client_a):
    fields = [
        {"id": "host", "name": "Host", "value_type": "plain_text"},
        {"id": "pw", "name": "PW", "value_type": "password"},
    ]
    with override_settings(VAULT_KEYS={}):
        credential = make_credential(client_a, make_type(fields), values={"host": "h"})
        assert not DataKey.objects.filter(credential=credential).exists()
        with pytest.raises(vault.VaultUnavailable):
            services.apply_values(credential, {"pw": "x"})


@pytest.mark.django_db
def test_a_missing_master_key_version_refuses_reads(client_a):
    with override_settings(VAULT_KEYS={7: KEY_1}):
        credential = make_credential(client_a, make_type())
    assert DataKey.objects.get(credential=credential).key_version == 7
    with override_settings(VAULT_KEYS={8: KEY_2}), pytest.raises(vault.VaultUnavailable, match="version 7"):
        services.decrypt_fields(credential, ["password"])
