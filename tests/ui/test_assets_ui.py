"""The asset pages, the top bar search and the dashboard's expirations widget.

Asset list (the API's filterset), asset page (interfaces, licence seats), asset forms (the API's serializer and its
messages, input kept), audit rows for every write, 403 without the node, 404 outside the client scope.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets import expirations
from assets.models import Asset, AssetInterface, ExpiringItem, SoftwareSeat
from psa.models import AuditEvent, JobRun
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

ASSETS = ["client.read", "asset.*", "obj.*"]


def body(response) -> str:
    return html.unescape(response.content.decode())


def names(response) -> list[str]:
    return [row["name"] for row in response.context["rows"]]


def events(action, object_type):
    return list(AuditEvent.objects.filter(action=action, object_type=object_type))


# --- The asset list ---------------------------------------------------------------------------------------------------


def test_asset_list_filters_through_the_asset_filterset(browser_for):
    a, b = make_client("A"), make_client("B")
    laptop = make_asset(a, name="Laptop 1", type="laptop", serial="SN-LAP-1")
    make_interface(laptop, mac="00:1a:2b:3c:4d:5e", ipv4="10.0.0.5")
    make_asset(a, name="Server 1", type="server", status="in_repair", warranty_expires=date.today())
    make_asset(b, name="Printer B", type="printer")
    make_asset(a, name="Retired", archived_at=timezone.now())
    browser, _ = browser_for(["asset.read", "client.read", "obj.*"])

    def listed(**params):
        response = browser.get("/assets/", params)
        assert response.status_code == 200
        return names(response)

    assert listed() == ["Laptop 1", "Printer B", "Server 1"]  # archived ones only when asked
    assert listed(is_archived="true") == ["Retired"]
    assert listed(is_archived="") == ["Laptop 1", "Printer B", "Retired", "Server 1"]
    assert listed(search="lap-1") == ["Laptop 1"]
    assert listed(search="10.0.0.5") == ["Laptop 1"]
    assert listed(type="printer") == ["Printer B"]
    assert listed(status="in_repair") == ["Server 1"]
    assert listed(client_id=str(b.pk)) == ["Printer B"]
    assert listed(mac="00-1A-2B-3C-4D-5E") == ["Laptop 1"]
    assert listed(expiring_within_days="30") == ["Server 1"]


def test_asset_list_shows_filter_errors_instead_of_everything(browser_for):
    make_asset(make_client("A"), name="Laptop")
    browser, _ = browser_for(["asset.read", "obj.*"])
    response = browser.get("/assets/", {"mac": "not-a-mac"})
    assert response.status_code == 200 and names(response) == []
    page = body(response)
    assert "'not-a-mac' is not a MAC address" in page and 'value="not-a-mac"' in page


def test_asset_list_follows_scope_and_needs_asset_read(browser_for):
    a, b = make_client("A"), make_client("B")
    make_asset(a, name="Mine")
    make_asset(b, name="Theirs")
    browser, _ = browser_for(["asset.read", "obj.*"], clients=[a])
    response = browser.get("/assets/")
    assert names(response) == ["Mine"] and "Theirs" not in body(response)
    assert [c.name for c in response.context["clients"]] == ["A"]
    browser, _ = browser_for(["client.read"])
    assert browser.get("/assets/").status_code == 403


def test_asset_list_query_count_does_not_grow(browser_for):
    client = make_client("A")
    browser, _ = browser_for(ASSETS)
    for _ in range(2):
        make_interface(make_asset(client))
    with CaptureQueriesContext(connection) as few:
        browser.get("/assets/")
    for _ in range(12):
        make_interface(make_asset(client))
    with CaptureQueriesContext(connection) as many:
        browser.get("/assets/")
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Creating, editing and deleting assets ------------------------------------------------------------------------------


def test_new_asset_asks_for_the_client_first(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, _ = browser_for(ASSETS, clients=[a])
    response = browser.get("/assets/new/")
    assert response.status_code == 200 and list(response.context["form"].fields["client"].queryset) == [a]
    response = browser.get("/assets/new/", {"client": str(b.pk)})  # another client's id is not a choice
    assert response.status_code == 400 and "Choose one of the clients in the list." in body(response)
    response = browser.get("/assets/new/", {"client": str(a.pk)})
    assert response.status_code == 200 and "New asset for A" in body(response)


def test_create_asset_is_validated_and_audited(browser_for):
    client = make_client("A")
    location = client.locations.create(name="HQ")
    browser, user = browser_for(ASSETS)
    response = browser.post(
        f"/assets/new/?client={client.pk}",
        {
            "name": "FW01",
            "type": "firewall",
            "status": "deployed",
            "serial": " SN-1 ",
            "purchase_date": "2025-01-10",
            "warranty_expires": "2028-01-10",
            "location_id": str(location.pk),
            "tags": "edge, critical",
        },
    )
    asset = Asset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assets/{asset.pk}/#interfaces"
    assert asset.client == client and asset.serial == "SN-1" and asset.location == location
    assert asset.tags == ["critical", "edge"]
    (event,) = events("create", "assets.asset")
    assert event.actor == user and event.client_id == client.pk and event.changes["name"]["new"] == "FW01"


def test_create_asset_errors_are_the_serializers_with_input_kept(browser_for):
    client = make_client("A")
    make_asset(client, serial="DUP-1")
    other_location = make_client("B").locations.create(name="Elsewhere")
    browser, _ = browser_for(ASSETS)
    response = browser.post(
        f"/assets/new/?client={client.pk}",
        {
            "name": "PC",
            "type": "toaster",
            "status": "deployed",
            "serial": "dup-1",
            "purchase_date": "2025-06-01",
            "warranty_expires": "2025-01-01",
            "uri": "nope",
            "location_id": str(other_location.pk),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["type"] == ['"toaster" is not a valid choice.']
    assert errors["uri"] == ["Enter a valid URL."]
    page = body(response)
    assert 'value="dup-1"' in page and 'value="nope"' in page and 'value="2025-06-01"' in page
    assert Asset.objects.count() == 1 and not AuditEvent.objects.exists()
    # The object-level rules come once the fields parse, as in the API.
    valid = {"name": "PC", "type": "desktop", "status": "deployed"}
    response = browser.post(f"/assets/new/?client={client.pk}", {**valid, "serial": "dup-1"})
    assert response.context["form"].errors["serial"] == ["Another asset of this client has this serial number."]
    response = browser.post(
        f"/assets/new/?client={client.pk}", {**valid, "purchase_date": "2025-06-01", "warranty_expires": "2025-01-01"}
    )
    assert response.context["form"].errors["warranty_expires"] == ["Must not be before purchase date (2025-06-01)."]
    # Another client's location is not a choice, and the serializer refuses it when sent anyway.
    response = browser.post(f"/assets/new/?client={client.pk}", {**valid, "location_id": str(other_location.pk)})
    assert str(other_location.pk) not in dict(response.context["form"].fields["location_id"].choices)
    assert response.context["form"].errors["location_id"] == ["Belongs to another client."]
    assert Asset.objects.count() == 1


def test_create_asset_needs_asset_create(browser_for):
    client = make_client("A")
    browser, _ = browser_for(["client.read", "asset.read", "asset.update", "obj.*"])
    assert browser.get("/assets/new/").status_code == 403
    assert browser.post(f"/assets/new/?client={client.pk}", {"name": "PC"}).status_code == 403
    assert not Asset.objects.exists()


def test_edit_asset_audits_the_diff_and_archives(browser_for):
    client = make_client("A")
    asset = make_asset(client, name="PC-1", type="desktop", serial="S1")
    browser, _ = browser_for(ASSETS)
    form = browser.get(f"/assets/{asset.pk}/edit/").context["form"]
    assert form.initial["serial"] == "S1" and form.initial["is_archived"] is False
    response = browser.post(
        f"/assets/{asset.pk}/edit/",
        {"name": "PC-1", "type": "desktop", "status": "retired", "serial": "S1", "is_archived": "on"},
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.status == "retired" and asset.archived_at is not None
    (event,) = events("update", "assets.asset")
    assert set(event.changes) == {"status", "archived_at"}


def test_edit_and_delete_asset_need_nodes_and_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    theirs = make_asset(b)
    mine = make_asset(a)
    browser, _ = browser_for(ASSETS, clients=[a])
    for url in (f"/assets/{theirs.pk}/", f"/assets/{theirs.pk}/edit/", f"/assets/{theirs.pk}/delete/"):
        assert browser.get(url).status_code == 404, url
    assert browser.post(f"/assets/{theirs.pk}/delete/").status_code == 404
    browser, _ = browser_for(["client.read", "asset.read", "obj.*"])
    assert browser.get(f"/assets/{mine.pk}/edit/").status_code == 403
    assert browser.post(f"/assets/{mine.pk}/delete/").status_code == 403
    assert Asset.objects.count() == 2


def test_delete_asset_is_audited(browser_for):
    client = make_client("A")
    asset = make_asset(client, name="Old PC")
    browser, user = browser_for(ASSETS)
    assert "Delete the asset Old PC?" in body(browser.get(f"/assets/{asset.pk}/delete/"))
    response = browser.post(f"/assets/{asset.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/assets/"
    assert not Asset.objects.exists()
    (event,) = events("delete", "assets.asset")
    assert event.actor == user and event.object_id == str(asset.pk) and event.client_id == client.pk


# --- The asset page -------------------------------------------------------------------------------------------------------


def test_asset_page_shows_details_interfaces_and_seats(browser_for):
    client = make_client("A")
    network = make_network(client, name="Office LAN", cidr="10.1.0.0/24")
    asset = make_asset(client, name="FW01", serial="SN-9", make="Fortinet", network=network, notes="rack 3")
    make_interface(asset, name="wan1", mac="00:1a:2b:3c:4d:5e", is_primary=True, network=network)
    make_seat(make_software(client, name="FortiGuard"), asset=asset)
    browser, _ = browser_for(["client.read", "asset.read", "software.read", "obj.*"])
    response = browser.get(f"/assets/{asset.pk}/")
    assert response.status_code == 200
    page = body(response)
    for text in ("FW01", "SN-9", "Fortinet", "Office LAN", "wan1", "00:1a:2b:3c:4d:5e", "FortiGuard", "rack 3"):
        assert text in page, text
    assert response.context["interface_form"] is None and response.context["seat_form"] is None
    assert "Add an interface" not in page and "Edit asset" not in page


def test_asset_page_needs_asset_read_and_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    asset = make_asset(b)
    browser, _ = browser_for(["client.read", "obj.*"])
    assert browser.get(f"/assets/{asset.pk}/").status_code == 403
    browser, _ = browser_for(ASSETS, clients=[a])
    assert browser.get(f"/assets/{asset.pk}/").status_code == 404


def test_asset_page_hides_gated_fields(browser_for):
    asset = make_asset(make_client("A"), name="FW01", serial="SECRET-SERIAL")
    make_interface(asset, mac="00:1a:2b:3c:4d:5e")
    browser, _ = browser_for(["asset.read", "obj.asset.name", "obj.asset_interface.name"])
    page = body(browser.get(f"/assets/{asset.pk}/"))
    assert "FW01" in page and "SECRET-SERIAL" not in page and "00:1a:2b:3c:4d:5e" not in page


# --- Interfaces -------------------------------------------------------------------------------------------------------------


def test_add_interface_normalizes_the_mac_and_is_audited(browser_for):
    asset = make_asset(make_client("A"))
    browser, user = browser_for(ASSETS)
    response = browser.post(
        f"/assets/{asset.pk}/interfaces/new/",
        {"name": "eth0", "mac": "00-1A-2B-3C-4D-5E", "ipv4": "10.0.0.9", "is_primary": "on"},
    )
    assert response.status_code == 302 and response["Location"] == f"/assets/{asset.pk}/#interfaces"
    interface = AssetInterface.objects.get()
    assert interface.asset == asset and interface.mac == "00:1a:2b:3c:4d:5e" and interface.is_primary
    (event,) = events("create", "assets.assetinterface")
    assert event.actor == user and event.client_id == asset.client_id
    assert event.changes["mac"] == {"old": None, "new": "00:1a:2b:3c:4d:5e"}


def test_bad_interface_is_shown_on_the_asset_page_with_the_input(browser_for):
    asset = make_asset(make_client("A"), name="PC-7")
    make_interface(asset, name="eth0", is_primary=True)
    browser, _ = browser_for(ASSETS)
    response = browser.post(
        f"/assets/{asset.pk}/interfaces/new/",
        {"name": "eth1", "mac": "00:1a:2b:3c:4d", "ipv4": "10.0.0.300", "is_primary": "on"},
    )
    assert response.status_code == 400
    errors = response.context["interface_form"].errors
    assert errors["mac"] == ["'00:1a:2b:3c:4d' is not a MAC address, e.g. 00:1a:2b:3c:4d:5e."]
    assert "Enter a valid IPv4 address." in errors["ipv4"]
    page = body(response)
    assert "PC-7" in page and 'value="00:1a:2b:3c:4d"' in page and 'value="10.0.0.300"' in page
    assert AssetInterface.objects.count() == 1
    response = browser.post(f"/assets/{asset.pk}/interfaces/new/", {"name": "eth1", "is_primary": "on"})
    assert response.context["interface_form"].errors["is_primary"] == ["This asset already has a primary interface."]


def test_interface_network_must_be_the_assets_clients(browser_for):
    asset = make_asset(make_client("A"))
    foreign = make_network(make_client("B"))
    browser, _ = browser_for(ASSETS)
    response = browser.post(f"/assets/{asset.pk}/interfaces/new/", {"name": "eth0", "network_id": str(foreign.pk)})
    assert response.status_code == 400 and response.context["interface_form"].errors["network_id"]


def test_edit_and_delete_interface(browser_for):
    asset = make_asset(make_client("A"))
    interface = make_interface(asset, name="eth0", mac="00:00:00:00:00:01")
    browser, _ = browser_for(ASSETS)
    assert browser.get(f"/assets/{asset.pk}/interfaces/{interface.pk}/edit/").status_code == 200
    response = browser.post(
        f"/assets/{asset.pk}/interfaces/{interface.pk}/edit/", {"name": "eth0", "mac": "AABB.CCDD.EEFF"}
    )
    assert response.status_code == 302
    interface.refresh_from_db()
    assert interface.mac == "aa:bb:cc:dd:ee:ff"
    (event,) = events("update", "assets.assetinterface")
    assert set(event.changes) == {"mac"}
    assert browser.post(f"/assets/{asset.pk}/interfaces/{interface.pk}/delete/").status_code == 302
    assert not AssetInterface.objects.exists()
    assert len(events("delete", "assets.assetinterface")) == 1


def test_interfaces_need_asset_update_and_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    asset, theirs = make_asset(a), make_asset(b)
    interface = make_interface(asset)
    browser, _ = browser_for(["client.read", "asset.read", "obj.*"])
    assert browser.post(f"/assets/{asset.pk}/interfaces/new/", {"name": "x"}).status_code == 403
    assert browser.get(f"/assets/{asset.pk}/interfaces/{interface.pk}/edit/").status_code == 403
    assert browser.post(f"/assets/{asset.pk}/interfaces/{interface.pk}/delete/").status_code == 403
    browser, _ = browser_for(ASSETS, clients=[a])
    assert browser.post(f"/assets/{theirs.pk}/interfaces/new/", {"name": "x"}).status_code == 404
    # An interface of another asset through this asset's URL does not exist.
    other = make_interface(make_asset(a))
    assert browser.post(f"/assets/{asset.pk}/interfaces/{other.pk}/delete/").status_code == 404
    assert AssetInterface.objects.count() == 2


# --- Licence seats ----------------------------------------------------------------------------------------------------------


SEATS = ["client.read", "asset.read", "software.read", "software.update", "obj.*"]


def test_assign_and_unassign_a_seat(browser_for):
    client = make_client("A")
    asset = make_asset(client, name="PC-1")
    software = make_software(client, name="Office", seats=2)
    make_software(make_client("B"), name="Not mine")
    browser, user = browser_for(SEATS)
    form = browser.get(f"/assets/{asset.pk}/").context["seat_form"]
    assert [label for _, label in form.fields["software_id"].choices][1:] == ["Office"]
    response = browser.post(f"/assets/{asset.pk}/seats/", {"software_id": str(software.pk)})
    assert response.status_code == 302 and response["Location"] == f"/assets/{asset.pk}/#seats"
    seat = SoftwareSeat.objects.get()
    assert seat.asset == asset and seat.software == software
    (event,) = events("create", "assets.softwareseat")
    assert event.actor == user and event.client_id == client.pk
    assert browser.post(f"/assets/{asset.pk}/seats/{seat.pk}/delete/").status_code == 302
    assert not SoftwareSeat.objects.exists() and len(events("delete", "assets.softwareseat")) == 1


def test_assigning_beyond_the_seats_is_refused_with_409(browser_for):
    client = make_client("A")
    software = make_software(client, name="Office", seats=1)
    make_seat(software, asset=make_asset(client))
    asset = make_asset(client)
    browser, _ = browser_for(SEATS)
    response = browser.post(f"/assets/{asset.pk}/seats/", {"software_id": str(software.pk)})
    assert response.status_code == 409
    assert response.context["seat_form"].errors["software_id"] == ["All 1 seats of Office are assigned."]
    assert SoftwareSeat.objects.count() == 1 and not AuditEvent.objects.exists()


def test_seat_of_another_client_or_bad_id_is_a_form_error(browser_for):
    client = make_client("A")
    asset = make_asset(client)
    foreign = make_software(make_client("B"))
    browser, _ = browser_for(SEATS)
    for value in (str(foreign.pk), "not-a-uuid", ""):
        response = browser.post(f"/assets/{asset.pk}/seats/", {"software_id": value})
        assert response.status_code == 400, value
        assert "Choose one of this client's licences" in response.context["seat_form"].errors["software_id"][0]
    assert not SoftwareSeat.objects.exists()


def test_seats_need_software_update(browser_for):
    client = make_client("A")
    asset, software = make_asset(client), make_software(client)
    seat = make_seat(make_software(client), asset=asset)
    browser, _ = browser_for(["client.read", "asset.*", "software.read", "obj.*"])
    assert browser.post(f"/assets/{asset.pk}/seats/", {"software_id": str(software.pk)}).status_code == 403
    assert browser.post(f"/assets/{asset.pk}/seats/{seat.pk}/delete/").status_code == 403
    assert SoftwareSeat.objects.count() == 1


# --- Search ---------------------------------------------------------------------------------------------------------------


def _results(response, key) -> list[str]:
    group = next((g for g in response.context["groups"] if g["key"] == key), None)
    return None if group is None else [item["title"] for item in group["items"]]


EVERYONE = ["client.read", "contact.read", "asset.read", "obj.*"]


def test_search_finds_clients_contacts_and_assets(browser_for):
    acme = make_client("Acme Corp", identifier="ACME")
    make_contact(acme, first_name="Jane", last_name="Acmeson", email="jane@acme.example")
    make_asset(acme, name="ACME-FW01")
    browser, _ = browser_for(EVERYONE)
    response = browser.get("/search/", {"q": "acme"})
    assert response.status_code == 200
    assert _results(response, "client") == ["Acme Corp"]
    assert _results(response, "contact") == ["Jane Acmeson"]
    assert _results(response, "asset") == ["ACME-FW01"]
    page = body(response)
    assert "3 results for “acme”" in page and page.count("data-search-result") == 3
    assert 'value="acme"' in page  # the top bar keeps the query


def test_search_finds_a_contact_by_full_name(browser_for):
    make_contact(make_client("A"), first_name="Jane", last_name="Doe")
    browser, _ = browser_for(EVERYONE)
    assert _results(browser.get("/search/", {"q": "jane doe"}), "contact") == ["Jane Doe"]


@pytest.mark.parametrize(
    "query", ["00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e", "001A2B3C4D5E", " 00:1A:2B:3C:4D:5E "]
)
def test_search_finds_an_asset_by_mac_in_any_notation(browser_for, query):
    client = make_client("A")
    asset = make_asset(client, name="Printer 2")
    make_interface(asset, name="eth0", mac="00:1a:2b:3c:4d:5e")
    make_interface(make_asset(client, name="Other"), mac="00:1a:2b:3c:4d:5f")
    browser, _ = browser_for(EVERYONE)
    response = browser.get("/search/", {"q": query})
    assert _results(response, "asset") == ["Printer 2"]
    group = next(g for g in response.context["groups"] if g["key"] == "asset")
    assert group["items"][0]["url"] == f"/assets/{asset.pk}/"


def test_search_finds_an_asset_by_serial_and_by_partial_mac(browser_for):
    client = make_client("A")
    make_interface(make_asset(client, name="Laptop", serial="5CG1234XYZ"), mac="aa:bb:cc:00:11:22")
    browser, _ = browser_for(EVERYONE)
    assert _results(browser.get("/search/", {"q": "5cg1234xyz"}), "asset") == ["Laptop"]
    assert _results(browser.get("/search/", {"q": "AA-BB-CC"}), "asset") == ["Laptop"]


def test_search_is_scoped_and_grouped_by_what_the_user_may_read(browser_for):
    a, b = make_client("Alpha"), make_client("Alphabet")
    make_interface(make_asset(b, name="Alpha box"), mac="00:1a:2b:3c:4d:5e")
    make_contact(b, first_name="Alphonse")
    browser, _ = browser_for(EVERYONE, clients=[a])
    response = browser.get("/search/", {"q": "alpha"})
    assert _results(response, "client") == ["Alpha"]
    assert _results(response, "contact") is None and _results(response, "asset") is None  # groups with no result
    assert _results(browser.get("/search/", {"q": "00:1a:2b:3c:4d:5e"}), "asset") is None
    browser, _ = browser_for(["asset.read"])
    response = browser.get("/search/", {"q": "alpha"})
    assert [g["key"] for g in response.context["groups"]] == ["asset"]
    assert _results(response, "asset") == ["Alpha box"]


def test_search_page_without_query_or_nodes(browser_for):
    browser, _ = browser_for([])
    response = browser.get("/search/")
    assert response.status_code == 200 and response.context["groups"] == []
    response = browser.get("/search/", {"q": "anything"})
    assert "may not read anything the search covers" in body(response)
    assert browser_for([])[0].get("/search/") is not None


def test_search_needs_sign_in_and_the_box_is_on_every_page(client, browser_for):
    assert client.get("/search/", {"q": "x"}).status_code == 302
    browser, _ = browser_for(["client.read"])
    page = body(browser.get("/clients/"))
    assert 'role="search"' in page and 'action="/search/"' in page and '<label for="global-search"' in page


def test_search_query_count_is_bounded(browser_for):
    client = make_client("Acme")
    browser, _ = browser_for(EVERYONE)
    for i in range(15):
        make_interface(make_asset(client, name=f"Acme PC {i}"))
        make_contact(client, first_name="Acme", last_name=f"Number{i}")
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/search/", {"q": "acme"})
    assert len(_results(response, "asset")) == 10 and response.context["groups"][2]["more"]
    assert len(queries.captured_queries) <= 9  # the session and caller, then one query per group


# --- The expirations widget ------------------------------------------------------------------------------------------------


def _estate():
    today = date.today()
    a, b = make_client("A"), make_client("B")
    domain = make_domain(a, name="soon.example", expires_on=today + timedelta(days=5))
    make_certificate(a, name="Old cert", expires_on=today - timedelta(days=2))
    asset = make_asset(a, name="PC", warranty_expires=today + timedelta(days=20))
    make_domain(b, name="theirs.example", expires_on=today + timedelta(days=3))
    return a, b, domain, asset


def _widget(response):
    return response.context["panel_data"].get("expirations")


def test_widget_reads_the_recorded_table_within_scope_and_kinds(browser_for):
    a, _b, domain, asset = _estate()
    expirations.record(90)
    run = JobRun.objects.create(task_id="t1", task_name="assets.tasks.record_expirations", status="succeeded")
    run.finished_at = timezone.now() - timedelta(hours=3)
    run.save()
    browser, _ = browser_for(["client.read", "domain.read", "asset.read"], clients=[a])
    response = browser.get("/")
    widget = _widget(response)
    assert widget["live"] is False and widget["recorded_at"] == run.finished_at
    rows = [(row["kind"], row["name"], row["days_left"]) for row in widget["rows"]]
    assert rows == [("domain", "soon.example", 5), ("warranty", "PC", 20)]  # no certificate.read, no client B
    assert widget["rows"][0]["url"] == f"/clients/{a.pk}/domains/{domain.pk}/"
    assert widget["rows"][1]["url"] == f"/assets/{asset.pk}/"
    page = body(response)
    assert "Expiring soon" in page and "Recorded" in page and "theirs.example" not in page


def test_widget_falls_back_to_live_computation_when_nothing_is_recorded(browser_for):
    _estate()
    assert not ExpiringItem.objects.exists()
    browser, _ = browser_for(["client.read", "domain.read", "certificate.read", "asset.read"])
    widget = _widget(browser.get("/"))
    assert widget["live"] is True and widget["within_days"] == 30
    assert [(row["name"], row["days_left"]) for row in widget["rows"]] == [
        ("Old cert", -2),
        ("theirs.example", 3),
        ("soon.example", 5),
        ("PC", 20),
    ]
    assert "Expired 2 days ago" in body(browser.get("/"))


def test_widget_needs_a_read_node(browser_for):
    _estate()
    browser, _ = browser_for(["client.read"])
    response = browser.get("/")
    assert _widget(response) is None and "Expiring soon" not in body(response)


def test_widget_without_client_read_shows_names_without_tab_links(browser_for):
    _estate()
    expirations.record(90)
    browser, _ = browser_for(["domain.read"])
    widget = _widget(browser.get("/"))
    assert [row["url"] for row in widget["rows"]] == [None, None]
    assert widget["recorded_at"] is not None  # the rows' own time when no run was recorded


# --- Admin writes are audited ---------------------------------------------------------------------------------------------


def test_asset_admin_writes_are_audited(browser_for):
    client = make_client("A")
    asset = make_asset(client, name="PC-1", type="desktop", status="deployed")
    browser, _ = browser_for(["*"], is_staff=True)
    response = browser.post(
        f"/admin/assets/asset/{asset.pk}/change/",
        {
            "client": str(client.pk),
            "name": "PC-1 renamed",
            "type": "desktop",
            "status": "deployed",
            "tags": "[]",
            "interfaces-TOTAL_FORMS": "0",
            "interfaces-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = events("update", "assets.asset")
    assert event.changes == {"name": {"old": "PC-1", "new": "PC-1 renamed"}}
    browser.post(f"/admin/assets/asset/{asset.pk}/delete/", {"post": "yes"})
    assert not Asset.objects.exists() and len(events("delete", "assets.asset")) == 1


def test_asset_list_drops_the_client_select_when_there_are_too_many(browser_for, monkeypatch):
    from assets import views

    a, _b = make_client("A"), make_client("B")
    make_asset(a, name="Mine")
    monkeypatch.setattr(views, "CLIENT_FILTER_LIMIT", 1)
    browser, _ = browser_for(["asset.read", "obj.*"])
    response = browser.get("/assets/", {"client_id": str(a.pk)})
    assert response.context["clients"] is None and names(response) == ["Mine"]
    page = body(response)
    assert 'id="asset-client"' not in page and f'type="hidden" name="client_id" value="{a.pk}"' in page
