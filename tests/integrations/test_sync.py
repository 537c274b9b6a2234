"""Sync jobs against the simulator: first sync, idempotent re-sync, incremental changes, faults, deletions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from assets.models import Asset, AssetInterface
from clients.models import Client, Contact, Location
from integrations import locks
from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.models import ExternalRecord, SyncRun
from integrations.sync import run_job, run_jobs
from psa import search
from psa.models import SearchEntry
from psa.search import index as search_index
from tests.factories import api_for, make_client, make_user
from tests.integrations.conftest import make_cw_client

pytestmark = pytest.mark.django_db

JOBS = ["connectwise.companies", "connectwise.sites", "connectwise.contacts", "connectwise.configurations",
        "connectwise.members"]  # fmt: skip
BOOKKEEPING = ("integrations_syncrun", "integrations_synclock")


def sync_all(source, client, jobs=JOBS) -> dict[str, SyncRun]:
    return {job: run_job(source, job, client=client) for job in jobs}


def writes(queries) -> list[str]:
    """Data-changing statements other than the run's own bookkeeping."""
    return [
        q["sql"] for q in queries
        if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY")
        and not any(t in q["sql"] for t in BOOKKEEPING)
    ]  # fmt: skip


def test_first_sync_creates_clients_contacts_locations_assets(source, sim, cw):
    runs = sync_all(source, cw)
    assert {job: run.status for job, run in runs.items()} == dict.fromkeys(JOBS, "succeeded")
    assert runs["connectwise.companies"].created == 6 and runs["connectwise.contacts"].created == 12
    linked = Client.objects.exclude(cw_company_id=None)
    assert linked.count() == 6
    company = sim.data["companies"][101]
    client = Client.objects.get(cw_company_id=101)
    assert (client.name, client.cw_identifier, client.website) == (
        company["name"],
        "CW00001",
        "https://www.company1.example.com",
    )
    assert Contact.objects.filter(client__cw_company_id__isnull=False).count() == 12
    assert Location.objects.filter(client=client, name="Main Office").exists()
    assert Asset.objects.count() == 10
    asset = Asset.objects.get(serial="SN00000001")
    assert asset.client.cw_company_id == 101 and asset.interfaces.get().mac == "02:00:00:00:00:01"
    assert asset.location is not None and asset.location.client_id == asset.client_id
    record = ExternalRecord.objects.get(source=source, kind="company", external_id="101")
    assert record.payload == company and record.local_object == client
    run = runs["connectwise.companies"]
    assert run.cursor_after == "2026-01-01T00:00:06+00:00" and run.finished_at >= run.started_at
    assert run.duration_ms is not None


def test_a_second_sync_with_nothing_changed_writes_nothing(source, cw):
    sync_all(source, cw)
    with CaptureQueriesContext(connection) as captured:
        runs = sync_all(source, cw)
    assert writes(captured.captured_queries) == []
    assert all(run.created == run.updated == 0 for run in runs.values())


def test_incremental_pull_uses_the_cursor_with_an_overlap(source, sim, cw, settings):
    settings.INTEGRATIONS_CURSOR_OVERLAP = 300
    run_job(source, "connectwise.companies", client=cw)
    sim.clock = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    sim.touch("companies", 102, name="Renamed Co", phoneNumber="+1 555 0000")
    run = run_job(source, "connectwise.companies", client=cw)
    assert (run.updated, run.unchanged, run.created) == (1, 5, 0)  # the overlap re-reads the others
    assert sim.log("company/companies")[-1].query["conditions"] == "lastUpdated>[2025-12-31T23:55:06Z]"
    assert run.cursor_before == "2026-01-01T00:00:06+00:00" and run.cursor_after == "2026-03-01T00:00:00+00:00"
    client = Client.objects.get(cw_company_id=102)
    assert (client.name, client.phone) == ("Renamed Co", "+1 555 0000")
    again = run_job(source, "connectwise.companies", client=cw)
    assert again.unchanged == 1 and again.updated == 0  # the overlap re-reads it; its hash is the same


