"""Envelope encryption of secure credential values (design.md "The vault", reference/security.md §1.5).

- Every credential has its own random 256-bit data key (DEK). The DEK is stored only wrapped: encrypted with
  AES-256-GCM under a master key (KEK) from the versioned keyring ``settings.VAULT_KEYS`` (``PSA_VAULT_KEYS``).
  The newest version wraps new keys; older versions still unwrap until ``manage.py vault_rotate`` rewraps them.
- Every secure value is encrypted with AES-256-GCM under its credential's DEK, with a fresh 96-bit random nonce.
- The associated data binds each ciphertext to where it belongs: a value to its credential id and field path, a
  wrapped DEK to its credential id and master-key version. A ciphertext copied anywhere else, or altered by one bit,
  fails authentication (:class:`VaultIntegrityError`); it never decrypts to something else.
- Stored format (values and wrapped keys): ``format byte (1) || nonce (12) || ciphertext || tag (16)``. Unknown
  format bytes are refused. Plaintexts are padded to a multiple of 32 bytes inside the AEAD, so stored lengths do
  not give away the exact length of a password.

Threat model: this protects secrets in the database and its backups against anyone without the master keys. It
does not protect against a compromised application process, which holds the keys; access control, rate limits and
the reveal audit cover that side.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
PAD_BLOCK = 32
_PREFIX = b"psa-vault/v1"


class VaultError(Exception):
    """Base class of vault failures. Messages never contain secret material."""


class VaultUnavailable(VaultError):
    """A master key that is needed is not configured or malformed: secure values can be neither read nor written."""


class VaultIntegrityError(VaultError):
    """A stored ciphertext or wrapped key failed authentication: it was altered, moved, or belongs elsewhere."""


def decode_master_key(secret: str) -> bytes:
    """A master key is 32 random bytes in base64 (standard or URL-safe alphabet)."""
    text = secret.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError("is not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"decodes to {len(raw)} bytes, not {KEY_BYTES}")
    return raw


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[int, bytes]
    problems: Mapping[int, str]

    @property
    def primary_version(self) -> int:
        """The newest version: it wraps every new data key (and every key ``vault_rotate`` rewraps)."""
        versions = set(self.keys) | set(self.problems)
        if not versions:
            raise VaultUnavailable("No vault master key is configured: set PSA_VAULT_KEYS.")
        return max(versions)

    def key(self, version: int) -> bytes:
        if version in self.keys:
            return self.keys[version]
        if version in self.problems:
            raise VaultUnavailable(f"Vault master key version {version} is malformed ({self.problems[version]}).")
        raise VaultUnavailable(
            f"Vault master key version {version} is not configured: add it to PSA_VAULT_KEYS to read these secrets."
        )

    def status(self) -> dict[str, Any]:
        try:
            primary = self.primary_version
        except VaultUnavailable:
            primary = None
        return {
            "primary_version": primary,
            "versions": sorted(self.keys),
            "problems": {str(v): p for v, p in sorted(self.problems.items())},
            "available": primary is not None and primary in self.keys,
        }


def load_keyring(configured: Mapping[int, str] | None = None) -> Keyring:
    """The keyring from ``settings.VAULT_KEYS`` (``{version: base64 key}``), read on every call.

    Malformed entries do not stop the process: they make the vault unavailable for what needs them, with a clear
    error, while everything else keeps working.
    """
    if configured is None:
        from django.conf import settings

        configured = getattr(settings, "VAULT_KEYS", None) or {}
    keys: dict[int, bytes] = {}
    problems: dict[int, str] = {}
    for version, secret in configured.items():
        try:
            if int(version) < 1:
                raise ValueError("versions start at 1")
            keys[int(version)] = decode_master_key(str(secret))
        except ValueError as exc:
            problems[int(version) if str(version).isdigit() else 0] = f"the key {exc}"
    return Keyring(keys, problems)


def generate_master_key() -> str:
    """A new master key in the form ``PSA_VAULT_KEYS`` takes (base64 of 32 random bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


# --- associated data ------------------------------------------------------------------------------------------------


def _dek_aad(credential_id: Any, version: int) -> bytes:
    return b"%s/dek/%s/kek-%d" % (_PREFIX, str(credential_id).encode("ascii"), version)


def _value_aad(credential_id: Any, field_path: str) -> bytes:
    return b"%s/value/%s/%s" % (_PREFIX, str(credential_id).encode("ascii"), field_path.encode("utf-8"))


# --- AEAD envelope ----------------------------------------------------------------------------------------------------


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return bytes([FORMAT_VERSION]) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes | memoryview, aad: bytes, what: str) -> bytes:
    data = bytes(blob)
    if len(data) < 1 + NONCE_BYTES + TAG_BYTES:
        raise VaultIntegrityError(f"The stored {what} is truncated.")
    if data[0] != FORMAT_VERSION:
        raise VaultIntegrityError(f"The stored {what} has an unknown format ({data[0]}).")
    nonce, body = data[1 : 1 + NONCE_BYTES], data[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise VaultIntegrityError(
            f"The stored {what} failed its integrity check: it was altered or does not belong here."
        ) from None


def _pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise VaultIntegrityError("A decrypted value has invalid padding.")
    return stripped[:-1]


# --- data keys ------------------------------------------------------------------------------------------------------


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def wrap_data_key(dek: bytes, credential_id: Any, ring: Keyring | None = None) -> tuple[bytes, int]:
    """``(wrapped key, master-key version)`` under the newest master key."""
    ring = ring or load_keyring()
    version = ring.primary_version
    return _seal(ring.key(version), dek, _dek_aad(credential_id, version)), version


def unwrap_data_key(
    wrapped: bytes | memoryview, credential_id: Any, version: int, ring: Keyring | None = None
) -> bytes:
    ring = ring or load_keyring()
    dek = _open(ring.key(version), wrapped, _dek_aad(credential_id, version), "data key")
    if len(dek) != KEY_BYTES:
        raise VaultIntegrityError("A data key has the wrong length.")
    return dek


def rewrap_data_key(
    wrapped: bytes | memoryview, credential_id: Any, version: int, ring: Keyring | None = None
) -> tuple[bytes, int]:
    """The same data key wrapped by the newest master key. The values it protects are not touched."""
    ring = ring or load_keyring()
    return wrap_data_key(unwrap_data_key(wrapped, credential_id, version, ring), credential_id, ring)


# --- values ---------------------------------------------------------------------------------------------------------


def encrypt_value(dek: bytes, credential_id: Any, field_path: str, plaintext: str) -> bytes:
    return _seal(dek, _pad(plaintext.encode("utf-8")), _value_aad(credential_id, field_path))


def decrypt_value(dek: bytes, credential_id: Any, field_path: str, blob: bytes | memoryview) -> str:
    data = _unpad(_open(dek, blob, _value_aad(credential_id, field_path), "secure value"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultIntegrityError("A decrypted value is not valid text.") from None
