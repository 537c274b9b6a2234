"""The client pages: create/edit/archive clients, the tabs, and create/edit/delete of what a client owns.

Each page: success, 403 without its node, 404 outside the client scope, the serializer's validation messages shown
next to the fields with the input kept, and an audit row for every write (the same rows the API writes).
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Certificate, Domain, Network, Software
from clients.models import Client, Contact, Location
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
from tests.factories import make_client, make_contact

pytestmark = pytest.mark.django_db

EVERYTHING = [
    "client.*",
    "contact.*",
    "location.*",
    "asset.*",
    "network.*",
    "domain.*",
    "certificate.*",
    "software.*",
    "obj.*",
]


def body(response) -> str:
    return html.unescape(response.content.decode())


def events(action=None, **filters):
    queryset = AuditEvent.objects.filter(**filters)
    return list(queryset.filter(action=action) if action else queryset)


# --- Clients --------------------------------------------------------------------------------------------------------


def test_create_client_is_validated_by_the_api_serializer_and_audited(browser_for):
    browser, user = browser_for(["client.read", "client.create", "obj.client.*"])
    response = browser.post(
        "/clients/new/",
        {"name": "Acme Corp", "identifier": "ACME", "type": "customer", "currency": "eur", "tags": "vip, managed"},
    )
    client = Client.objects.get(name="Acme Corp")
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert client.currency == "EUR" and client.tags == ["managed", "vip"]  # the serializer's normalization
    (event,) = events("create", object_type="clients.client")
    assert event.actor == user and event.object_id == str(client.pk) and event.client_id == client.pk
    assert event.changes["name"] == {"old": None, "new": "Acme Corp"}


def test_create_client_errors_say_what_is_wrong_and_keep_the_input(browser_for):
    make_client("Taken", identifier="TAKEN")
    browser, _ = browser_for(["client.read", "client.create", "obj.client.*"])
    response = browser.post(
        "/clients/new/",
        {"name": "", "identifier": "taken", "website": "not a url", "currency": "12$", "notes": "kept notes"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["name"] == ["This field may not be blank."]
    assert form.errors["identifier"] == ["Another client already uses this identifier."]
    assert form.errors["website"] == ["Enter a valid URL."]
    assert "three-letter ISO 4217" in form.errors["currency"][0]
    page = body(response)
    assert 'value="not a url"' in page and 'value="12$"' in page and "kept notes" in page
    assert "There are 4 problems" in page and 'aria-invalid="true"' in page
    assert Client.objects.count() == 1 and not events()


def test_create_client_needs_client_create(browser_for):
    browser, _ = browser_for(["client.read", "obj.client.*"])
    assert browser.get("/clients/new/").status_code == 403
    response = browser.post("/clients/new/", {"name": "Sneaky"})
    assert response.status_code == 403 and "client.create" in body(response)
    assert not Client.objects.exists()


def test_client_list_offers_new_client_only_with_the_node(browser_for):
    browser, _ = browser_for(["client.read"])
    assert "/clients/new/" not in body(browser.get("/clients/"))
    browser, _ = browser_for(["client.read", "client.create"])
    assert "/clients/new/" in body(browser.get("/clients/"))


def test_edit_client_audits_only_what_changed(browser_for):
    client = make_client("Acme", website="https://acme.example", currency="USD")
    browser, _ = browser_for(["client.read", "client.update", "obj.client.*"])
    page = body(browser.get(f"/clients/{client.pk}/edit/"))
    assert 'value="https://acme.example"' in page and 'value="Acme"' in page
    response = browser.post(
        f"/clients/{client.pk}/edit/",
        {"name": "Acme Corp", "type": "customer", "website": "https://acme.example", "currency": "USD"},
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.name == "Acme Corp"
    (event,) = events("update", object_type="clients.client")
    assert event.changes == {"name": {"old": "Acme", "new": "Acme Corp"}}
    # Sending the same values again changes nothing and records nothing.
    browser.post(
        f"/clients/{client.pk}/edit/",
        {"name": "Acme Corp", "type": "customer", "website": "https://acme.example", "currency": "USD"},
    )
    assert len(events("update")) == 1


def test_edit_client_outside_scope_is_404_and_without_node_403(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, _ = browser_for(["client.read", "client.update", "obj.client.*"], clients=[a])
    assert browser.get(f"/clients/{a.pk}/edit/").status_code == 200
    assert browser.get(f"/clients/{b.pk}/edit/").status_code == 404
    assert browser.post(f"/clients/{b.pk}/edit/", {"name": "Stolen"}).status_code == 404
    browser, _ = browser_for(["client.read", "obj.client.*"])
    assert browser.get(f"/clients/{a.pk}/edit/").status_code == 403
    assert Client.objects.get(pk=b.pk).name == "B"


def test_archive_and_restore_a_client(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", "client.update", "obj.client.*"])
    assert browser.get(f"/clients/{client.pk}/archive/").status_code == 405
    response = browser.post(f"/clients/{client.pk}/archive/", {"action": "archive"})
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.archived_at is not None
    assert "Restore client" in body(browser.get(f"/clients/{client.pk}/"))
    browser.post(f"/clients/{client.pk}/archive/", {"action": "restore"})
    client.refresh_from_db()
    assert client.archived_at is None
    archived, restored = sorted(events("update", object_type="clients.client"), key=lambda e: e.created_at)
    assert archived.changes["archived_at"]["old"] is None and archived.changes["archived_at"]["new"]
    assert restored.changes["archived_at"]["new"] is None


def test_archive_needs_update_and_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, _ = browser_for(["client.read", "obj.client.*"])
    assert browser.post(f"/clients/{a.pk}/archive/").status_code == 403
    browser, _ = browser_for(["client.read", "client.update", "obj.client.*"], clients=[a])
    assert browser.post(f"/clients/{b.pk}/archive/").status_code == 404
    assert not Client.objects.filter(archived_at__isnull=False).exists() and not events()


def test_archive_needs_the_field_node_like_the_api(browser_for):
    client = make_client("A")
    browser, _ = browser_for(["client.read", "client.update", "obj.client.name"])
    assert browser.post(f"/clients/{client.pk}/archive/").status_code == 403
    assert Client.objects.get(pk=client.pk).archived_at is None


# --- The client page and its tabs -----------------------------------------------------------------------------------


def test_overview_shows_details_primaries_and_counts(browser_for):
    client = make_client("Acme", identifier="ACME", notes="Gate code 1234")
    make_contact(client, first_name="Jane", last_name="Doe", is_primary=True, email="jane@acme.example")
    make_contact(client, first_name="Old", last_name="Timer", is_active=False)
    Location.objects.create(client=client, name="HQ", city="Berlin", is_primary=True)
    make_network(client)
    other = make_client("Other")
    make_network(other)
    browser, _ = browser_for(EVERYTHING)
    response = browser.get(f"/clients/{client.pk}/")
    assert response.status_code == 200
    page = body(response)
    assert "Jane Doe" in page and "jane@acme.example" in page and "HQ" in page and "Berlin" in page
    assert "Gate code 1234" in page and "ACME" in page
    counts = {item["key"]: item["count"] for item in response.context["counts"]}
    assert counts == {
        "contacts": 2,
        "locations": 1,
        "assets": 0,
        "networks": 1,
        "domains": 0,
        "certificates": 0,
        "software": 0,
    }
    assert [tab["key"] for tab in response.context["tabs"]] == [
        "overview",
        "contacts",
        "locations",
        "assets",
        "networks",
        "domains",
        "certificates",
        "software",
    ]
    assert response.context["tabs"][0]["current"] is True


def test_tabs_and_counts_follow_the_nodes(browser_for):
    client = make_client("Acme")
    make_contact(client, first_name="Jane", last_name="Doe", is_primary=True)
    browser, _ = browser_for(["client.read", "network.read"])
    response = browser.get(f"/clients/{client.pk}/")
    assert [tab["key"] for tab in response.context["tabs"]] == ["overview", "networks"]
    assert [item["key"] for item in response.context["counts"]] == ["networks"]
    assert "Jane Doe" not in body(response)
    assert browser.get(f"/clients/{client.pk}/contacts/").status_code == 403


def test_overview_hides_gated_fields(browser_for):
    client = make_client("Acme", phone="+49 30 1234", notes="secret notes")
    browser, _ = browser_for(["client.read", "obj.client.name", "obj.client.type"])
    page = body(browser.get(f"/clients/{client.pk}/"))
    assert "+49 30 1234" not in page and "secret notes" not in page
    assert "Customer" in page


def test_unknown_tab_is_404(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(EVERYTHING)
    assert browser.get(f"/clients/{client.pk}/bogus/").status_code == 404


# --- Create, edit and delete on every tab ---------------------------------------------------------------------------


def _pem(host: str = "portal.example.com", days: int = 20) -> str:
    """A self-signed certificate valid from yesterday for ``days`` days."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# key: (model, make one, valid POST, field checked after create, invalid POST, (field, message part), kept input)