def test_local_only_fields_survive_a_sync(source, sim, cw):
    run_job(source, "connectwise.companies", client=cw)
    client = Client.objects.get(cw_company_id=101)
    client.notes, client.hourly_rate = "Local note", 150
    client.save()
    sim.touch("companies", 101, name="New name")
    run_job(source, "connectwise.companies", client=cw)
    client.refresh_from_db()
    assert (client.name, client.notes, client.hourly_rate) == ("New name", "Local note", 150)


def test_existing_client_is_linked_by_identifier(source, sim, cw):
    local = make_client("Our own record of company 1", identifier="cw00001")
    run_job(source, "connectwise.companies", client=cw)
    local.refresh_from_db()
    assert local.cw_company_id == 101 and local.name == sim.data["companies"][101]["name"]
    assert Client.objects.filter(cw_company_id__isnull=False).count() == 6


def test_malformed_records_make_a_partial_run_and_the_rest_is_stored(source):
    sim = ConnectWiseSimulator(
        Size(companies=20, contacts=30, sites=20, configurations=30, members=2), malformed_every=10
    )
    client = make_cw_client(sim)
    runs = sync_all(source, client)
    companies = runs["connectwise.companies"]
    assert companies.status == "partial" and companies.failed == 2 and companies.created == 18
    assert {e["external_id"] for e in companies.errors} == {"110", "120"}
    assert "'name' is missing" in companies.errors[0]["message"]
    assert runs["connectwise.contacts"].status == "partial" and runs["connectwise.contacts"].created == 27
    assert runs["connectwise.configurations"].failed == 3 and Asset.objects.count() == 27
    assert runs["connectwise.sites"].failed == 2
    assert runs["connectwise.members"].status == "succeeded"


def test_429_and_500_on_pages_give_the_same_result(source, sim, sleeps):
    client = make_cw_client(sim, sleeps)
    sim.fault_rate, sim.fault_statuses = 0.3, (429, 500, 502, 503)
    runs = sync_all(source, client)
    assert all(run.status == "succeeded" for run in runs.values()), [(r.job, r.message) for r in runs.values()]
    assert Client.objects.exclude(cw_company_id=None).count() == 6 and Asset.objects.count() == 10
    assert sleeps, "no fault was injected"


def test_a_500_that_persists_fails_the_run_and_keeps_the_cursor(source, sim, cw):
    run_job(source, "connectwise.companies", client=cw)
    sim.fail_next(500, times=20, match="companies")
    run = run_job(source, "connectwise.companies", client=cw)
    assert run.status == "failed" and "UpstreamError" in run.message and run.cursor_after == ""
    next_run = run_job(source, "connectwise.companies", client=cw)
    assert next_run.cursor_before == "2026-01-01T00:00:06+00:00"


def test_expired_credentials_fail_the_run_with_a_message(source, sim, cw):
    sim.expire_credentials()
    run = run_job(source, "connectwise.companies", client=cw)
    assert run.status == "failed" and run.message.startswith("AuthenticationError")
    assert "demo-private" not in run.message


def test_a_malformed_page_fails_the_run(source, sim, cw):
    sim.fail_next(200, malformed=True, match="companies")
    run = run_job(source, "connectwise.companies", client=cw)
    assert run.status == "failed" and "MalformedResponseError" in run.message


def test_children_of_unsynced_companies_are_errors(source, cw):
    run = run_job(source, "connectwise.contacts", client=cw)
    assert run.status == "partial" and run.failed == 12 and run.created == 0
    assert "has not been synced" in run.errors[0]["message"]


def test_errors_are_bounded(source, cw, settings):
    settings.INTEGRATIONS_MAX_RUN_ERRORS = 5
    run = run_job(source, "connectwise.contacts", client=cw)
    assert run.failed == 12 and len(run.errors) == 5


