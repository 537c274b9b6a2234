"""Permission nodes of sales (seed 004's sales nodes, in our style; each description names the seed's node)."""

from psa.nodes import category, node

SALES = category("sales", "Sales Permissions", "Opportunities mirrored from ConnectWise (seed 004's /sales routes)")
node(
    "sales.opportunity.read",
    "List, count and read opportunities, their types, products, notes and contacts "
    "(seed 004: sales.opportunity.fetch, sales.opportunity.fetch.many)",
    SALES,
)
node(
    "sales.opportunity.refresh",
    "Re-read an opportunity from ConnectWise now (seed 004: sales.opportunity.refresh)",
    SALES,
    ["sales.opportunity.read"],
)
node(
    "sales.opportunity.product.update",
    "Reorder an opportunity's products in ConnectWise (seed 004: sales.opportunity.product.update)",
    SALES,
    ["sales.opportunity.read"],
)
node(
    "sales.opportunity.note.create",
    "Add notes to opportunities in ConnectWise (seed 004: sales.opportunity.note.create)",
    SALES,
    ["sales.opportunity.read"],
)
node(
    "sales.opportunity.note.update",
    "Change opportunity notes in ConnectWise (seed 004: sales.opportunity.note.update)",
    SALES,
    ["sales.opportunity.read"],
)
node(
    "sales.opportunity.note.delete",
    "Delete opportunity notes in ConnectWise (seed 004: sales.opportunity.note.delete)",
    SALES,
    ["sales.opportunity.read"],
)
