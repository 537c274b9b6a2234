"""The ConnectWise sync jobs: incremental pulls by ``lastUpdated`` (with an overlap) and the id-only deletion scan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

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
from integrations.http import in_order, read_ahead
from integrations.mirror import Hashed, Mapper, apply_batch, hashed, mark_missing
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


def _stamp(record: dict) -> str | None:
    info = record.get("_info")
    value = info.get("lastUpdated") if isinstance(info, dict) else None
    return value if isinstance(value, str) else None


def _newest(stamps: list[str]) -> datetime | None:
    """The latest valid ``lastUpdated`` of a page. Every valid one has the same fixed-width format, so text order is
    time order: parse from the greatest down until one parses, rather than each of a thousand."""
    for value in sorted(set(stamps), reverse=True):
        try:
            return cw.parse_time(value)
        except ValueError:
            continue
    return None


@dataclass
class _Page:
    """A page read and hashed, ready for the job's thread: the records without an integer id (one error each), the
    newest ``lastUpdated`` and the others, hashed."""

    without_id: list[str]
    newest: datetime | None
    batch: Hashed


def _page(records: list[dict]) -> _Page:
    """Touches no database and no run (it runs in the read-ahead thread)."""
    batch, stamps, without_id = [], [], []
    for record in records:
        external_id = record.get("id")
        if not isinstance(external_id, int):
            without_id.append(repr(external_id)[:64])
            continue
        stamp = _stamp(record)
        if stamp is not None:
            stamps.append(stamp)
        batch.append((external_id, record))
    return _Page(without_id, _newest(stamps), hashed(batch))


def _apply(context, mapper: type[Mapper], records: list[dict] | _Page) -> None:
    page = records if isinstance(records, _Page) else _page(records)
    for external_id in page.without_id:
        context.error(external_id, "The record has no integer id.")
    context.saw(page.newest)
    apply_batch(context, mapper, page.batch)


def _pull(context, collection: str) -> None:
    """The pages are hashed by the thread that reads them: while the job's thread is in the database (which lets
    other threads run), the next page's canonical JSON and hashes are worked out."""
    path, mapper = COLLECTIONS[collection]
    since = context.client.updated_since(context.since())
    pages = (_page(page) for page in context.client.iter_pages(path, conditions=since))
    for page in read_ahead(pages, settings.INTEGRATIONS_READ_AHEAD):
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


def _site_pages(client, companies: list[int], since: str) -> Iterator[list[dict]]:
    """Each company's site pages, in the companies' order, ``PSA_INTEGRATIONS_PARALLEL_REQUESTS`` companies at once:
    a request per company, one at a time, was most of the job's wall time (a few sites each, 2,000 round trips)."""

    def sites_of(company: int) -> list[list[dict]]:
        return list(client.iter_pages(f"company/companies/{company}/sites", conditions=since))

    for pages in in_order(sites_of, companies, settings.INTEGRATIONS_PARALLEL_REQUESTS):
        yield from pages


def sync_sites(context) -> None:
    """Sites live under their company, so this walks the synced companies and batches across them."""
    since = context.client.updated_since(context.since())
    pages = _site_pages(context.client, _company_ids(context), since)  # the ids are read here, not in the thread
    buffer: list[dict] = []
    for record in (record for page in read_ahead(pages, settings.INTEGRATIONS_READ_AHEAD) for record in page):
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
