"""The procurement catalog's writes, shared by the API and the technician UI: live stock refresh and item links.

Each is audited in the transaction that writes it. Callers check permissions and client scope first.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from catalog.models import Product, ProductLink
from integrations.connectwise.live_calls import connectwise
from integrations.connectwise.procurement import MAX_ON_HAND
from integrations.models import ExternalRecord
from psa import audit
from psa.api.exceptions import Conflict


def refresh_on_hand(request, item: Product) -> Product:
    """Ask ConnectWise for the item's on-hand count now and store it (409 for a local item, 502/503 if CW fails)."""
    record = (
        ExternalRecord.objects.filter(kind="catalog_item", object_id=str(item.pk), deleted_at__isnull=True)
        .select_related("source")
        .order_by("-last_seen_at")
        .first()
    )
    if record is None or not item.external_id:
        raise Conflict("This item is not from ConnectWise; its stock is kept here (PATCH /products/{id}).")
    with connectwise(record.source, "The catalog item") as api:
        on_hand = max(0, min(api.quantity_on_hand(int(record.external_id)), MAX_ON_HAND))
    with transaction.atomic():
        before = Product.objects.select_for_update().values_list("on_hand", flat=True).get(pk=item.pk)
        Product.objects.filter(pk=item.pk).update(on_hand=on_hand)
        if before != on_hand:
            audit.record(request, "update", item, changes={"on_hand": {"old": before, "new": on_hand}})
    item.refresh_from_db()
    return item


def _between(item: Product, target: Product):
    return ProductLink.objects.filter(Q(source=item, target=target) | Q(source=target, target=item))


def link(request, item: Product, target: Product, kind: str = ProductLink.Kind.RELATED) -> None:
    """Link two items (once, whichever way round they were linked before)."""
    with transaction.atomic():
        if not _between(item, target).exists():
            created = ProductLink.objects.create(source=item, target=target, kind=kind)
            audit.record(request, "create", created, changes={"target": {"old": None, "new": str(target.pk)}})


def unlink(request, item: Product, target: Product) -> None:
    with transaction.atomic():
        for existing in _between(item, target):
            audit.record(request, "delete", existing, changes={"target": {"old": str(existing.target_id), "new": None}})
            existing.delete()