def test_deletion_scan_marks_records_and_archives_without_deleting(source, sim, cw):
    sync_all(source, cw)
    asset = Asset.objects.get(serial="SN00000002")
    contact_id = next(iter(sim.data["contacts"]))
    sim.remove("companies", 106)
    sim.remove("contacts", contact_id)
    sim.remove("configurations", 100002)
    run = run_job(source, "connectwise.deletions", client=cw)
    assert run.status == "succeeded" and run.deleted == 4  # the company, its site, a contact, a configuration
    client = Client.objects.get(cw_company_id=106)
    assert client.archived_at is not None  # archived, never deleted: it may carry tickets and credentials
    assert ExternalRecord.objects.get(source=source, kind="company", external_id="106").deleted_at is not None
    contact = Contact.objects.get(pk=ExternalRecord.objects.get(kind="contact", external_id=str(contact_id)).object_id)
    assert contact.is_active is False
    asset.refresh_from_db()
    assert asset.archived_at is not None
    assert run_job(source, "connectwise.deletions", client=cw).deleted == 0


def test_configurations_match_existing_assets_by_serial_then_mac(source, cw):
    run_job(source, "connectwise.companies", client=cw)
    client = Client.objects.get(cw_company_id=101)
    by_serial = Asset.objects.create(client=client, name="Alice's laptop", serial="sn00000001", notes="local")
    other_client = Client.objects.get(cw_company_id=102)
    by_mac = Asset.objects.create(client=other_client, name="Found by MAC")
    AssetInterface.objects.create(asset=by_mac, name="eth0", mac="02:00:00:00:00:02", is_primary=True)
    run_job(source, "connectwise.sites", client=cw)
    run_job(source, "connectwise.configurations", client=cw)
    by_serial.refresh_from_db()
    assert by_serial.name.startswith("CW00001") and by_serial.notes == "local" and by_serial.serial == "SN00000001"
    assert by_mac.interfaces.count() == 1  # the existing interface took the MAC; none duplicated
    by_mac.refresh_from_db()
    assert by_mac.serial == "SN00000002"
    assert Asset.objects.count() == 10


def test_a_mac_or_serial_of_another_clients_asset_matches_nothing(source, cw):
    run_job(source, "connectwise.companies", client=cw)
    elsewhere = Asset.objects.create(client=Client.objects.get(cw_company_id=103), name="Not it", serial="SN00000001")
    AssetInterface.objects.create(asset=elsewhere, name="eth0", mac="02:00:00:00:00:02", is_primary=True)
    run_job(source, "connectwise.sites", client=cw)
    run_job(source, "connectwise.configurations", client=cw)
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Not it" and elsewhere.interfaces.get().name == "eth0"
    assert Asset.objects.count() == 11 and Asset.objects.filter(serial="SN00000001").count() == 2


def test_synced_rows_are_searchable_and_an_assets_mac_with_them(source, sim, cw):
    sync_all(source, cw)
    asset = Asset.objects.get(serial="SN00000001")
    entry = SearchEntry.objects.get(kind="asset", object_id=asset.pk)
    assert entry.title == asset.name and " 020000000001 " in entry.identifiers and " sn00000001 " in entry.identifiers
    assert SearchEntry.objects.filter(kind="contact").count() == Contact.objects.count() == 12
    assert (
        SearchEntry.objects.filter(kind="client", object_id__in=Client.objects.exclude(cw_company_id=None)).count() == 6
    )
    sim.clock = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    sim.touch("configurations", 100001, macAddress="02:00:00:00:00:99", name="Renamed")
    run_job(source, "connectwise.configurations", client=cw)
    entry.refresh_from_db()
    assert entry.title == "Renamed" and " 020000000099 " in entry.identifiers
    assert " 020000000001 " not in entry.identifiers


def test_members_link_users_and_never_create_logins(source, sim, cw):
    member = next(iter(sim.data["members"].values()))
    by_email = make_user([])
    by_email.email = member["officeEmail"].upper()
    by_email.save()
    users = User.objects.count()
    run = run_job(source, "connectwise.members", client=cw)
    assert run.status == "succeeded" and User.objects.count() == users
    by_email.refresh_from_db()
    assert by_email.cw_identifier == member["identifier"]
    assert ExternalRecord.objects.filter(kind="member", object_id="").count() == 2  # mirrored, not linked


