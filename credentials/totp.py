"""One-time codes (RFC 6238 TOTP over RFC 4226 HOTP) for ``totp_secret`` fields, with the standard library only.

A stored TOTP secret is either a base32 secret (spaces and lower case allowed) or an ``otpauth://totp/...`` URI
as encoded in enrolment QR codes, which may also set ``digits``, ``period`` and ``algorithm``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
MIN_SECRET_BYTES = 10  # 80 bits, the shortest secret common authenticators issue (RFC 4226 asks for 128+)


class TotpError(ValueError):
    """The stored value is not a usable TOTP secret. The message never repeats the value."""


@dataclass(frozen=True)
class TotpParams:
    key: bytes
    digits: int = 6
    period: int = 30
    algorithm: str = "SHA1"


def _decode_base32(text: str) -> bytes:
    cleaned = "".join(text.split()).replace("-", "").upper().rstrip("=")
    if not cleaned:
        raise TotpError("The TOTP secret is empty.")
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise TotpError("The TOTP secret is not valid base32 (letters A-Z and digits 2-7).") from None
    if len(key) < MIN_SECRET_BYTES:
        raise TotpError(f"The TOTP secret is too short: it must hold at least {MIN_SECRET_BYTES * 8} bits.")
    return key


def parse(value: str) -> TotpParams:
    """Parse a base32 secret or an ``otpauth://totp/`` URI."""
    text = (value or "").strip()
    if not text.lower().startswith("otpauth://"):
        return TotpParams(_decode_base32(text))
    parts = urlsplit(text)
    if parts.netloc.lower() != "totp":
        raise TotpError("Only otpauth://totp/ URIs are supported (not HOTP).")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if "secret" not in query:
        raise TotpError("The otpauth URI has no secret parameter.")
    try:
        digits = int(query.get("digits", "6"))
        period = int(query.get("period", "30"))
    except ValueError:
        raise TotpError("The otpauth URI has a non-numeric digits or period.") from None
    algorithm = query.get("algorithm", "SHA1").upper()
    if digits not in (6, 7, 8):
        raise TotpError("The otpauth URI must use 6, 7 or 8 digits.")
    if not 10 <= period <= 300:
        raise TotpError("The otpauth URI period must be between 10 and 300 seconds.")
    if algorithm not in ALGORITHMS:
        raise TotpError("The otpauth URI algorithm must be SHA1, SHA256 or SHA512.")
    return TotpParams(_decode_base32(query["secret"]), digits, period, algorithm)


def hotp(key: bytes, counter: int, digits: int = 6, algorithm: str = "SHA1") -> str:
    digest = hmac.new(key, struct.pack(">Q", counter), ALGORITHMS[algorithm]).digest()
    offset = digest[-1] & 0x0F
    binary = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % (10**digits)).zfill(digits)


@dataclass(frozen=True)
class TotpCode:
    code: str
    seconds_remaining: int
    period: int
    digits: int


def _now() -> float:
    return time.time()


def current_code(params: TotpParams, at: float | None = None) -> TotpCode:
    now = _now() if at is None else at
    counter = int(now // params.period)
    remaining = params.period - int(now % params.period)
    return TotpCode(hotp(params.key, counter, params.digits, params.algorithm), remaining, params.period, params.digits)
