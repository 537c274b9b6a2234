"""Parsing and validation of the network-ish values a technician types: CIDR, MAC, domain names, PEM."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID
from django.core.exceptions import ValidationError

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValidationError(
            "'%(value)s' is not a network in CIDR notation, e.g. 192.168.1.0/24.", params={"value": value[:100]}
        ) from None


def normalize_mac(value: str) -> str:
    """``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff`` and ``aabbccddeeff`` all become ``aa:bb:cc:dd:ee:ff``."""
    digits = re.sub(r"[\s:.\-]", "", value.strip().lower())
    if not _MAC_HEX.match(digits):
        raise ValidationError(
            "'%(value)s' is not a MAC address, e.g. 00:1a:2b:3c:4d:5e.", params={"value": value[:100]}
        )
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def normalize_domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError("'%(value)s' is not a valid domain name.", params={"value": value[:100]}) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(
            "'%(value)s' is not a valid domain name, e.g. example.com.", params={"value": value[:100]}
        )
    if labels[-1].isdigit():
        raise ValidationError("'%(value)s' is an address, not a domain name.", params={"value": value[:100]})
    return name


def ip_in_network(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)


def parse_range(value: str, cidr: str | None) -> str:
    """A DHCP range ``first-last`` whose ends parse, are in order, and lie inside the network."""
    first, sep, last = value.partition("-")
    try:
        start, end = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
    except ValueError:
        raise ValidationError("Give the range as first-last, e.g. 192.168.1.100-192.168.1.200.") from None
    if not sep or start.version != end.version or start > end:
        raise ValidationError("The range must run from a lower to a higher address of the same family.")
    if cidr and not (ip_in_network(str(start), cidr) and ip_in_network(str(end), cidr)):
        raise ValidationError(f"The range lies outside {cidr}.")
    return f"{start}-{end}"


@dataclass
class CertificateFacts:
    issued_on: date
    expires_on: date
    issuer: str
    domain: str


def read_pem(pem: str) -> CertificateFacts:
    """The dates, issuer and main host name of a PEM certificate; a ValidationError if it does not parse."""
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode())
    except (ValueError, TypeError):
        raise ValidationError("Not a PEM-encoded X.509 certificate (-----BEGIN CERTIFICATE----- ...).") from None
    domain = ""
    try:
        names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        dns = names.get_values_for_type(x509.DNSName)
        domain = dns[0] if dns else ""
    except x509.ExtensionNotFound:
        pass
    if not domain:
        common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        domain = str(common[0].value) if common else ""
    return CertificateFacts(
        issued_on=cert.not_valid_before_utc.date(),
        expires_on=cert.not_valid_after_utc.date(),
        issuer=cert.issuer.rfc4514_string()[:255],
        domain=domain[:253],
    )