CASES = {
    "contacts": (
        Contact,
        lambda c: make_contact(c, first_name="Old", last_name="Name"),
        lambda: {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "is_active": "on"},
        ("email", "jane@example.com"),
        {"first_name": "Jane", "email": "jane(at)example"},
        ("email", "Enter a valid email address."),
        "jane(at)example",
    ),
    "locations": (
        Location,
        lambda c: Location.objects.create(client=c, name="Old site"),
        lambda: {"name": "HQ", "city": "Berlin", "is_primary": "on"},
        ("city", "Berlin"),
        {"name": "", "city": "Hamburg"},
        ("name", "This field may not be blank."),
        "Hamburg",
    ),
    "networks": (
        Network,
        lambda c: make_network(c, name="Old LAN"),
        lambda: {"name": "LAN", "cidr": "192.168.1.7/24", "gateway": "192.168.1.1", "vlan": "10"},
        ("cidr", "192.168.1.0/24"),
        {"name": "LAN", "cidr": "192.168.1.300/24", "vlan": "5000"},
        ("cidr", "is not a network in CIDR notation"),
        "192.168.1.300/24",
    ),
    "domains": (
        Domain,
        lambda c: make_domain(c, name="old.example"),
        lambda: {
            "name": "Example.COM.",
            "name_servers": "ns1.example.com\nNS2.example.com",
            "expires_on": "2030-01-31",
        },
        ("name_servers", ["ns1.example.com", "ns2.example.com"]),
        {"name": "not a domain", "name_servers": "ns1.example.com"},
        ("name", "is not a valid domain name"),
        "not a domain",
    ),
    "certificates": (
        Certificate,
        lambda c: make_certificate(c, name="Old cert"),
        lambda: {"name": "Portal", "public_key": _pem()},
        ("domain", "portal.example.com"),
        {"name": "Portal", "issued_on": "2025-02-01", "expires_on": "2025-01-01"},
        ("expires_on", "Must not be before issued on (2025-02-01)."),
        "2025-02-01",
    ),
    "software": (
        Software,
        lambda c: make_software(c, name="Old suite"),
        lambda: {"name": "Office", "type": "saas", "license_type": "user", "seats": "5"},
        ("seats", 5),
        {
            "name": "Office",
            "type": "saas",
            "license_type": "user",
            "purchase_date": "2025-05-01",
            "expires_on": "2025-01-01",
        },
        ("expires_on", "Must not be before purchase date (2025-05-01)."),
        "2025-05-01",
    ),
}
NODE = {
    "contacts": "contact",
    "locations": "location",
    "networks": "network",
    "domains": "domain",
    "certificates": "certificate",
    "software": "software",
}