def test_one_run_per_source_and_job(source, cw):
    assert locks.acquire(source.pk, "connectwise.companies", "another worker")
    assert run_job(source, "connectwise.companies", client=cw) is None
    assert not SyncRun.objects.filter(job="connectwise.companies").exists()
    assert run_job(source, "connectwise.contacts", client=cw) is not None  # other jobs are not blocked
    summary = run_jobs(source, ["connectwise.companies"], client=cw)
    assert summary == [{"job": "connectwise.companies", "skipped": "another run of this job is in progress"}]


def test_synced_fields_are_read_only_through_the_api(source, cw):
    run_job(source, "connectwise.companies", client=cw)
    client = Client.objects.get(cw_company_id=101)
    api, *_ = api_for(["client.update", "client.read", "obj.*"])
    response = api.patch(f"/api/v1/clients/{client.pk}", {"name": "Changed here"}, format="json")
    assert response.status_code == 400
    detail = response.json()["error"]["details"][0]
    assert detail["path"] == ["name"] and "ConnectWise" in detail["message"]
    assert (
        api.patch(f"/api/v1/clients/{client.pk}", {"notes": "local", "name": client.name}, format="json").status_code
        == 200
    )
    local = make_client("Local only")
    assert api.patch(f"/api/v1/clients/{local.pk}", {"name": "Fine"}, format="json").status_code == 200


