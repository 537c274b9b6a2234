"""The Hudu sync jobs: incremental pulls by ``updated_at`` (with the engine's overlap window), 25 records a page.

Asset passwords are split before they reach the engine: the secret values go to the mapper through
``context.hudu_secrets`` (one batch at a time) and the payload copy keeps only a keyed fingerprint of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from integrations.hudu.client import HuduClient, PasswordAccessDenied, hudu_time
from integrations.hudu.credential_types import ensure_password_type
from integrations.hudu.mappers import (
    AssetMapper,
    CompanyMapper,
    LayoutMapper,
    PasswordMapper,
    WebsiteMapper,
    layout_field_types,
    split_secrets,
    withhold_secret_fields,
)
from integrations.hudu.models import HuduConnection
from integrations.mirror import Mapper, apply_batch, mark_missing

BATCH = 1000  # records per engine batch (40 Hudu pages)


def _pull(
    context,
    collection: str,
    mapper: type[Mapper],
    *,
    incremental: bool = True,
    transform: Callable[[dict], dict] | None = None,
) -> None:
    client: HuduClient = context.client
    since = context.since() if incremental else None
    buffer: list[tuple[int, dict]] = []
    for page in client.iter_pages(collection, updated_since=since):
        for record in page:
            external_id = record.get("id")
            if isinstance(external_id, bool) or not isinstance(external_id, int):
                context.error(repr(external_id)[:64], "The record has no integer id.")
                continue
            updated: datetime | None = hudu_time(record.get("updated_at"))
            context.saw(updated)
            buffer.append((external_id, transform(record) if transform else record))
        if len(buffer) >= BATCH:
            _flush(context, mapper, buffer)
            buffer = []
    if buffer:
        _flush(context, mapper, buffer)


def _flush(context, mapper: type[Mapper], batch: list[tuple[int, dict]]) -> None:
    apply_batch(context, mapper, batch)
    secrets = getattr(context, "hudu_secrets", None)
    if secrets is not None:
        secrets.clear()  # plaintext lives only as long as its batch


def _connected(context) -> None:
    connection, _ = HuduConnection.objects.get_or_create(source=context.source)
    if connection.connected_at is None:
        connection.connected_at = timezone.now()
        connection.save(update_fields=["connected_at"])


def sync_companies(context) -> None:
    _pull(context, "companies", CompanyMapper)
    _connected(context)


def sync_layouts(context) -> None:
    """Layouts are few and change rarely: read whole each time (their hashes make it write nothing)."""
    _pull(context, "asset_layouts", LayoutMapper, incremental=False)


def sync_websites(context) -> None:
    _pull(context, "websites", WebsiteMapper)


def sync_assets(context) -> None:
    context.layouts = layout_field_types(context.source)

    def strip(record: dict) -> dict:
        layout = context.layouts.get(record.get("asset_layout_id")) or {}
        return withhold_secret_fields(record, layout.get("types", {}))

    _pull(context, "assets", AssetMapper, transform=strip)


def sync_passwords(context) -> None:
    """Asset passwords into the vault. A key without password access is recorded (the status route shows it) and
    the run succeeds with nothing to do: it is a capability of the key, not a failure."""
    ensure_password_type()
    connection, _ = HuduConnection.objects.get_or_create(source=context.source)
    secrets: dict[str, dict] = {}
    context.hudu_secrets = secrets

    def split(record: dict) -> dict:
        payload, values = split_secrets(record)
        secrets[str(record.get("id"))] = values
        return payload

    access = True
    try:
        _pull(context, "asset_passwords", PasswordMapper, transform=split)
    except PasswordAccessDenied:
        access = False
    finally:
        secrets.clear()
    if connection.password_access is not access:  # an unchanged re-sync writes nothing, this row included
        connection.password_access = access
        connection.save(update_fields=["password_access"])


# What the deletion scan reconciles: Hudu's default lists leave archived records out, so a record archived there
# drops out of the scan exactly as a deleted one does.
DELETION_SCANNED = (
    ("companies", CompanyMapper),
    ("assets", AssetMapper),
    ("websites", WebsiteMapper),
    ("asset_passwords", PasswordMapper),
)


def scan_deletions(context) -> None:
    """Every live id in Hudu (Hudu has no id-only lists: whole pages, of which only the ids are kept); mirrored
    records no longer there are marked deleted and their local rows archived (see each mapper's ``on_deleted``).
    A key without password access cannot see which passwords are gone, so their scan is skipped."""
    for collection, mapper in DELETION_SCANNED:
        try:
            seen = {str(row.get("id")) for page in context.client.iter_pages(collection) for row in page}
        except PasswordAccessDenied:
            continue
        mark_missing(context, mapper, seen)
    context.progress()
