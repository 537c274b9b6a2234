"""Behaviour of the client-documentation API: validation, RMM upsert, seats, expirations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from assets.models import Asset, AssetInterface, ExpiringItem, SoftwareSeat
from assets.tasks import record_expirations
from psa.models import AuditEvent
from tests.assets.factories import (
    make_asset,
    make_certificate,
    make_domain,
    make_interface,
    make_network,
    make_seat,
    make_software,
)
from tests.factories import api_for, make_client, make_contact

pytestmark = pytest.mark.django_db

ALL = ["*"]


def errors(response) -> dict:
    assert response.status_code == 400, response.content
    return {".".join(map(str, d["path"])): d["message"] for d in response.json()["error"]["details"]}


def self_signed_pem(host: str, days: int = 90) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# --- networks ---------------------------------------------------------------------------------------------------


def test_network_cidr_is_validated_and_normalized(client_a):
    api, _, _ = api_for(ALL)
    bad = api.post("/api/v1/networks", {"client_id": str(client_a.pk), "name": "LAN", "cidr": "10.0.0.300/24"})
    assert "cidr" in errors(bad)
    ok = api.post("/api/v1/networks", {"client_id": str(client_a.pk), "name": "LAN", "cidr": "10.0.0.7/24"})
    assert ok.status_code == 201, ok.content
    assert ok.json()["data"]["cidr"] == "10.0.0.0/24"


def test_network_gateway_and_dhcp_range_must_lie_inside(client_a):
    api, _, _ = api_for(ALL)
    base = {"client_id": str(client_a.pk), "name": "LAN", "cidr": "192.168.1.0/24"}
    assert "gateway" in errors(api.post("/api/v1/networks", {**base, "gateway": "10.0.0.1"}))
    assert "dhcp_range" in errors(api.post("/api/v1/networks", {**base, "dhcp_range": "192.168.1.200-192.168.1.100"}))
    assert "dhcp_range" in errors(api.post("/api/v1/networks", {**base, "dhcp_range": "192.168.2.1-192.168.2.9"}))
    assert "vlan" in errors(api.post("/api/v1/networks", {**base, "vlan": 5000}))
    ok = api.post("/api/v1/networks", {**base, "gateway": "192.168.1.1", "dhcp_range": "192.168.1.100-192.168.1.200"})
    assert ok.status_code == 201


def test_a_failed_update_loses_nothing(client_a):
    network = make_network(client_a, cidr="10.1.0.0/16", notes="keep me")
    api, _, _ = api_for(ALL)
    assert "cidr" in errors(api.patch(f"/api/v1/networks/{network.pk}", {"cidr": "nonsense", "notes": "changed"}))
    network.refresh_from_db()
    assert (network.cidr, network.notes) == ("10.1.0.0/16", "keep me")


# --- assets and interfaces --------------------------------------------------------------------------------------


def test_asset_crud_with_interfaces(client_a):
    api, _, _ = api_for(ALL)
    created = api.post("/api/v1/assets", {"client_id": str(client_a.pk), "name": "SRV-01", "type": "server"})
    assert created.status_code == 201, created.content
    asset_id = created.json()["data"]["id"]
    iface = api.post(f"/api/v1/assets/{asset_id}/interfaces", {"name": "eth0", "mac": "AA-BB-CC-00-11-22"})
    assert iface.status_code == 201, iface.content
    assert iface.json()["data"]["mac"] == "aa:bb:cc:00:11:22"
    detail = api.get(f"/api/v1/assets/{asset_id}").json()["data"]
    assert [i["mac"] for i in detail["interfaces"]] == ["aa:bb:cc:00:11:22"]
    assert api.get(f"/api/v1/assets/{asset_id}/interfaces").json()["pagination"]["total"] == 1
    assert api.delete(f"/api/v1/assets/{asset_id}").status_code == 204
    assert not AssetInterface.objects.exists()


def test_bad_mac_and_type_are_400_naming_the_field(client_a):
    asset = make_asset(client_a)
    api, _, _ = api_for(ALL)
    assert "mac" in errors(api.post(f"/api/v1/assets/{asset.pk}/interfaces", {"name": "eth0", "mac": "zz:zz"}))
    assert "ipv4" in errors(api.post(f"/api/v1/assets/{asset.pk}/interfaces", {"name": "eth0", "ipv4": "fe80::1"}))
    assert "type" in errors(api.post("/api/v1/assets", {"client_id": str(client_a.pk), "name": "X", "type": "toaster"}))


def test_reversed_asset_dates_are_400(client_a):
    api, _, _ = api_for(ALL)
    body = {"client_id": str(client_a.pk), "name": "X", "purchase_date": "2026-05-01", "warranty_expires": "2025-05-01"}
    assert "warranty_expires" in errors(api.post("/api/v1/assets", body))


def test_asset_relations_must_belong_to_the_same_client(client_a, client_b):
    contact_b = make_contact(client_b)
    api, _, _ = api_for(ALL)
    body = {"client_id": str(client_a.pk), "name": "X", "contact_id": str(contact_b.pk)}
    assert "contact_id" in errors(api.post("/api/v1/assets", body))


def test_only_one_primary_interface(client_a):
    asset = make_asset(client_a)
    make_interface(asset, is_primary=True)
    api, _, _ = api_for(ALL)
    assert "is_primary" in errors(api.post(f"/api/v1/assets/{asset.pk}/interfaces", {"name": "x", "is_primary": True}))


def test_asset_filters_by_mac_serial_type_and_search(client_a, client_b):
    laptop = make_asset(client_a, type="laptop", serial="ABC123")
    make_interface(laptop, mac="00:11:22:33:44:55")
    make_asset(client_a, type="server", name="Mail server")
    api, _, _ = api_for(ALL)

    def names(**params):
        return [row["name"] for row in api.get("/api/v1/assets", params).json()["data"]]

    assert names(mac="00-11-22-33-44-55") == [laptop.name]
    assert names(serial="abc123") == [laptop.name]
    assert names(type="server") == ["Mail server"]
    assert names(search="00:11:22") == [laptop.name]
    assert names(search="mail") == ["Mail server"]
    assert "mac" in errors(api.get("/api/v1/assets", {"mac": "not-a-mac"}))


def test_interfaces_of_an_out_of_scope_asset_are_404(client_a, client_b):
    asset_b = make_asset(client_b)
    api, _, _ = api_for(ALL, clients=[client_a])
    assert api.get(f"/api/v1/assets/{asset_b.pk}/interfaces").status_code == 404
    assert api.post(f"/api/v1/assets/{asset_b.pk}/interfaces", {"name": "x"}).status_code == 404
    assert not AssetInterface.objects.filter(asset=asset_b).exists()


# --- RMM upsert -------------------------------------------------------------------------------------------------


def test_upsert_by_serial_is_idempotent(client_a):
    api, _, _ = api_for(["asset.upsert", "obj.*"])
    body = {"client_id": str(client_a.pk), "serial": "SN-1", "name": "PC-1", "os": "Windows 11"}
    first = api.put("/api/v1/assets/upsert", body)
    assert first.status_code == 201, first.content
    second = api.put("/api/v1/assets/upsert", {**body, "os": "Windows 11 24H2"})
    assert second.status_code == 200
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert Asset.objects.get().os == "Windows 11 24H2"
    assert AuditEvent.objects.filter(object_type="assets.asset", action="update").count() == 1


def test_upsert_by_mac_creates_one_asset_and_one_interface(client_a):
    api, _, _ = api_for(["asset.upsert", "obj.*"])
    body = {"client_id": str(client_a.pk), "mac": "AA:BB:CC:DD:EE:01", "name": "Printer"}
    for _ in range(3):
        assert api.put("/api/v1/assets/upsert", body).status_code in (200, 201)
    assert Asset.objects.count() == 1
    assert list(AssetInterface.objects.values_list("mac", "is_primary")) == [("aa:bb:cc:dd:ee:01", True)]


def test_upsert_matches_mac_of_an_existing_asset_and_adds_serial(client_a):
    asset = make_asset(client_a)
    make_interface(asset, mac="aa:bb:cc:dd:ee:02")
    api, _, _ = api_for(["asset.upsert", "obj.*"])
    response = api.put(
        "/api/v1/assets/upsert", {"client_id": str(client_a.pk), "mac": "aabb.ccdd.ee02", "serial": "X9"}
    )
    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.serial == "X9"
    assert Asset.objects.count() == 1


def test_upsert_needs_serial_or_mac_and_cannot_reach_other_clients(client_a, client_b):
    api, _, _ = api_for(["asset.upsert", "obj.*"], clients=[client_a])
    assert "serial" in errors(api.put("/api/v1/assets/upsert", {"client_id": str(client_a.pk), "name": "x"}))
    assert "client_id" in errors(api.put("/api/v1/assets/upsert", {"client_id": str(client_b.pk), "serial": "S"}))
    assert not Asset.objects.exists()


def test_upsert_keeps_serials_per_client(client_a, client_b):
    make_asset(client_b, serial="SAME")
    api, _, _ = api_for(["asset.upsert", "obj.*"])
    assert api.put("/api/v1/assets/upsert", {"client_id": str(client_a.pk), "serial": "SAME"}).status_code == 201
    assert Asset.objects.filter(serial="SAME").count() == 2


# --- domains and certificates -----------------------------------------------------------------------------------


def test_domain_names_are_validated(client_a):
    api, _, _ = api_for(ALL)
    for bad in ("not a domain", "localhost", "-bad-.com", "1.2.3.4"):
        assert "name" in errors(api.post("/api/v1/domains", {"client_id": str(client_a.pk), "name": bad})), bad
    ok = api.post(
        "/api/v1/domains", {"client_id": str(client_a.pk), "name": "Example.COM.", "name_servers": ["NS1.example.com"]}
    )
    assert ok.status_code == 201
    assert ok.json()["data"]["name"] == "example.com"
    assert ok.json()["data"]["name_servers"] == ["ns1.example.com"]
    dup = api.post("/api/v1/domains", {"client_id": str(client_a.pk), "name": "example.com"})
    assert "name" in errors(dup)


def test_certificate_pem_fills_dates_issuer_and_domain(client_a):
    api, _, _ = api_for(ALL)
    pem = self_signed_pem("portal.example.com", days=90)
    response = api.post("/api/v1/certificates", {"client_id": str(client_a.pk), "name": "Portal", "public_key": pem})
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["domain"] == "portal.example.com"
    assert data["issued_on"] == "2026-01-01"
    assert data["expires_on"] == "2026-04-01"
    assert data["issuer"] == "CN=Test CA"


def test_bad_pem_and_reversed_certificate_dates_are_400(client_a):
    api, _, _ = api_for(ALL)
    base = {"client_id": str(client_a.pk), "name": "C"}
    bad_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"
    assert "public_key" in errors(api.post("/api/v1/certificates", {**base, "public_key": bad_pem}))
    reversed_dates = {**base, "issued_on": "2026-06-01", "expires_on": "2026-01-01"}
    assert "expires_on" in errors(api.post("/api/v1/certificates", reversed_dates))


def test_a_domain_of_another_client_is_a_400_naming_domain_id(client_a):
    api, _, _ = api_for(ALL)
    elsewhere = make_domain(make_client("Elsewhere"), name="elsewhere.example")

    body = {"client_id": str(client_a.pk), "name": "C", "domain_id": str(elsewhere.pk)}

    assert errors(api.post("/api/v1/certificates", body)) == {"domain_id": "Belongs to another client."}


# --- software and seats -----------------------------------------------------------------------------------------


def test_assigning_beyond_the_seats_is_409(client_a):
    software = make_software(client_a, seats=1)
    asset, contact = make_asset(client_a), make_contact(client_a)
    api, _, _ = api_for(ALL)
    first = api.post(f"/api/v1/software/{software.pk}/seats", {"asset_id": str(asset.pk)})
    assert first.status_code == 201, first.content
    second = api.post(f"/api/v1/software/{software.pk}/seats", {"contact_id": str(contact.pk)})
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "CONFLICT"
    assert SoftwareSeat.objects.count() == 1
    assert api.get(f"/api/v1/software/{software.pk}").json()["data"]["seats_used"] == 1


def test_seat_validation(client_a, client_b):
    software = make_software(client_a, seats=5)
    asset = make_asset(client_a)
    make_seat(software, asset=asset)
    api, _, _ = api_for(ALL)
    url = f"/api/v1/software/{software.pk}/seats"
    assert "asset_id" in errors(api.post(url, {}))
    assert "asset_id" in errors(api.post(url, {"asset_id": str(asset.pk)}))
    other = make_asset(client_b)
    assert "asset_id" in errors(api.post(url, {"asset_id": str(other.pk)}))
    assert "seats" in errors(api.patch(f"/api/v1/software/{software.pk}", {"seats": 0}))


def test_seat_unassign(client_a):
    software = make_software(client_a, seats=1)
    seat = make_seat(software, asset=make_asset(client_a))
    api, _, _ = api_for(ALL)
    assert api.delete(f"/api/v1/software/{software.pk}/seats/{seat.pk}").status_code == 204
    assert not SoftwareSeat.objects.exists()


def test_reversed_software_dates_are_400(client_a):
    api, _, _ = api_for(ALL)
    body = {"client_id": str(client_a.pk), "name": "AV", "purchase_date": "2026-02-01", "expires_on": "2026-01-01"}
    assert "expires_on" in errors(api.post("/api/v1/software", body))


# --- expirations ------------------------------------------------------------------------------------------------


def _expiring_estate(client_a, client_b):
    today = timezone.localdate()
    make_domain(client_a, name="soon.example", expires_on=today + timedelta(days=10))
    make_domain(client_a, name="later.example", expires_on=today + timedelta(days=200))
    make_certificate(client_a, name="TLS", expires_on=today + timedelta(days=5))
    make_software(client_a, name="AV", expires_on=today + timedelta(days=20))
    make_asset(client_a, name="Old PC", warranty_expires=today - timedelta(days=1))
    make_domain(client_b, name="b-soon.example", expires_on=today + timedelta(days=3))


def test_expirations_within_days_in_scope(client_a, client_b):
    _expiring_estate(client_a, client_b)
    api, _, _ = api_for(ALL, clients=[client_a])
    rows = api.get("/api/v1/expirations", {"within_days": 30}).json()["data"]
    assert [(r["kind"], r["name"]) for r in rows] == [
        ("warranty", "Old PC"),
        ("certificate", "TLS"),
        ("domain", "soon.example"),
        ("licence", "AV"),
    ]
    assert rows[0]["days_left"] == -1
    assert "within_days" in errors(api.get("/api/v1/expirations", {"within_days": "-3"}))


def test_expirations_only_show_kinds_the_caller_may_read(client_a, client_b):
    _expiring_estate(client_a, client_b)
    api, _, _ = api_for(["asset.read", "domain.read"])
    kinds = {r["kind"] for r in api.get("/api/v1/expirations", {"within_days": 30}).json()["data"]}
    assert kinds == {"warranty", "domain"}


def test_expiring_within_days_filter_on_lists(client_a, client_b):
    _expiring_estate(client_a, client_b)
    api, _, _ = api_for(ALL)
    names = [r["name"] for r in api.get("/api/v1/domains", {"expiring_within_days": 15}).json()["data"]]
    assert names == ["b-soon.example", "soon.example"]
    assert [r["name"] for r in api.get("/api/v1/assets", {"expiring_within_days": 0}).json()["data"]] == ["Old PC"]


def test_daily_task_records_expirations_idempotently(client_a, client_b):
    _expiring_estate(client_a, client_b)
    assert record_expirations()["recorded"] == 5
    assert record_expirations()["recorded"] == 5
    assert ExpiringItem.objects.count() == 5
    assert ExpiringItem.objects.first().expires_on == date.today() - timedelta(days=1)


# --- client routes from seed 004 --------------------------------------------------------------------------------


def test_client_includes_are_guarded_by_their_nodes(client_a):
    make_contact(client_a, first_name="Pat", is_primary=True)
    make_contact(client_a, first_name="Sam")
    api, _, _ = api_for(["client.read", "contact.read", "obj.*"])
    url = f"/api/v1/clients/{client_a.pk}"
    plain = api.get(url).json()["data"]
    assert "primary_contact" not in plain and "contacts" not in plain
    primary = api.get(url, {"include_primary_contact": "true"}).json()["data"]
    assert primary["primary_contact"]["first_name"] == "Pat"
    assert api.get(url, {"include_all_contacts": "true"}).status_code == 403
    assert api.get(url, {"include_address": "true"}).status_code == 403
    full, _, _ = api_for(["client.read", "contact.read", "client.read.contacts", "client.read.address", "obj.*"])
    data = full.get(url, {"include_all_contacts": "true", "include_address": "true"}).json()["data"]
    assert sorted(c["first_name"] for c in data["contacts"]) == ["Pat", "Sam"]
    assert "address_details" in data


def test_client_configurations_lists_its_assets(client_a, client_b):
    make_asset(client_a, name="A1")
    make_asset(client_b, name="B1")
    api, _, _ = api_for(["client.read", "client.read.configurations", "asset.read", "obj.*"])
    rows = api.get(f"/api/v1/clients/{client_a.pk}/configurations").json()["data"]
    assert [r["name"] for r in rows] == ["A1"]


def test_msp_vendors_are_shared_but_read_only_for_scoped_callers(client_a, client_b):
    api_all, _, _ = api_for(ALL)
    shared = api_all.post("/api/v1/vendors", {"name": "Distributor"}).json()["data"]
    scoped, _, _ = api_for(ALL, clients=[client_a])
    names = [v["name"] for v in scoped.get("/api/v1/vendors").json()["data"]]
    assert names == ["Distributor"]
    assert scoped.patch(f"/api/v1/vendors/{shared['id']}", {"name": "Mine"}).status_code == 403
    assert scoped.post("/api/v1/vendors", {"name": "Global"}).status_code == 403
    assert scoped.post("/api/v1/vendors", {"name": "Local", "client_id": str(client_a.pk)}).status_code == 201


def test_client_full_fields(client_a):
    api, _, _ = api_for(ALL)
    response = api.patch(
        f"/api/v1/clients/{client_a.pk}",
        {"hourly_rate": "125.50", "currency": "eur", "tags": ["vip", "vip", " gold "], "is_lead": True},
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["hourly_rate"], data["currency"], data["tags"], data["is_lead"]) == (
        "125.50",
        "EUR",
        ["gold", "vip"],
        True,
    )
    assert "hourly_rate" in errors(api.patch(f"/api/v1/clients/{client_a.pk}", {"hourly_rate": "-1"}))
    assert "currency" in errors(api.patch(f"/api/v1/clients/{client_a.pk}", {"currency": "EURO"}))


def test_location_primary_is_unique_per_client():
    client = make_client()
    api, _, _ = api_for(ALL)
    body = {"client_id": str(client.pk), "name": "HQ", "is_primary": True}
    assert api.post("/api/v1/locations", body).status_code == 201
    assert "is_primary" in errors(api.post("/api/v1/locations", {**body, "name": "Branch"}))
