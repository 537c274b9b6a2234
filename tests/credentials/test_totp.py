"""TOTP codes against the RFC 4226 and RFC 6238 test vectors, and parsing of secrets and otpauth URIs."""

import base64

import pytest

from credentials import totp

SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}

# RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8 digits, 30-second steps.
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("at,sha1,sha256,sha512", RFC6238)
def test_rfc6238_vectors(at, sha1, sha256, sha512):
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        params = totp.TotpParams(SEEDS[algorithm], digits=8, period=30, algorithm=algorithm)
        assert totp.current_code(params, at=at).code == expected, algorithm


def test_rfc4226_hotp_vectors():
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(SEEDS["SHA1"], counter) for counter in range(10)] == expected


def test_seconds_remaining_counts_down_within_the_period():
    params = totp.TotpParams(SEEDS["SHA1"])
    assert totp.current_code(params, at=60).seconds_remaining == 30
    assert totp.current_code(params, at=89.5).seconds_remaining == 1
    assert totp.current_code(params, at=75).seconds_remaining == 15


def test_parse_base32_secrets_leniently():
    key = base64.b32encode(SEEDS["SHA1"]).decode()
    spaced = " ".join(key[i : i + 4] for i in range(0, len(key), 4)).lower()
    assert totp.parse(spaced).key == SEEDS["SHA1"]
    assert totp.parse(key.rstrip("=")).key == SEEDS["SHA1"]


def test_parse_otpauth_uri():
    key = base64.b32encode(SEEDS["SHA256"]).decode().rstrip("=")
    params = totp.parse(f"otpauth://totp/Acme:alice?secret={key}&issuer=Acme&algorithm=SHA256&digits=8&period=60")
    assert params == totp.TotpParams(SEEDS["SHA256"], digits=8, period=60, algorithm="SHA256")
    assert totp.current_code(params, at=59).code == totp.hotp(SEEDS["SHA256"], 0, 8, "SHA256")


@pytest.mark.parametrize(
    "value,message",
    [
        ("", "empty"),
        ("not base32 1!", "base32"),
        ("JBSWY3DP", "too short"),
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSW", "HOTP"),
        ("otpauth://totp/x?issuer=a", "no secret"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSW&digits=9", "digits"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSW&algorithm=MD5", "algorithm"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSW&period=0", "period"),
    ],
)
def test_invalid_secrets_are_refused_without_echoing_them(value, message):
    with pytest.raises(totp.TotpError, match=message) as caught:
        totp.parse(value)
    if value:
        assert value not in str(caught.value)
