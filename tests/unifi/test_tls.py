"""A console with a self-signed certificate: refused by default, accepted with verify_tls false or its CA bundle."""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.unifi.models import UnifiSite
from integrations.unifi.simulator import UnifiSimulator
from tests.factories import api_for, make_client
from tests.unifi.conftest import make_unifi_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def https_console(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "UniFi console")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "console.pem", tmp_path / "console.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    server = UnifiSimulator("unifi_os", sites=1, devices_per_site=2).serve(ssl_context=(str(cert_file), str(key_file)))
    yield f"https://127.0.0.1:{server.port}", str(cert_file)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("verify", "status"),
    [("true", 503), ("false", 200), ("CA", 200), ("/no/such/ca-bundle.pem", 503)],
)
def test_tls_verification_follows_the_sources_setting(https_console, verify, status):
    url, ca_file = https_console
    source = make_unifi_source(url, verify_tls=ca_file if verify == "CA" else verify)
    site = UnifiSite.objects.create(source=source, site_id="default", name="HQ", client=make_client("Acme"))
    api, *_ = api_for(["unifi.*"])
    response = api.get(f"/api/v1/unifi/site/{site.pk}/devices")
    assert response.status_code == status, response.content
    if status == 503:
        assert response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
