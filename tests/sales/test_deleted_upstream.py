"""Records deleted in ConnectWise: the id-only deletion scan archives opportunities and deactivates catalog items.

Nothing is deleted here: an archived opportunity leaves the default lists and stays readable under a filter; a
deactivated catalog item leaves the procurement list (``include_inactive`` shows it) and the materials using it stay.
"""

from __future__ import annotations

import copy

import pytest
from django.test import Client as BrowserClient

from catalog.models import Product
from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.models import ExternalRecord
from sales.models import Opportunity
from tests.factories import api_for, make_user
from tests.integrations.conftest import make_source, run_on

pytestmark = pytest.mark.django_db
READ = ["sales.opportunity.read", "obj.opportunity.*"]
GONE = 5001


@pytest.fixture
def sim():
    return ConnectWiseSimulator(Size(companies=2, contacts=2, sites=2, configurations=1, members=1, catalog_items=4,
                                     opportunities=4))  # fmt: skip


@pytest.fixture
def scanned(sim):
    """Opportunities synced, then opportunity 5001 deleted upstream and the deletion scan run."""
    source = make_source()
    run_on(source, sim, "connectwise.opportunities")
    Opportunity.objects.update(is_closed=False)  # every one open, so only the archive decides what a list shows
    sim.remove("opportunities", GONE)
    run = run_on(source, sim, "connectwise.deletions")
    assert run.status == "succeeded" and run.deleted == 1
    return source


def _ids(api, **params) -> set[int]:
    response = api.get("/api/v1/sales/opportunities", {"limit": 100, **params})
    assert response.status_code == 200, response.content[:300]
    return {row["cw_opportunity_id"] for row in response.json()["data"]}


def test_an_opportunity_deleted_upstream_is_archived_not_deleted(sim, scanned):
    gone = Opportunity.objects.get(cw_opportunity_id=GONE)
    assert gone.archived_at is not None
    assert not Opportunity.objects.exclude(cw_opportunity_id=GONE).filter(archived_at__isnull=False).exists()
    record = ExternalRecord.objects.get(source=scanned, kind="opportunity", external_id=str(GONE))
    assert record.deleted_at is not None and record.object_id == str(gone.pk)
    again = run_on(scanned, sim, "connectwise.deletions")
    assert again.deleted == 0 and Opportunity.objects.get(pk=gone.pk).archived_at == gone.archived_at


def test_the_api_hides_archived_opportunities_unless_asked(scanned):
    api, *_ = api_for(READ)
    everyone = set(Opportunity.objects.values_list("cw_opportunity_id", flat=True))
    assert _ids(api) == everyone - {GONE}
    assert _ids(api, include_archived="true") == everyone
    assert _ids(api, archived="true") == {GONE}
    count = api.get("/api/v1/sales/opportunities/count", {"include_archived": "true"}).json()["data"]["count"]
    assert count == len(everyone)
    detail = api.get(f"/api/v1/sales/opportunities/{GONE}")
    assert detail.status_code == 200 and detail.json()["data"]["archived_at"]
    assert api.get("/api/v1/sales/opportunities", {"include_archived": "maybe"}).status_code == 400


def test_archived_at_follows_the_field_gate(scanned):
    api, *_ = api_for(["sales.opportunity.read", "obj.opportunity.name"])
    row = api.get("/api/v1/sales/opportunities").json()["data"][0]
    assert "archived_at" not in row
    assert api.get("/api/v1/sales/opportunities", {"archived": "true"}).status_code == 403


def test_the_pages_hide_archived_opportunities_and_say_so_on_their_page(scanned):
    browser = BrowserClient()
    browser.force_login(make_user([*READ, "obj.client.*"]))
    gone = Opportunity.objects.get(cw_opportunity_id=GONE)
    listed = browser.get("/sales/").content.decode()
    assert f"/sales/{gone.pk}/" not in listed and 'name="include_archived"' in listed
    with_archived = browser.get("/sales/", {"include_archived": "true"}).content.decode()
    assert f"/sales/{gone.pk}/" in with_archived and "data-archived" in with_archived
    page = browser.get(f"/sales/{gone.pk}/")
    assert page.status_code == 200 and "deleted in ConnectWise" in page.content.decode()


def test_an_opportunity_served_again_upstream_is_live_again(sim, scanned):
    record = copy.deepcopy(sim.data["opportunities"][5002]) | {"id": GONE, "name": "Back again"}
    sim.add("opportunities", record)
    run_on(scanned, sim, "connectwise.deletions")
    run_on(scanned, sim, "connectwise.opportunities")
    back = Opportunity.objects.get(cw_opportunity_id=GONE)
    assert back.archived_at is None and back.name == "Back again"


def test_a_catalog_item_deleted_upstream_is_deactivated_and_leaves_the_procurement_list(sim):
    source = make_source()
    run_on(source, sim, "connectwise.catalog")
    sim.remove("catalog", 50002)
    assert run_on(source, sim, "connectwise.deletions").deleted == 1
    item = Product.objects.get(external_source="connectwise", external_id="50002")
    assert item.is_active is False and Product.objects.filter(external_source="connectwise").count() == 4
    api, *_ = api_for(["procurement.catalog.read", "obj.catalogItem.*"])
    listed = api.get("/api/v1/procurement/items", {"limit": 100}).json()["data"]
    assert "ITEM-00002" not in {row["identifier"] for row in listed}
    everything = api.get("/api/v1/procurement/items", {"limit": 100, "include_inactive": "true"}).json()["data"]
    assert next(r for r in everything if r["identifier"] == "ITEM-00002")["inactive"] is True
