"""The ConnectWise catalog and opportunity syncs: fields, links, idempotency, incremental runs, bad records."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import User
from catalog.models import Product
from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.models import ExternalRecord
from sales.models import Opportunity
from tests.catalog.factories import make_product
from tests.factories import make_user
from tests.integrations.conftest import make_source, run_on

pytestmark = pytest.mark.django_db

BASE_JOBS = ("connectwise.companies", "connectwise.sites", "connectwise.contacts", "connectwise.members")


@pytest.fixture
def sim():
    return ConnectWiseSimulator(Size(companies=4, contacts=8, sites=4, configurations=2, members=3, catalog_items=12,
                                     opportunities=4))  # fmt: skip


def test_catalog_sync_maps_the_fields_and_a_resync_writes_nothing(sim):
    source = make_source()
    run = run_on(source, sim, "connectwise.catalog")
    assert run.status == "succeeded" and run.created == 12
    item = Product.objects.get(external_source="connectwise", external_id="50001")
    record = sim.data["catalog"][50001]
    assert item.sku == "ITEM-00001" and item.name == record["description"]
    assert item.category == "Technology" and item.subcategory == "Network-Wireless" and item.subcategory_cw_id == 111
    assert item.manufacturer == "TP-Link" and item.manufacturer_cw_id == 259
    assert item.part_number == "PN-TP--00001" and item.vendor_sku == "VS-00001" and item.vendor_name
    assert item.unit_price == round(record["price"] * 100) and item.cost == round(record["cost"] * 100)
    assert item.cw_last_updated is not None and item.is_taxable is True
    assert Product.objects.get(external_id="50010").is_active is False  # inactiveFlag
    again = run_on(source, sim, "connectwise.catalog")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)


def test_catalog_sync_reads_the_stock_of_the_inventory_items_it_stored(sim):
    source = make_source()
    run_on(source, sim, "connectwise.catalog")
    inventory = Product.objects.filter(external_source="connectwise", product_class="Inventory")
    assert inventory.count() > 0
    assert all(item.on_hand == sim.on_hand[int(item.external_id)] for item in inventory)
    service = Product.objects.get(external_id="50005")  # General-Labor: a service has no stock to read
    assert service.product_class == "Service" and not sim.log("catalog/50005/quantityOnHand")


def test_catalog_sync_is_incremental_and_rereads_stock_only_for_changed_items(sim):
    source = make_source()
    run_on(source, sim, "connectwise.catalog")
    Product.objects.filter(external_id__in=["50001", "50002"]).update(on_hand=3)
    sim.on_hand[50002] = 11
    sim.touch("catalog", 50002, price=12.5)
    calls = len(sim.log("quantityOnHand"))
    run = run_on(source, sim, "connectwise.catalog")
    assert run.updated == 1 and len(sim.log("quantityOnHand")) == calls + 1
    pages = [r for r in sim.log("procurement/catalog") if r.path.endswith("procurement/catalog")]
    assert "lastUpdated>" in pages[-1].query["conditions"]
    item = Product.objects.get(external_id="50002")
    assert item.unit_price == 1250 and item.on_hand == 11
    assert Product.objects.get(external_id="50001").on_hand == 3  # unchanged upstream: the local count stays


@override_settings(CONNECTWISE_STOCK_PER_RUN=2)
def test_the_stock_pass_is_bounded_per_run(sim):
    run_on(make_source(), sim, "connectwise.catalog")
    assert len(sim.log("quantityOnHand")) == 2


def test_a_local_product_with_the_same_sku_is_adopted_and_others_stay(sim):
    local = make_product("Our own switch", sku="item-00003")
    untouched = make_product("Local only", sku="LOCAL-1")
    source = make_source()
    run_on(source, sim, "connectwise.catalog")
    local.refresh_from_db()
    assert local.external_id == "50003" and local.name == sim.data["catalog"][50003]["description"]
    assert Product.objects.filter(sku__iexact="ITEM-00003").count() == 1
    untouched.refresh_from_db()
    assert untouched.external_id == "" and untouched.name == "Local only"


def test_a_malformed_catalog_item_is_one_error():
    sim = ConnectWiseSimulator(Size(companies=2, contacts=2, sites=2, configurations=1, members=1, catalog_items=10,
                                    opportunities=1), malformed_every=5)  # fmt: skip
    run = run_on(make_source(), sim, "connectwise.catalog")
    assert run.status == "partial" and run.failed == 2 and run.created == 8
    assert "description" in run.errors[0]["message"]


def test_deleted_catalog_items_are_deactivated(sim):
    source = make_source()
    run_on(source, sim, "connectwise.catalog")
    sim.remove("catalog", 50004)
    run_on(source, sim, "connectwise.deletions")
    assert Product.objects.get(external_id="50004").is_active is False


def test_opportunities_link_client_contact_site_and_sales_rep(sim):
    source = make_source()
    member = sim.data["members"][201]
    rep = make_user([], login="rep")
    User.objects.filter(pk=rep.pk).update(cw_identifier=member["identifier"].upper())
    for job in (*BASE_JOBS, "connectwise.opportunities"):
        run_on(source, sim, job)
    opportunity = Opportunity.objects.get(cw_opportunity_id=5001)
    record = sim.data["opportunities"][5001]
    assert opportunity.name == record["name"] and opportunity.source_id == source.pk
    assert opportunity.client.cw_company_id == record["company"]["id"]
    assert opportunity.contact is not None and opportunity.location is not None
    assert opportunity.sales_rep_id == rep.pk and opportunity.primary_sales_rep["identifier"] == member["identifier"]
    assert opportunity.stage == {"id": record["stage"]["id"], "name": record["stage"]["name"]}
    assert opportunity.probability == 17 and opportunity.total_sales_tax == round(record["totalSalesTax"] * 100)
    assert opportunity.expected_close_date is not None
    statuses = ExternalRecord.objects.filter(source=source, kind="opportunity_status")
    assert statuses.count() == 5
    again = run_on(source, sim, "connectwise.opportunities")
    assert (again.created, again.updated) == (0, 0)


def test_an_opportunity_of_a_company_not_synced_keeps_its_reference(sim):
    source = make_source()
    run = run_on(source, sim, "connectwise.opportunities")
    assert run.status == "succeeded"
    opportunity = Opportunity.objects.get(cw_opportunity_id=5002)
    assert opportunity.client_id is None and opportunity.company_ref["id"] == sim.data["opportunities"][5002][
        "company"]["id"]  # fmt: skip