@pytest.mark.parametrize("kind", CASES)
def test_tab_lists_only_this_clients_rows(browser_for, kind):
    _model, make, *_ = CASES[kind]
    a, b = make_client("A"), make_client("B")
    mine, theirs = make(a), make(b)
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.read", "obj.*"])
    response = browser.get(f"/clients/{a.pk}/{kind}/")
    assert response.status_code == 200
    assert [row["id"].split("-", 1)[1] for row in response.context["rows"]] == [str(mine.pk)]
    assert str(theirs.pk) not in body(response)
    assert response.context["create_url"] is None  # no create node, no button
    assert "Delete" not in body(response) and "/edit/" not in body(response)


@pytest.mark.parametrize("kind", CASES)
def test_tab_needs_its_read_node_and_scope(browser_for, kind):
    model, make, *_ = CASES[kind]
    a, b = make_client("A"), make_client("B")
    obj_b = make(b)
    browser, _ = browser_for(["client.read", "obj.*"])
    response = browser.get(f"/clients/{a.pk}/{kind}/")
    assert response.status_code == 403 and f"{NODE[kind]}.read" in body(response)
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.*", "obj.*"], clients=[a])
    assert browser.get(f"/clients/{b.pk}/{kind}/").status_code == 404
    assert browser.get(f"/clients/{b.pk}/{kind}/new/").status_code == 404
    assert browser.get(f"/clients/{b.pk}/{kind}/{obj_b.pk}/").status_code == 404
    assert browser.get(f"/clients/{b.pk}/{kind}/{obj_b.pk}/edit/").status_code == 404
    assert browser.post(f"/clients/{b.pk}/{kind}/{obj_b.pk}/delete/").status_code == 404
    # Another client's object through this client's URL does not exist either.
    assert browser.get(f"/clients/{a.pk}/{kind}/{obj_b.pk}/").status_code == 404
    assert browser.post(f"/clients/{a.pk}/{kind}/{obj_b.pk}/delete/").status_code == 404
    assert model.objects.filter(pk=obj_b.pk).exists()