def test_synced_contact_fields_are_read_only(source, cw):
    run_job(source, "connectwise.companies", client=cw)
    run_job(source, "connectwise.contacts", client=cw)
    contact = Contact.objects.exclude(client__cw_company_id=None).first()
    api, *_ = api_for(["contact.update", "contact.read", "obj.*"])
    response = api.patch(f"/api/v1/contacts/{contact.pk}", {"email": "x@example.com", "notes": "ok"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["email"]
    assert api.patch(f"/api/v1/contacts/{contact.pk}", {"notes": "ok"}, format="json").status_code == 200


def test_a_run_that_loses_its_lock_stops(source, cw, settings):
    from integrations.models import SyncLock

    settings.INTEGRATIONS_LOCK_TTL = 900
    original = locks.refresh

    def stolen(source_id, job, holder):
        SyncLock.objects.filter(source_id=source_id, job=job).update(holder="someone else")
        return original(source_id, job, holder)

    locks.refresh = stolen
    try:
        run = run_job(source, "connectwise.companies", client=cw)
    finally:
        locks.refresh = original
    assert run.status == "failed" and "lost its lock" in run.message


def test_abandoned_running_runs_are_closed(source, settings):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.sync import close_abandoned_runs

    old = timezone.now() - timedelta(seconds=settings.INTEGRATIONS_LOCK_TTL + 60)
    dead = SyncRun.objects.create(source=source, job="connectwise.companies", started_at=old)
    assert locks.acquire(source.pk, "connectwise.contacts", "alive")
    alive = SyncRun.objects.create(source=source, job="connectwise.contacts", started_at=old)
    assert close_abandoned_runs() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and "worker stopped" in dead.message and alive.status == "running"


INDEXED_BY_SYNC = (Client, Contact, Location, Asset)
ENTRY_COLUMNS = ("kind", "object_id", "client_id", "is_active", "title", "identifiers", "words_a", "words_b",
                 "words_c", "words_d", "texts")  # fmt: skip


def entries() -> dict:
    """Every entry of the kinds a sync writes, by (kind, object id), as a search reads it (the tsvector too)."""
    kinds = [search.for_model(model).kind for model in INDEXED_BY_SYNC]
    found = {}
    for row in SearchEntry.objects.filter(kind__in=kinds).values_list(*ENTRY_COLUMNS):
        found[row[:2]] = row
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT kind, object_id, document::text FROM psa_searchentry WHERE kind = ANY(%s)", [kinds])
            for kind, object_id, document in cursor.fetchall():
                found[(kind, object_id)] += (document,)
    return found


def test_a_sync_indexes_every_row_as_saving_it_one_by_one_would(source, sim, cw):
    """The sync writes each batch's entries in one statement, from objects it never re-reads: the index it leaves is
    the one saving every row by itself (the per-row signal path) gives, and each row is found by what names it."""
    sync_all(source, cw)
    synced = entries()
    assert len(synced) == sum(model.objects.count() for model in INDEXED_BY_SYNC) > 30
    SearchEntry.objects.filter(kind__in=[kind for kind, _ in synced]).delete()
    for model in INDEXED_BY_SYNC:
        for obj in model.objects.order_by("created_at", "id"):
            obj.save()  # post_save: the entry written alone, from the row as saved
    assert entries() == synced
    api, *_ = api_for(["*"])
    found = lambda query: {  # noqa: E731
        group["type"]: {r["id"] for r in group["results"]}
        for group in api.get("/api/v1/search", {"q": query, "limit": 50}).json()["data"]
    }
    for client in Client.objects.exclude(cw_company_id=None):
        assert str(client.pk) in found(f'"{client.name}"')["client"], client.name
    for contact in Contact.objects.filter(client__cw_company_id__isnull=False):
        assert str(contact.pk) in found(f'"{contact.name}"')["contact"], contact.name
    for asset in Asset.objects.prefetch_related("interfaces"):
        (interface,) = asset.interfaces.all()
        for query in (f'"{asset.name}"', asset.serial, interface.mac, interface.mac.replace(":", "-").upper()):
            assert str(asset.pk) in found(query)["asset"], query


@pytest.mark.parametrize(("chunk", "size", "statements"), [(3, 1 << 20, 4), (1000, 1, 10)])
def test_entries_written_in_several_statements_keep_their_order(source, cw, monkeypatch, chunk, size, statements):
    """A batch too long (entries) or too large (bytes) for one statement is split; the entries keep the objects'
    order, and a duplicate is written once, at its first place."""
    sync_all(source, cw)
    synced = entries()
    assets = list(Asset.objects.prefetch_related("interfaces").order_by("created_at", "id"))
    SearchEntry.objects.filter(kind="asset").delete()
    monkeypatch.setattr(search_index, "WRITE_CHUNK", chunk)
    monkeypatch.setattr(search_index, "WRITE_BYTES", size)
    with CaptureQueriesContext(connection) as captured:
        assert search_index.write(search.for_model(Asset), [*assets, assets[0]]) == len(assets)
    # 10 entries: by 3, 3 + 3 + 3 + 1; by 1 byte, one each (an entry larger than the bound still goes, alone)
    assert len([q for q in captured if "psa_searchentry" in q["sql"]]) == statements
    written = SearchEntry.objects.filter(kind="asset").order_by("id").values_list("object_id", flat=True)
    assert list(written) == [asset.pk for asset in assets]
    assert entries() == synced


def test_entries_written_as_new_are_the_entries_an_upsert_writes(source, cw):
    """Objects without an entry (a sync's created rows) are written as new (PostgreSQL: one COPY) with the same
    columns, tsvector and order as the upsert gives; an object given twice is written once, at its first place."""
    sync_all(source, cw)
    synced = entries()
    assets = list(Asset.objects.prefetch_related("interfaces").order_by("created_at", "id"))
    SearchEntry.objects.filter(kind="asset").delete()
    with CaptureQueriesContext(connection) as captured:
        assert search_index.write(search.for_model(Asset), [*assets, assets[0]], new=True) == len(assets)
    statements = [q["sql"] for q in captured if "psa_searchentry" in q["sql"]]
    assert len(statements) == 1
    assert statements[0].startswith("COPY") == (connection.vendor == "postgresql")
    written = SearchEntry.objects.filter(kind="asset").order_by("id").values_list("object_id", flat=True)
    assert list(written) == [asset.pk for asset in assets]
    assert entries() == synced


def test_re_indexing_an_unchanged_entry_writes_nothing(source, cw):
    """Neither a new row version nor index maintenance for an entry whose content is the same (a re-sync of a
    record whose searchable fields did not change); a changed one is written in place, keeping its order."""
    sync_all(source, cw)
    asset = Asset.objects.prefetch_related("interfaces").get(serial="SN00000001")
    searchable = search.for_model(Asset)
    entry = SearchEntry.objects.get(kind="asset", object_id=asset.pk)

    def rows_changed() -> int:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT xmin::text FROM psa_searchentry WHERE id = %s", [entry.pk])
                return cursor.fetchone()[0]
            cursor.execute("SELECT total_changes()")  # counts the FTS5 trigger's writes as well
            return cursor.fetchone()[0]

    before = rows_changed()
    assert search_index.write(searchable, [asset, asset]) == 1
    assert rows_changed() == before
    asset.name = "Renamed here"
    search_index.write(searchable, [asset])
    assert rows_changed() != before
    changed = SearchEntry.objects.get(kind="asset", object_id=asset.pk)
    assert (changed.pk, changed.title) == (entry.pk, "Renamed here") and "renamed" in changed.words_a.split()


def test_companies_and_contacts_renamed_in_connectwise_re_index_their_tickets_in_a_few_queries(source, sim, cw):
    """The tickets naming renamed clients and contacts are found a chunk at a time (related_many), not by a query per
    updated row; the result is what the save signals' per-row lookups give."""
    from tests.tickets.factories import make_ticket

    sync_all(source, cw, JOBS[:3])
    clients = list(Client.objects.filter(cw_company_id__in=[101, 102, 103]).order_by("cw_company_id"))
    contacts = [Contact.objects.filter(client=client).order_by("first_name", "pk").first() for client in clients]
    named = [make_ticket(client, title="Printer jam", contact=contact) for client, contact in zip(clients, contacts,
             strict=True)]  # fmt: skip
    untouched = make_ticket(Client.objects.get(cw_company_id=104), title="Printer jam")
    sim.clock = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    for number, client in enumerate(clients, 1):
        sim.touch("companies", client.cw_company_id, name=f"Renamed Company {number}")
    contact_ids = dict(ExternalRecord.objects.filter(kind="contact").values_list("object_id", "external_id"))
    for number, contact in enumerate(contacts, 1):
        sim.touch("contacts", int(contact_ids[str(contact.pk)]), lastName=f"Quokkaford{number}")

    with CaptureQueriesContext(connection) as captured:
        sync_all(source, cw, JOBS[:3])
    lookups = [q["sql"] for q in captured if "psa_searchentry" in q["sql"] and q["sql"].lstrip().startswith("SELECT")]
    assert len(lookups) <= 4  # one for the clients, at most three for the contacts: none per row
    for number, ticket in enumerate(named, 1):
        texts = SearchEntry.objects.get(kind="ticket", object_id=ticket.pk).texts
        assert texts["client_name"] == f"Renamed Company {number}"
        assert texts["contact_name"].endswith(f" Quokkaford{number}")
    assert SearchEntry.objects.get(kind="ticket", object_id=untouched.pk).texts["client_name"] == untouched.client.name
    tickets = search.get("ticket")
    renamed = list(Client.objects.filter(pk__in=[c.pk for c in clients]))
    assert search_index.owners_of(tickets, Client, renamed) == []  # in step: nothing left to re-index
    assert search_index.owners_of(tickets, Contact, list(Contact.objects.filter(pk__in=[c.pk for c in contacts]))) == []
    renamed[0].name = "Renamed Again"  # not saved: its ticket's entry names it otherwise
    assert search_index.owners_of(tickets, Client, renamed) == [named[0].pk]


def test_a_company_renamed_in_connectwise_re_indexes_its_tickets(source, sim, cw):
    """A sync writes without signals; the tickets' search documents, which hold the client's name, follow anyway."""
    from tests.tickets.factories import make_ticket

    run_job(source, "connectwise.companies", client=cw)
    client = Client.objects.get(cw_company_id=102)
    ticket = make_ticket(client, title="Printer jam")
    other = make_ticket(Client.objects.get(cw_company_id=103), title="Printer jam")
    entry = SearchEntry.objects.get(kind="ticket", object_id=ticket.pk)
    assert entry.texts["client_name"] == client.name

    sim.clock = lambda: datetime(2026, 3, 1, tzinfo=UTC)
    sim.touch("companies", 102, name="Renamed Dental")
    run_job(source, "connectwise.companies", client=cw)

    entry.refresh_from_db()
    assert entry.texts["client_name"] == "Renamed Dental"
    assert SearchEntry.objects.get(kind="ticket", object_id=other.pk).texts["client_name"] == other.client.name
