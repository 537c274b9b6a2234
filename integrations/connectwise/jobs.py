"""The ConnectWise sync jobs: incremental pulls by ``lastUpdated`` (with an overlap) and the id-only deletion scan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.connectwise import conditions as cw
from integrations.connectwise.mappers import (
    CompanyMapper,
    ConfigurationMapper,
    ContactMapper,
    MemberMapper,
    SiteMapper,
)
from integrations.connectwise.procurement import CatalogItemMapper, refresh_stock
from integrations.connectwise.sales import OpportunityMapper, OpportunityStatusMapper
from integrations.mirror import Mapper, apply_batch, mark_missing
from integrations.models import ExternalRecord

BATCH = 1000

COLLECTIONS: dict[str, tuple[str, type[Mapper]]] = {
    "companies": ("company/companies", CompanyMapper),
    "contacts": ("company/contacts", ContactMapper),
    "configurations": ("company/configurations", ConfigurationMapper),
    "members": ("system/members", MemberMapper),
    "catalog": ("procurement/catalog", CatalogItemMapper),
    "opportunity_statuses": ("sales/opportunities/statuses", OpportunityStatusMapper),
    "opportunities": ("sales/opportunities", OpportunityMapper),
}
DELETION_SCANNED = ("companies", "contacts", "configurations", "members", "catalog", "opportunities")


def _updated(record: dict) -> datetime | None:
    info = record.get("_info")
    value = info.get("lastUpdated") if isinstance(info, dict) else None
    try:
        return cw.parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _apply(context, mapper: type[Mapper], records: list[dict]) -> None:
    batch = []
    for record in records:
        external_id = record.get("id")
        if not isinstance(external_id, int):
            context.error(repr(external_id)[:64], "The record has no integer id.")
            continue
        context.saw(_updated(record))
        batch.append((external_id, record))
    apply_batch(context, mapper, batch)


def _pull(context, collection: str) -> None:
    path, mapper = COLLECTIONS[collection]
    since = context.client.updated_since(context.since())
    for page in context.client.iter_pages(path, conditions=since):
        _apply(context, mapper, page)


def sync_companies(context) -> None:
    _pull(context, "companies")


def sync_contacts(context) -> None:
    _pull(context, "contacts")


def sync_configurations(context) -> None:
    _pull(context, "configurations")


def sync_members(context) -> None:
    _pull(context, "members")


def sync_catalog(context) -> None:
    """The procurement catalog into the catalog's products, then the stock of the inventory items it stored."""
    _pull(context, "catalog")
    refresh_stock(context)


def sync_opportunities(context) -> None:
    """The quote statuses (few, always read whole), then the opportunities changed since the cursor."""
    path, mapper = COLLECTIONS["opportunity_statuses"]
    for page in context.client.iter_pages(path):
        _apply(context, mapper, page)
    _pull(context, "opportunities")


def _company_ids(context) -> list[int]:
    rows = ExternalRecord.objects.filter(source=context.source, kind="company", deleted_at__isnull=True)
    return sorted(int(e) for e in rows.values_list("external_id", flat=True) if e.isdigit())


def _site_records(context) -> Iterator[dict]:
    since = context.client.updated_since(context.since())
    for company in _company_ids(context):
        yield from context.client.iter_records(f"company/companies/{company}/sites", conditions=since)


def sync_sites(context) -> None:
    """Sites live under their company, so this walks the synced companies and batches across them."""
    buffer: list[dict] = []
    for record in _site_records(context):
        buffer.append(record)
        if len(buffer) >= BATCH:
            _apply(context, SiteMapper, buffer)
            buffer = []
    if buffer:
        _apply(context, SiteMapper, buffer)


def scan_deletions(context) -> None:
    """Every id upstream, forward-only with ``fields=id``; mirrored records no longer there are marked deleted."""
    for collection in DELETION_SCANNED:
        path, mapper = COLLECTIONS[collection]
        seen = {str(i) for i in context.client.iter_ids(path)}
        mark_missing(context, mapper, seen)
    sites: set[str] = set()
    for company in _company_ids(context):
        sites.update(str(i) for i in context.client.iter_ids(f"company/companies/{company}/sites"))
    mark_missing(context, SiteMapper, sites)
    context.progress()