@pytest.mark.parametrize("kind", CASES)
def test_create_on_a_tab_is_validated_and_audited(browser_for, kind):
    model, _make, valid, (field, expected), *_ = CASES[kind]
    client = make_client("Acme")
    browser, user = browser_for(["client.read", f"{NODE[kind]}.*", "obj.*"])
    assert browser.get(f"/clients/{client.pk}/{kind}/new/").status_code == 200
    response = browser.post(f"/clients/{client.pk}/{kind}/new/", valid())
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    obj = model.objects.get(client=client)
    assert getattr(obj, field) == expected
    assert response["Location"].startswith(f"/clients/{client.pk}/{kind}/#") and str(obj.pk) in response["Location"]
    (event,) = events("create", object_type=model._meta.label_lower)
    assert event.actor == user and event.object_id == str(obj.pk) and event.client_id == client.pk
    assert event.changes  # the new values, as the API records them


@pytest.mark.parametrize("kind", CASES)
def test_create_errors_are_the_serializers_and_keep_the_input(browser_for, kind):
    model, _make, _valid, _check, invalid, (field, message), kept = CASES[kind]
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.*", "obj.*"])
    response = browser.post(f"/clients/{client.pk}/{kind}/new/", invalid)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    page = body(response)
    assert kept in page
    assert f'id="id_{field}_error"' in page  # the message sits next to its field
    assert not model.objects.exists() and not events()


@pytest.mark.parametrize("kind", CASES)
def test_create_needs_the_create_node(browser_for, kind):
    model, *_ = CASES[kind]
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.read", f"{NODE[kind]}.update", "obj.*"])
    assert browser.get(f"/clients/{client.pk}/{kind}/new/").status_code == 403
    assert browser.post(f"/clients/{client.pk}/{kind}/new/", CASES[kind][2]()).status_code == 403
    assert not model.objects.exists()


