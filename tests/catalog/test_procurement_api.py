"""Seed 004's procurement routes over the synced simulator catalog and local items."""

from __future__ import annotations

import pytest

from catalog.models import CatalogGroup, CatalogSubcategory, Product, ProductLink
from psa.models import AuditEvent
from tests.catalog.factories import make_product
from tests.factories import api_for, make_client
from tests.integrations.live_sim import live_world

pytestmark = pytest.mark.django_db
READ = ["procurement.catalog.read", "obj.catalogItem.*"]


@pytest.fixture
def world():
    with live_world(jobs=("connectwise.catalog",)) as world:
        yield world


def _get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_list_shows_synced_fields_and_hides_inactive_items(world):
    make_product("Local cable", sku="LOCAL-CAB", manufacturer="Acme", on_hand=2)
    api, *_ = api_for(READ)
    body = _get(api, "/api/v1/procurement/items", limit=100)
    names = {row["identifier"] for row in body["data"]}
    assert "LOCAL-CAB" in names and "ITEM-00010" not in names  # item 10 is inactive upstream
    assert body["pagination"]["total"] == 11 + 1
    row = next(r for r in body["data"] if r["identifier"] == "ITEM-00001")
    assert row["cw_catalog_id"] == 50001 and row["category"] == "Technology" and row["inactive"] is False
    assert row["subcategory"] == "Network-Wireless" and row["manufacturer"] == "TP-Link" and row["price"] > 0
    local = next(r for r in body["data"] if r["identifier"] == "LOCAL-CAB")
    assert local["cw_catalog_id"] is None and local["in_stock"] is True
    with_inactive = _get(api, "/api/v1/procurement/items", include_inactive="true", limit=100)
    assert with_inactive["pagination"]["total"] == 13


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "technology"}, {"Technology"}),
        ({"subcategory": "Network-Switch"}, {"Network-Switch"}),
        ({"group": "Network"}, {"Network-Switch", "Network-Wireless"}),
        ({"group": "Network", "category": "Field"}, set()),
        ({"ecosystem": "Networking"}, {"Network-Switch", "Network-Wireless"}),
        ({"ecosystem": "Video Surveillance"}, {"Video-Cameras"}),
        ({"manufacturer": "ubiq"}, {"Network-Switch"}),
        ({"search": "PN-DEL"}, {"Computer-Desktop"}),
    ],
)
def test_filters(world, params, expected):
    api, *_ = api_for(READ)
    body = _get(api, "/api/v1/procurement/items", limit=100, **params)
    found = {row["subcategory"] for row in body["data"]}
    assert found == expected or (params.get("category") == "technology" and {r["category"] for r in body["data"]} ==
                                 expected)  # fmt: skip
    count = _get(api, "/api/v1/procurement/count", **params)
    assert count["data"]["count"] == body["pagination"]["total"]


def test_price_and_stock_filters(world):
    Product.objects.update(on_hand=0)
    Product.objects.filter(external_id="50001").update(on_hand=4)
    api, *_ = api_for(READ)
    in_stock = _get(api, "/api/v1/procurement/items", in_stock="true", limit=100)["data"]
    assert {row["identifier"] for row in in_stock} == {"ITEM-00001"}
    price = Product.objects.get(external_id="50002").unit_price
    rows = _get(api, "/api/v1/procurement/items", min_price=price, max_price=price)["data"]
    assert [row["identifier"] for row in rows] == ["ITEM-00002"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"ecosystem": "Nope"}, "ecosystem"), ({"group": "Nope"}, "group"), ({"in_stock": "maybe"}, "in_stock"),
     ({"min_price": "cheap"}, "min_price"), ({"limit": "500"}, "limit")],
)  # fmt: skip
def test_bad_filters_are_400_naming_the_field(world, params, field):
    api, *_ = api_for(READ)
    response = api.get("/api/v1/procurement/items", params)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"][0] == field


def test_detail_by_our_id_connectwise_id_or_sku(world):
    item = Product.objects.get(external_id="50003")
    api, *_ = api_for(READ)
    for identifier in (item.pk, "50003", "item-00003"):
        assert _get(api, f"/api/v1/procurement/items/{identifier}")["data"]["id"] == str(item.pk)
    assert api.get("/api/v1/procurement/items/99999999").status_code == 404
    assert api.get("/api/v1/procurement/items/no-such-sku").status_code == 404


def test_field_gating_hides_fields_and_refuses_filters_on_them(world):
    api, *_ = api_for(["procurement.catalog.read", "obj.catalogItem.name", "obj.catalogItem.identifier"])
    row = _get(api, "/api/v1/procurement/items")["data"][0]
    assert set(row) == {"id", "name", "identifier"}
    assert api.get("/api/v1/procurement/items", {"category": "Technology"}).status_code == 403


def test_refresh_inventory_fetches_on_hand_live_and_audits(world):
    item = Product.objects.get(external_id="50005")
    world.sim.on_hand[50005] = 17
    api, *_ = api_for(["procurement.catalog.inventory.refresh", "procurement.catalog.read", "obj.catalogItem.*"])
    response = api.post(f"/api/v1/procurement/items/{item.pk}/refresh-inventory")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["on_hand"] == 17
    item.refresh_from_db()
    assert item.on_hand == 17
    assert AuditEvent.objects.filter(object_id=str(item.pk), action="update").exists()


def test_refresh_inventory_when_connectwise_is_down_is_503_and_changes_nothing(world):
    item = Product.objects.get(external_id="50005")
    world.sim.fail_next(500)  # a live call is tried once: one fault is enough
    api, *_ = api_for(["procurement.catalog.inventory.refresh", "procurement.catalog.read", "obj.catalogItem.*"])
    response = api.post(f"/api/v1/procurement/items/{item.pk}/refresh-inventory")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    world.sim.fail_next(200, malformed=True)
    response = api.post(f"/api/v1/procurement/items/{item.pk}/refresh-inventory")
    assert response.status_code == 502 and response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert Product.objects.get(pk=item.pk).on_hand == item.on_hand


