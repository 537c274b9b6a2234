"""Route-harness objects for the catalog: MSP-wide services and products (not client-owned)."""

from catalog.models import Product, Service
from tests.catalog.factories import make_product, make_service


def build(world) -> None:
    world.add(Service, make_service("Harness remote support"))
    world.add(Product, make_product("Harness switch"))
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
}

ROW_FACTORIES = {
    Service: lambda w, i: make_service(f"Row service {i}"),
    Product: lambda w, i: make_product(f"Row product {i}"),
}
