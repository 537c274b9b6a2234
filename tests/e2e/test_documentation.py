"""A technician documents a client in headless Chromium: creates the client, adds an asset with a network interface,
then finds the asset by its MAC address (typed in another notation) in the top bar search, using the keyboard."""

import pytest

from assets.models import Asset, AssetInterface
from clients.models import Client
from psa.models import AuditEvent
from tests.e2e.conftest import sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def field(page, name: str):
    """A text field by its accessible name (the required marker is hidden from it)."""
    return page.get_by_role("textbox", name=name, exact=True)


def test_document_a_client_and_find_its_asset_by_mac(page):
    tech = make_user(["client.*", "contact.*", "location.*", "asset.*", "obj.*"], login="dora", name="Dora Docs")
    tech.set_password(PASSWORD)
    tech.save()
    sign_in(page, "dora", PASSWORD)

    # A new client from the client list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    field(page, "Name").fill("Acme Corp")
    field(page, "Identifier").fill("ACME")
    page.get_by_role("button", name="Create client").click()
    page.get_by_role("heading", name="Acme Corp", level=1).wait_for()
    client = Client.objects.get(identifier="ACME")

    # Its assets tab, then a new asset for it.
    page.get_by_role("navigation", name="Client sections").get_by_role("link", name="Assets").click()
    page.get_by_text("Acme Corp has no assets documented yet.").wait_for()
    page.get_by_role("link", name="New asset").click()
    page.get_by_role("heading", name="New asset for Acme Corp").wait_for()
    field(page, "Name").fill("ACME-PRN01")
    page.get_by_role("combobox", name="Type", exact=True).select_option(label="Printer")
    field(page, "Serial number").fill("CNB7K12345")
    page.get_by_role("button", name="Create asset").click()
    page.get_by_text("Created the asset ACME-PRN01.").wait_for()
    asset = Asset.objects.get(client=client)
    assert asset.type == "printer" and asset.serial == "CNB7K12345"

    # A first attempt with a mistyped MAC is refused with the API's message, the input kept.
    field(page, "Name").fill("eth0")
    field(page, "MAC address").fill("00-1A-2B-3C-4D")
    page.get_by_role("button", name="Add interface").click()
    page.get_by_role("alert").get_by_text("is not a MAC address").wait_for()
    assert field(page, "MAC address").input_value() == "00-1A-2B-3C-4D"
    field(page, "MAC address").fill("00-1A-2B-3C-4D-5E")
    page.get_by_label("Primary interface").check()
    page.get_by_role("button", name="Add interface").click()
    page.get_by_text("Added the interface eth0.").wait_for()
    page.get_by_role("cell", name="00:1a:2b:3c:4d:5e").wait_for()  # stored and shown normalized
    assert AssetInterface.objects.get(asset=asset).mac == "00:1a:2b:3c:4d:5e"

    # Find it from anywhere: "/" focuses the top bar search; the MAC in Cisco notation finds it.
    page.goto("/")
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Quick find")
    assert search.evaluate("element => element === document.activeElement")
    search.fill("001a.2b3c.4d5e")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Search", level=1).wait_for()
    result = page.locator("[data-search-result]", has_text="ACME-PRN01")
    result.wait_for()  # the MAC in Cisco's notation finds the asset whose interface has it in another

    # The results page keeps the focus in the box: the down arrow moves into the results, Enter opens the asset.
    assert search.evaluate("element => element === document.activeElement")
    assert search.input_value() == "001a.2b3c.4d5e"
    page.keyboard.press("ArrowDown")
    assert result.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/assets/{asset.pk}/")
    page.get_by_role("heading", name="ACME-PRN01").wait_for()

    # Every write went through the audited path.
    written = set(AuditEvent.objects.filter(actor=tech).exclude(action="login").values_list("action", "object_type"))
    assert written == {("create", "clients.client"), ("create", "assets.asset"), ("create", "assets.assetinterface")}
