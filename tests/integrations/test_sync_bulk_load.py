"""What a sync job changes on its database connection while it runs (and restores), and the run-wide look-ups."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from integrations import bulk
from integrations.mirror import linked_uuids
from integrations.models import ExternalRecord
from integrations.sync import run_job

pytestmark = pytest.mark.django_db


def connection_settings() -> tuple:
    """What the sync's bulk load changes, read from the driver (not through Django, which the spy wraps)."""
    raw = connection.connection
    if connection.vendor == "sqlite":
        return tuple(raw.execute(f"PRAGMA {name}").fetchone()[0] for name in ("wal_autocheckpoint", "cache_size"))
    with raw.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return (cursor.fetchone()[0],)


def settings_while_writing(source, cw) -> tuple:
    """The connection's settings when the companies job writes its first client."""
    seen = []

    def spy(execute, sql, params, many, context):
        if not seen and "clients_client" in sql and sql.lstrip().upper().startswith(("INSERT", "COPY")):
            seen.append(connection_settings())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        run = run_job(source, "connectwise.companies", client=cw)
    assert run.status == "succeeded" and run.created == 6
    return seen[0]


def test_a_job_writes_with_the_bulk_load_settings_and_restores_them(source, cw, settings):
    settings.INTEGRATIONS_SQLITE_CHECKPOINT_PAGES, settings.INTEGRATIONS_SQLITE_CACHE_MB = 5000, 32
    settings.INTEGRATIONS_ASYNC_COMMIT = True
    connection.ensure_connection()
    before = connection_settings()
    during = settings_while_writing(source, cw)
    assert during == ((5000, -32 * 1024) if connection.vendor == "sqlite" else ("off",))
    assert during != before
    assert connection_settings() == before
    assert Client.objects.filter(cw_company_id__isnull=False).count() == 6


def test_the_bulk_load_settings_can_be_turned_off(source, cw, settings):
    settings.INTEGRATIONS_SQLITE_CHECKPOINT_PAGES, settings.INTEGRATIONS_SQLITE_CACHE_MB = 0, 0
    settings.INTEGRATIONS_ASYNC_COMMIT = False
    connection.ensure_connection()
    before = connection_settings()
    assert settings_while_writing(source, cw) == before
    assert connection_settings() == before


def test_inserting_rows_needs_every_column():
    with pytest.raises(ValueError, match="needs each of"):
        bulk.insert_rows(ExternalRecord, ("external_id", "payload_hash"), [("1", "x")], {"kind": "company"})
    assert not ExternalRecord.objects.exists()


def test_links_found_are_looked_up_once_per_run_and_missing_ones_again(source, cw):
    run_job(source, "connectwise.companies", client=cw)
    context = SimpleNamespace(source=source, linked={})
    first = linked_uuids(context, "company", [101, 102])
    assert set(first) >= {"101", "102"}
    assert first["101"] == Client.objects.get(cw_company_id=101).pk
    with CaptureQueriesContext(connection) as known:
        assert linked_uuids(context, "company", [101, "102"])["102"] == Client.objects.get(cw_company_id=102).pk
    assert len(known) == 1  # the Client read above; the links themselves come from the run's memory
    for _ in range(2):
        with CaptureQueriesContext(connection) as missing:
            assert "999" not in linked_uuids(context, "company", [101, 999])
        assert len(missing) == 1  # a record not synced yet is asked for again: it may be by the next batch


def test_bulk_inserts_store_what_saving_each_row_stores():
    """UUIDs, JSON (as given and as already serialized text), dates and IP addresses reach the columns as Django's
    own save writes them: on PostgreSQL by COPY, which reads them as text."""
    from datetime import date

    from assets.models import Asset, AssetInterface
    from tests.factories import make_client

    client = make_client()
    columns = ("id", "client_id", "name", "serial", "purchase_date", "tags")
    saved = Asset.objects.create(client=client, name="Saved", serial="S1", purchase_date=date(2024, 2, 29), tags=["a"])
    copied = Asset(
        client=client, name="Copied", serial="S2", purchase_date=date(2024, 2, 29), tags=bulk.JSONText('["a"]')
    )
    assert bulk.insert(Asset, [copied]) == 1
    rows = {row[2]: row for row in Asset.objects.filter(client=client).values_list(*columns)}
    assert rows["Copied"][1:] == (client.pk, "Copied", "S2", date(2024, 2, 29), ["a"])
    assert rows["Saved"][1:] == (client.pk, "Saved", "S1", date(2024, 2, 29), ["a"])
    assert rows["Copied"][0] == copied.pk
    addresses = [("10.1.2.3", None), ("", "2001:DB8::0:1"), ("", "::ffff:10.0.0.1")]
    for ipv4, ipv6 in addresses:
        AssetInterface.objects.create(asset=saved, name="saved", ipv4=ipv4 or None, ipv6=ipv6)
    bulk.insert(AssetInterface, [AssetInterface(asset=copied, name="copied", ipv4=ipv4, ipv6=ipv6)
                                 for ipv4, ipv6 in addresses])  # fmt: skip
    stored = lambda asset: sorted(  # noqa: E731
        AssetInterface.objects.filter(asset=asset).values_list("ipv4", "ipv6"), key=str
    )
    assert stored(copied) == stored(saved) == sorted([("10.1.2.3", None), (None, "2001:db8::1"),
                                                      (None, "::ffff:10.0.0.1")], key=str)  # fmt: skip