def test_refresh_inventory_of_a_local_item_is_409(world):
    item = make_product("Local only")
    api, *_ = api_for(["procurement.catalog.inventory.refresh", "procurement.catalog.read", "obj.catalogItem.*"])
    assert api.post(f"/api/v1/procurement/items/{item.pk}/refresh-inventory").status_code == 409


def test_links_read_both_ways_and_unlink(world):
    source, target = Product.objects.get(external_id="50001"), make_product("Warranty")
    api, *_ = api_for(["procurement.catalog.link", "procurement.catalog.read", "obj.catalogItem.*"])
    response = api.post(f"/api/v1/procurement/items/{source.pk}/link", {"target_id": str(target.pk),
                        "kind": "accessory"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert [i["id"] for i in response.json()["data"]["linked_items"]] == [str(target.pk)]
    back = _get(api, f"/api/v1/procurement/items/{target.pk}/linked")["data"]
    assert (
        back[0]["id"] == str(source.pk) and back[0]["link_direction"] == "from" and back[0]["link_kind"] == "accessory"
    )
    detail = _get(api, "/api/v1/procurement/items/50001", include_linked_items="true")["data"]
    assert detail["linked_items"][0]["link_direction"] == "to"
    again = api.post(f"/api/v1/procurement/items/{target.pk}/link", {"target_id": "50001"}, format="json")
    assert again.status_code == 200 and ProductLink.objects.count() == 1
    gone = api.post(f"/api/v1/procurement/items/{target.pk}/unlink", {"target_id": "ITEM-00001"}, format="json")
    assert gone.status_code == 200 and gone.json()["data"]["linked_items"] == []
    assert not ProductLink.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"), [({}, "target_id"), ({"target_id": "nothing"}, "target_id"), ({"target_id": "x", "y": 1}, "y"),
                        ({"target_id": "50001", "kind": "weird"}, "kind")],
)  # fmt: skip
def test_link_validation(world, body, field):
    item = Product.objects.get(external_id="50002")
    api, *_ = api_for(["procurement.catalog.link", "procurement.catalog.read", "obj.catalogItem.*"])
    response = api.post(f"/api/v1/procurement/items/{item.pk}/link", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"][0] == field
    itself = api.post(f"/api/v1/procurement/items/{item.pk}/link", {"target_id": str(item.pk)}, format="json")
    assert itself.status_code == 400


def test_scoped_callers_read_but_do_not_change_the_catalog(world):
    item = Product.objects.get(external_id="50002")
    api, *_ = api_for(["*"], key_clients=[make_client("Scoped")])
    assert api.get(f"/api/v1/procurement/items/{item.pk}").status_code == 200
    assert api.post(f"/api/v1/procurement/items/{item.pk}/refresh-inventory").status_code == 403
    assert (
        api.post(f"/api/v1/procurement/items/{item.pk}/link", {"target_id": "50001"}, format="json").status_code == 403
    )


def test_categories_tree_and_ecosystems_come_from_editable_data(world):
    api, *_ = api_for(READ)
    body = _get(api, "/api/v1/procurement/categories")["data"]
    technology = next(c for c in body["categories"] if c["name"] == "Technology")
    assert technology["cw_id"] == 18 and technology["entries"][0] == {"type": "subcategory", "name": "GeneralEquip",
                                                                         "cw_id": 57}  # fmt: skip
    network = next(e for e in technology["entries"] if e["type"] == "group" and e["name"] == "Network")
    assert {"name": "Network-Switch", "cw_id": 112} in network["subcategories"]
    networking = next(e for e in body["ecosystems"] if e["name"] == "Networking")
    assert {"name": "Ubiquiti", "cw_id": 248, "category": "Technology", "subcategory_prefix": "Network-"} in networking[
        "manufacturers"]  # fmt: skip
    group = CatalogGroup.objects.get(name="Network")
    CatalogSubcategory.objects.create(category=group.category, group=group, name="Network-Firewall", position=999)
    again = _get(api, "/api/v1/procurement/categories")["data"]
    network = next(e for e in again["categories"][0]["entries"] if e.get("name") == "Network")
    assert network["subcategories"][-1]["name"] == "Network-Firewall"


def test_filters_cascade(world):
    api, *_ = api_for(READ)
    everything = _get(api, "/api/v1/procurement/filters")["data"]
    assert everything["categories"] == ["Field", "General", "Technology"]
    technology = _get(api, "/api/v1/procurement/filters", category="Technology")["data"]
    assert technology["subcategories"] == ["Computer-Desktop", "Network-Switch", "Network-Wireless"]
    assert technology["manufacturers"] == ["Dell", "TP-Link", "Ubiquiti"]
    switch = _get(api, "/api/v1/procurement/filters", category="Technology", subcategory="Network-Switch")["data"]
    assert switch["manufacturers"] == ["Ubiquiti"]
    assert api.get("/api/v1/procurement/filters", {"include_inactive": "perhaps"}).status_code == 400


def test_unauthenticated_and_forbidden(world):
    from tests.factories import api_client

    assert api_client().get("/api/v1/procurement/items").status_code == 401
    api, *_ = api_for(["catalog.product.read", "obj.*"])
    for url in ("/api/v1/procurement/items", "/api/v1/procurement/count", "/api/v1/procurement/categories",
                "/api/v1/procurement/filters"):  # fmt: skip
        assert api.get(url).status_code == 403
