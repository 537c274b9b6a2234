"""ConnectWise's procurement catalog → the catalog's products, and the live on-hand refresh.

Items keep their ConnectWise id (``external_source="connectwise"``, ``external_id``); a local product with the same
SKU (ConnectWise's ``identifier``) and no external id yet is adopted rather than duplicated. Prices are stored in
minor units. A catalog item that disappears upstream is deactivated, never deleted (materials refer to it).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models.functions import Upper

from catalog.models import MAX_MONEY, Product
from integrations import hooks
from integrations.connectwise import conditions as cw
from integrations.connectwise.mappers import ref_id, ref_name, text
from integrations.mirror import Item, Mapper, RecordError

EXTERNAL_SOURCE = "connectwise"
MAX_ON_HAND = 10**9


def minor_units(payload: dict, key: str) -> int:
    """A ConnectWise amount (a JSON number in the currency's units) as whole cents, from 0."""
    value = payload.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"'{key}' should be a number.")
    try:
        cents = (Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise RecordError(f"'{key}' is not a number: {str(value)[:30]!r}.") from None
    if cents < 0 or cents > MAX_MONEY:
        raise RecordError(f"'{key}' is out of range.")
    return int(cents)


def cw_time(payload: dict, key: str) -> datetime | None:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return cw.parse_time(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise RecordError(f"'{key}' is not a time: {value[:30]!r}.") from None


def last_updated(payload: dict) -> datetime | None:
    info = payload.get("_info")
    return cw_time(info, "lastUpdated") if isinstance(info, dict) else None


class CatalogItemMapper(Mapper):
    kind = "catalog_item"
    model = Product
    fields = (
        "name", "sku", "description", "customer_description", "internal_notes", "category", "category_cw_id",
        "subcategory", "subcategory_cw_id", "manufacturer", "manufacturer_cw_id", "part_number", "vendor_name",
        "vendor_sku", "vendor_cw_id", "product_class", "unit_price", "cost", "is_active", "is_taxable",
        "cw_last_updated", "external_source", "external_id",
    )  # fmt: skip

    def values(self, item: Item) -> dict:
        p = item.payload
        description = text(p, "description", 64 * 1024, required=True)
        return {
            "name": description[:200],
            "sku": text(p, "identifier", 100, required=True),
            "description": description,
            "customer_description": text(p, "customerDescription", 64 * 1024),
            "internal_notes": text(p, "notes", 64 * 1024),
            "category": ref_name(p, "category", 100),
            "category_cw_id": ref_id(p, "category"),
            "subcategory": ref_name(p, "subcategory", 100),
            "subcategory_cw_id": ref_id(p, "subcategory"),
            "manufacturer": ref_name(p, "manufacturer", 200),
            "manufacturer_cw_id": ref_id(p, "manufacturer"),
            "part_number": text(p, "manufacturerPartNumber", 100),
            "vendor_name": ref_name(p, "vendor", 200),
            "vendor_sku": text(p, "vendorSku", 100),
            "vendor_cw_id": ref_id(p, "vendor"),
            "product_class": text(p, "productClass", 20),
            "unit_price": minor_units(p, "price"),
            "cost": minor_units(p, "cost"),
            "is_active": p.get("inactiveFlag") is not True,
            "is_taxable": p.get("taxableFlag") is not False,
            "cw_last_updated": last_updated(p),
            "external_source": EXTERNAL_SOURCE,
            "external_id": item.external_id,
        }

    def match(self, items: list[Item]) -> None:
        """Link existing products: the same ConnectWise id, or a local product (no external id) with the same SKU."""
        ids = [item.external_id for item in items]
        by_id = {p.external_id: p for p in Product.objects.filter(external_source=EXTERNAL_SOURCE, external_id__in=ids)}
        codes = [item.values["sku"].upper() for item in items]
        local = Product.objects.annotate(code=Upper("sku")).filter(code__in=codes, external_id="")
        by_code = {p.code: p for p in local}
        for item in items:
            item.obj = by_id.get(item.external_id) or by_code.pop(item.values["sku"].upper(), None)

    def on_deleted(self, object_ids: list[str]) -> None:
        Product.objects.filter(pk__in=object_ids, is_active=True).update(is_active=False, updated_at=self.context.now)


# ConnectWise masters what the catalog sync writes on a synced product: the API refuses changes to those fields and
# the UI shows them disabled. Stock on hand and the currency stay ours (materials move the stock between refreshes).
hooks.mastered("catalog.product", CatalogItemMapper.fields)
hooks.mastered("catalog.catalogitem", CatalogItemMapper.fields)  # the procurement view of the same rows


def refresh_stock(context) -> None:
    """On-hand counts for the inventory items this run stored (new or changed upstream), one call each, at most
    ``PSA_CONNECTWISE_STOCK_PER_RUN`` of them; the rest keep theirs until they change or ``refresh-inventory``.

    The catalog record carries no stock (reference/integrations.md §2.6): ``catalog/{id}/quantityOnHand`` does.
    """
    from django.conf import settings
    from django.db.models import Subquery

    from integrations.http import IntegrationError, NotFoundError
    from integrations.models import ExternalRecord

    limit = settings.CONNECTWISE_STOCK_PER_RUN
    if limit <= 0:
        return
    stored = ExternalRecord.objects.filter(source=context.source, kind=CatalogItemMapper.kind, last_seen_at=context.now)
    items = Product.objects.filter(
        external_source=EXTERNAL_SOURCE,
        external_id__in=Subquery(stored.values("external_id")),
        product_class="Inventory",
    ).order_by("external_id")[:limit]
    for item in items:
        try:
            on_hand = max(0, min(context.client.quantity_on_hand(int(item.external_id)), MAX_ON_HAND))
        except NotFoundError:
            context.error(item.external_id, "Its stock was not found (quantityOnHand answered 404).")
            continue
        except IntegrationError as exc:
            context.error(item.external_id, f"Stock not read: {exc.message}; the rest waits for the next run.")
            return
        if on_hand != item.on_hand:
            Product.objects.filter(pk=item.pk).update(on_hand=on_hand, updated_at=context.now)
            context.writes += 1