@pytest.mark.parametrize("kind", CASES)
def test_edit_on_a_tab_keeps_other_fields_and_audits_the_diff(browser_for, kind):
    model, make, *_ = CASES[kind]
    client = make_client("Acme")
    obj = make(client)
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.*", "obj.*"])
    response = browser.get(f"/clients/{client.pk}/{kind}/{obj.pk}/edit/")
    assert response.status_code == 200
    initial = {name: value for name, value in response.context["form"].initial.items() if value not in (None, False)}
    data = {name: ("on" if value is True else value) for name, value in initial.items()}
    name_field = "first_name" if kind == "contacts" else "name"
    data[name_field] = "Renamed" if kind != "domains" else "renamed.example"
    response = browser.post(f"/clients/{client.pk}/{kind}/{obj.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    (event,) = events("update", object_type=model._meta.label_lower)
    assert list(event.changes) == [name_field]


@pytest.mark.parametrize("kind", CASES)
def test_edit_needs_the_update_node(browser_for, kind):
    _model, make, *_ = CASES[kind]
    client = make_client("Acme")
    obj = make(client)
    browser, _ = browser_for(["client.read", f"{NODE[kind]}.read", "obj.*"])
    assert browser.get(f"/clients/{client.pk}/{kind}/{obj.pk}/edit/").status_code == 403
    assert browser.post(f"/clients/{client.pk}/{kind}/{obj.pk}/edit/", {"name": "x"}).status_code == 403


@pytest.mark.parametrize("kind", CASES)
def test_detail_and_delete_on_a_tab(browser_for, kind):
    model, make, *_ = CASES[kind]
    client = make_client("Acme")
    obj = make(client)
    browser, user = browser_for(["client.read", f"{NODE[kind]}.read", "obj.*"])
    assert browser.get(f"/clients/{client.pk}/{kind}/{obj.pk}/").status_code == 200
    assert browser.post(f"/clients/{client.pk}/{kind}/{obj.pk}/delete/").status_code == 403
    browser, user = browser_for(["client.read", f"{NODE[kind]}.read", f"{NODE[kind]}.delete", "obj.*"])
    assert browser.get(f"/clients/{client.pk}/{kind}/{obj.pk}/delete/").status_code == 200  # confirmation page
    assert model.objects.filter(pk=obj.pk).exists()
    response = browser.post(f"/clients/{client.pk}/{kind}/{obj.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/{kind}/"
    assert not model.objects.filter(pk=obj.pk).exists()
    (event,) = events("delete", object_type=model._meta.label_lower)
    assert event.actor == user and event.object_id == str(obj.pk) and event.client_id == client.pk
    assert all(change["new"] is None for change in event.changes.values())


# --- Rules that need more than one row -------------------------------------------------------------------------------


def test_second_primary_contact_is_refused_with_the_apis_message(browser_for):
    client = make_client("Acme")
    make_contact(client, is_primary=True)
    browser, _ = browser_for(["client.read", "contact.*", "obj.*"])
    response = browser.post(
        f"/clients/{client.pk}/contacts/new/", {"first_name": "Second", "is_primary": "on", "is_active": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["is_primary"] == ["This client already has a primary contact."]
    page = body(response)
    assert 'value="Second"' in page and 'id="id_is_primary" checked' in page


def test_contact_location_choices_are_this_clients_and_another_is_refused(browser_for):
    a, b = make_client("A"), make_client("B")
    mine = Location.objects.create(client=a, name="Mine")
    theirs = Location.objects.create(client=b, name="Theirs")
    browser, _ = browser_for(["client.read", "contact.*", "obj.*"])
    response = browser.get(f"/clients/{a.pk}/contacts/new/")
    choices = dict(response.context["form"].fields["location_id"].choices)
    assert str(mine.pk) in choices and str(theirs.pk) not in choices
    response = browser.post(
        f"/clients/{a.pk}/contacts/new/", {"first_name": "Jane", "location_id": str(theirs.pk), "is_active": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["location_id"] == ["Belongs to another client."]


def test_unticking_a_box_on_edit_clears_it(browser_for):
    client = make_client("Acme")
    contact = make_contact(client, first_name="Jane", is_billing=True)
    browser, _ = browser_for(["client.read", "contact.*", "obj.*"])
    response = browser.post(f"/clients/{client.pk}/contacts/{contact.pk}/edit/", {"first_name": "Jane"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.is_billing is False and contact.is_active is False  # archived by unticking "Active"
    (event,) = events("update")
    assert set(event.changes) == {"is_billing", "is_active", "last_name"}


def test_emptying_an_optional_field_clears_it(browser_for):
    client = make_client("Acme")
    network = make_network(client, cidr="10.0.0.0/24", vlan=10, gateway="10.0.0.1")
    browser, _ = browser_for(["client.read", "network.*", "obj.*"])
    response = browser.post(
        f"/clients/{client.pk}/networks/{network.pk}/edit/", {"name": network.name, "cidr": "10.0.0.0/24"}
    )
    assert response.status_code == 302
    network.refresh_from_db()
    assert network.vlan is None and network.gateway is None


def test_network_gateway_outside_the_network_names_both(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", "network.*", "obj.*"])
    response = browser.post(
        f"/clients/{client.pk}/networks/new/", {"name": "LAN", "cidr": "10.0.0.0/24", "gateway": "10.9.9.9"}
    )
    assert response.context["form"].errors["gateway"] == ["10.9.9.9 is not inside 10.0.0.0/24."]


def test_bad_pem_says_so(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", "certificate.*", "obj.*"])
    bad = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"
    response = browser.post(f"/clients/{client.pk}/certificates/new/", {"name": "Portal", "public_key": bad})
    assert response.status_code == 400
    assert "Not a PEM-encoded X.509 certificate" in response.context["form"].errors["public_key"][0]
    assert "not base64" in body(response)


def test_pem_fills_the_dates_and_the_page_shows_them(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", "certificate.*", "obj.*"])
    browser.post(f"/clients/{client.pk}/certificates/new/", {"name": "Portal", "public_key": _pem()})
    cert = Certificate.objects.get()
    assert cert.expires_on > date.today() and cert.issuer
    page = body(browser.get(f"/clients/{client.pk}/certificates/{cert.pk}/"))
    assert cert.expires_on.isoformat() in page and "days left" in page and "BEGIN CERTIFICATE" in page


def test_a_bad_domain_in_a_list_field_names_the_item(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(["client.read", "domain.*", "obj.*"])
    response = browser.post(
        f"/clients/{client.pk}/domains/new/", {"name": "example.com", "name_servers": "ns1.example.com\nbad name"}
    )
    assert response.status_code == 400
    assert "'bad name' is not a valid domain name" in response.context["form"].errors["name_servers"][0]
    assert "ns1.example.com\nbad name" in body(response)


def test_software_seat_count_cannot_drop_below_the_assigned_seats(browser_for):
    client = make_client("Acme")
    software = make_software(client, seats=3)
    for _ in range(2):
        make_seat(software, asset=make_asset(client))
    browser, _ = browser_for(["client.read", "software.*", "obj.*"])
    response = browser.post(
        f"/clients/{client.pk}/software/{software.pk}/edit/",
        {"name": software.name, "type": "other", "license_type": "subscription", "seats": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["seats"] == ["2 seats are assigned; unassign some first."]
    page = body(browser.get(f"/clients/{client.pk}/software/"))
    assert "2 of 3" in page


def test_gated_fields_are_neither_shown_nor_sent(browser_for):
    client = make_client("Acme")
    network = make_network(client, cidr="10.0.0.0/24", gateway="10.0.0.1")
    nodes = ["client.read", "network.*", "obj.network.name", "obj.network.cidr", "obj.network.client_id"]
    browser, _ = browser_for(nodes)
    response = browser.get(f"/clients/{client.pk}/networks/")
    assert [column.label for column in response.context["columns"]] == ["Name", "Network"]
    assert "10.0.0.1" not in body(response)
    form = browser.get(f"/clients/{client.pk}/networks/{network.pk}/edit/").context["form"]
    assert set(form.fields) == {"name", "cidr"}
    response = browser.post(
        f"/clients/{client.pk}/networks/{network.pk}/edit/", {"name": "Core", "cidr": "10.0.0.0/24", "gateway": ""}
    )
    assert response.status_code == 302
    network.refresh_from_db()
    assert network.name == "Core" and network.gateway == "10.0.0.1"  # the hidden field was not touched


def test_tab_search_and_expiring_filters_use_the_filtersets(browser_for):
    client = make_client("Acme")
    make_domain(client, name="soon.example", expires_on=date.today())
    make_domain(client, name="later.example", expires_on=date(2099, 1, 1))
    browser, _ = browser_for(["client.read", "domain.read", "obj.*"])

    def names(**params):
        return [row["name"] for row in browser.get(f"/clients/{client.pk}/domains/", params).context["rows"]]

    assert names() == ["later.example", "soon.example"]
    assert names(search="soon") == ["soon.example"]
    assert names(expiring_within_days="30") == ["soon.example"]
    response = browser.get(f"/clients/{client.pk}/domains/", {"expiring_within_days": "-4"})
    assert response.context["rows"] == [] and "expiring_within_days" in response.context["filter"].errors


def test_tab_list_query_count_does_not_grow(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(EVERYTHING)
    for _ in range(3):
        make_interface(make_asset(client))
        make_software(client)
        make_contact(client)
    urls = [f"/clients/{client.pk}/{kind}/" for kind in ("assets", "software", "contacts")]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            browser.get(url)
        counts[url] = len(ctx.captured_queries)
    for _ in range(10):
        make_interface(make_asset(client))
        make_software(client)
        make_contact(client)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            browser.get(url)
        assert len(ctx.captured_queries) == counts[url], url


def test_every_node_the_client_pages_check_is_registered():
    from clients.views import KINDS
    from psa import tabs
    from psa.nodes import all_nodes

    registered = all_nodes()
    for tab in tabs.registered():
        assert set(tab.nodes) <= set(registered), tab
    for kind in KINDS.values():
        for verb in ("read", "create", "update", "delete"):
            assert set(kind.nodes(verb)) <= set(registered), (kind.key, verb)


def test_a_tab_is_one_entry_in_the_registry(browser_for):
    from psa import tabs

    client = make_client("Acme")
    tabs.register(tabs.ClientTab("settings", "Settings", ("client.update",), "clients:client_edit", order=999))
    try:
        browser, _ = browser_for(["client.read", "client.update"])
        shown = browser.get(f"/clients/{client.pk}/").context["tabs"]
        assert [(tab["label"], tab["url"]) for tab in shown] == [
            ("Overview", f"/clients/{client.pk}/"),
            ("Settings", f"/clients/{client.pk}/edit/"),
        ]
        browser, _ = browser_for(["client.read"])
        assert [tab["label"] for tab in browser.get(f"/clients/{client.pk}/").context["tabs"]] == ["Overview"]
    finally:
        tabs.unregister("settings")


def test_ticket_and_credential_tabs_stay_inside_the_client_page(browser_for):
    client = make_client("Tabbed")
    browser, _ = browser_for(["client.read", "ticket.read", "credential.read", "obj.client.*"])
    page = body(browser.get(f"/clients/{client.pk}/"))
    assert f'href="/tickets/clients/{client.pk}/"' in page
    assert f'href="/credentials/clients/{client.pk}/"' in page
    for url in (f"/tickets/clients/{client.pk}/", f"/credentials/clients/{client.pk}/"):
        response = browser.get(url)
        assert response.status_code == 200
        labels = [tab["label"] for tab in response.context["tabs"]]
        assert labels == ["Overview", "Tickets", "Credentials"], labels
        assert [tab["label"] for tab in response.context["tabs"] if tab["current"]] in (["Tickets"], ["Credentials"])
    bare, _ = browser_for(["client.read", "obj.client.*"])
    page = body(bare.get(f"/clients/{client.pk}/"))
    assert "/tickets/clients/" not in page and "/credentials/clients/" not in page
