"""Permission nodes of the catalog. Items are MSP-wide: client-scoped callers may read them but never change them."""

from psa.nodes import category, node

CATALOG = category("catalog", "Catalog Permissions", "Reading and managing the services and products the MSP sells")
node("catalog.service.read", "List and read services (labour types)", CATALOG)
node("catalog.service.create", "Create services", CATALOG, ["catalog.service.read"])
node("catalog.service.update", "Change services", CATALOG, ["catalog.service.read"])
node("catalog.service.delete", "Delete services no time entry or material uses", CATALOG, ["catalog.service.read"])
node("catalog.product.read", "List and read products, with prices, cost and stock", CATALOG)
node("catalog.product.create", "Create products", CATALOG, ["catalog.product.read"])
node("catalog.product.update", "Change products, including stock on hand", CATALOG, ["catalog.product.read"])
node("catalog.product.delete", "Delete products no material uses", CATALOG, ["catalog.product.read"])

# Seed 004's procurement nodes, in our style: procurement.catalog.fetch and .fetch.many are both .read here.
PROCUREMENT = category(
    "procurement", "Procurement Permissions", "The procurement catalog (seed 004's /procurement routes)"
)
node(
    "procurement.catalog.read",
    "List, count and read catalog items, their links, categories and filters "
    "(seed 004: procurement.catalog.fetch, procurement.catalog.fetch.many)",
    PROCUREMENT,
)
node(
    "procurement.catalog.inventory.refresh",
    "Fetch an item's on-hand count from ConnectWise and store it (seed 004: procurement.catalog.inventory.refresh)",
    PROCUREMENT,
    ["procurement.catalog.read"],
)
node(
    "procurement.catalog.link",
    "Link and unlink catalog items (seed 004: procurement.catalog.link)",
    PROCUREMENT,
    ["procurement.catalog.read"],
)
