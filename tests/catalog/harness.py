"""Route-harness objects for the catalog: MSP-wide services and products (not client-owned), and the procurement
view of them, whose main item is synced from the shared ConnectWise simulator (refresh-inventory asks it live)."""

from catalog.models import CatalogItem, Product, Service
from tests.catalog.factories import make_product, make_service
from tests.integrations.conftest import make_source
from tests.integrations.live_sim import mirror, shared_simulator


def _synced_item(world) -> CatalogItem:
    _sim, base_url = shared_simulator()
    source = make_source(base_url, name="Harness CW catalog")
    item = make_product("Harness synced switch", sku="ITEM-00001", external_source="connectwise", external_id="50001")
    mirror(source, "catalog_item", 50001, item)
    return CatalogItem.objects.get(pk=item.pk)


def build(world) -> None:
    world.add(Service, make_service("Harness remote support"))
    world.add(Product, make_product("Harness switch"))
    world.add(CatalogItem, _synced_item(world))
    # Items nothing refers to, so deleting them succeeds.
    world.delete_targets[Service] = make_service("Harness disposable service")
    world.delete_targets[Product] = make_product("Harness disposable product")


BODIES = {
    ("service-list", "POST"): lambda w: {"service_name": "Onsite", "default_rate": 15_000, "currency": "eur"},
    ("service-detail", "PUT"): lambda w: {"description": "Changed"},
    ("service-detail", "PATCH"): lambda w: {"is_billable": False},
    ("product-list", "POST"): lambda w: {"product_name": "Patch cable", "sku": "CAB-1", "unit_price": 500},
    ("product-detail", "PUT"): lambda w: {"manufacturer": "Acme"},
    ("product-detail", "PATCH"): lambda w: {"on_hand": 4},
    ("procurement-item-refresh-inventory", "POST"): lambda w: {},
    ("procurement-item-link", "POST"): lambda w: {"target_id": str(w.objects[Product].pk), "kind": "accessory"},
    ("procurement-item-unlink", "POST"): lambda w: {"target_id": str(w.objects[Product].pk)},
}

ROW_FACTORIES = {
    Service: lambda w, i: make_service(f"Row service {i}"),
    Product: lambda w, i: make_product(f"Row product {i}"),
    CatalogItem: lambda w, i: make_product(f"Row catalog item {i}"),
}


def _page(name: str, model: type | None = None, **query):
    """A page of the world's object of ``model`` (or none), for the gating harness."""
    from urllib.parse import urlencode

    from django.urls import reverse

    def url(world) -> str:
        args = [world.objects[model].pk] if model is not None else []
        return reverse(name, args=args) + (f"?{urlencode(query)}" if query else "")

    return url


# The gating harness's pages: the procurement browser (with every item, and as the ticket's materials picker), the
# item pages of the synced item and of the local product, and the product form of each (locked fields and all).
GATING_PAGES = [
    _page("catalog:procurement_list", include_inactive="true"),
    _page("catalog:procurement_item", CatalogItem),
    _page("catalog:procurement_item", Product),
    _page("catalog:product_edit", CatalogItem),
    _page("catalog:product_edit", Product),
]
# The procurement pages show the products as catalog items: a shared column is gated there by obj.catalogItem.*, and
# on the product form by obj.product.* (as the API's procurement and products routes are; see the gating harness).
_PROCUREMENT_PAGES = [GATING_PAGES[0], GATING_PAGES[1], GATING_PAGES[2]]
_PRODUCT_PAGES = [GATING_PAGES[3], GATING_PAGES[4]]
GATING_PAGES_NOT_APPLICABLE = {
    **{f"obj.product.{field}": _PROCUREMENT_PAGES for field in
       ("product_name", "sku", "description", "manufacturer", "external_id")},
    **{f"obj.catalogItem.{field}": _PRODUCT_PAGES for field in
       ("name", "identifier", "description", "manufacturer", "cw_catalog_id")},
}  # fmt: skip
