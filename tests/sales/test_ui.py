"""The catalog browser and the opportunity pages, through the Django test client against the simulator."""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from catalog.models import Product, ProductLink
from sales.models import Opportunity
from tests.factories import make_user
from tests.integrations.live_sim import live_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with live_world() as world:
        yield world


def _browser(nodes) -> Browser:
    browser = Browser()
    browser.force_login(make_user(nodes))
    return browser


def test_catalog_browser_filters_cascade_and_search(world):
    browser = _browser(["procurement.catalog.read", "obj.*"])
    page = browser.get("/catalog/procurement/", {"category": "Technology"}).content.decode()
    assert "Network-Switch" in page and "Video-Cameras" not in page  # the subcategory dropdown is narrowed
    found = browser.get("/catalog/procurement/", {"search": "PN-DEL"}).content.decode()
    assert "Dell" in found and "Ubiquiti Switch" not in found
    bad = browser.get("/catalog/procurement/", {"ecosystem": "Nope"})
    assert bad.status_code == 200 and "Unknown ecosystem" in bad.content.decode()
    assert _browser(["ticket.read"]).get("/catalog/procurement/").status_code == 403


def test_item_page_refreshes_inventory_and_links(world):
    item, other = Product.objects.get(external_id="50001"), Product.objects.get(external_id="50002")
    world.sim.on_hand[50001] = 9
    browser = _browser(["procurement.catalog.read", "procurement.catalog.inventory.refresh", "procurement.catalog.link",
                        "obj.*"])  # fmt: skip
    assert "Refresh inventory" in browser.get(f"/catalog/procurement/{item.pk}/").content.decode()
    browser.post(f"/catalog/procurement/{item.pk}/refresh/")
    assert Product.objects.get(pk=item.pk).on_hand == 9
    browser.post(f"/catalog/procurement/{item.pk}/links/", {"target": "ITEM-00002", "kind": "accessory"})
    assert ProductLink.objects.filter(source=item, target=other, kind="accessory").exists()
    assert item.name in browser.get(f"/catalog/procurement/{other.pk}/").content.decode()
    browser.post(f"/catalog/procurement/{other.pk}/links/", {"target": str(item.pk), "action": "unlink"})
    assert not ProductLink.objects.exists()


def test_opportunity_pages_show_company_products_and_notes(world):
    opportunity = Opportunity.objects.filter(is_closed=False).order_by("cw_opportunity_id").first()
    browser = _browser(["sales.opportunity.read", "obj.*"])
    listing = browser.get("/sales/").content.decode()
    assert opportunity.name in listing
    page = browser.get(f"/sales/{opportunity.pk}/").content.decode()
    assert opportunity.client.name in page and "data-reorder" in page and "Follow-up call" in page
    assert "Note 1 on project" in page
    world.sim.fail_next(503, times=10)
    from django.core.cache import cache

    cache.clear()
    down = browser.get(f"/sales/{opportunity.pk}/")
    assert down.status_code == 200 and "ConnectWise" in down.content.decode()


def test_opportunity_page_reorders_and_edits_notes(world):
    opportunity = Opportunity.objects.filter(is_closed=False).order_by("cw_opportunity_id").first()
    browser = _browser(["sales.opportunity.read", "sales.opportunity.product.update", "sales.opportunity.note.create",
                        "sales.opportunity.note.update", "sales.opportunity.note.delete", "obj.*"])  # fmt: skip
    first = opportunity.cw_opportunity_id * 10 + 1
    browser.post(f"/sales/{opportunity.pk}/products/move/", {"line": first, "direction": "down"})
    assert world.sim.data["forecast"][first]["sequenceNumber"] == 2
    browser.post(f"/sales/{opportunity.pk}/notes/", {"text": "From the page", "flagged": "on"})
    note = next(n for n in world.sim.data["notes"].values() if n["text"] == "From the page")
    assert note["flagged"] is True
    browser.post(f"/sales/{opportunity.pk}/notes/{note['id']}/", {"text": "Edited on the page"})
    assert world.sim.data["notes"][note["id"]]["text"] == "Edited on the page"
    assert world.sim.data["notes"][note["id"]]["flagged"] is False
    browser.post(f"/sales/{opportunity.pk}/notes/{note['id']}/delete/")
    assert note["id"] not in world.sim.data["notes"]
    readonly = _browser(["sales.opportunity.read", "obj.*"])
    assert readonly.post(f"/sales/{opportunity.pk}/notes/", {"text": "x"}).status_code == 403
