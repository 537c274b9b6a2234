"""A sync batch the database refuses for contention is sent again, whole; it is never counted as its records' errors.

The contention is real: just before the batch's write transaction, a second connection takes what it needs
(SQLite's one write lock; on PostgreSQL a SHARE lock on the clients table, which inserts must wait for), and the
job's connection waits no longer than the test allows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from django.db import connection

from clients.models import Client
from integrations.models import ExternalRecord, SyncRun
from integrations.sync import run_job
from tests.integrations.conftest import Sleeps, make_cw_client

pytestmark = pytest.mark.django_db(transaction=True)

JOB = "connectwise.companies"


_RECORDS = 'FROM "integrations_externalrecord"'


class OtherWriter:
    """A second connection that takes the lock a batch needs once the batch has looked up its stored records (so
    just before its write transaction), and lets it go when told, or when the run's own row is saved at its end."""

    def __init__(self) -> None:
        self.other = None
        self.refusals = 0

    def take(self) -> None:
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.other = sqlite3.connect(settings["NAME"], isolation_level=None)
            self.other.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.other = psycopg.connect(
                host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                password=settings["PASSWORD"], dbname=settings["NAME"],
            )  # fmt: skip
            self.other.execute("LOCK TABLE clients_client IN SHARE MODE")

    def release(self) -> None:
        if self.other is not None:
            self.other.rollback()
            self.other.close()
            self.other = None

    def around(self, job: Callable[[], SyncRun]) -> SyncRun:
        """Run ``job`` with this writer watching the job's statements; the lock is let go whatever happens."""
        try:
            with connection.execute_wrapper(self):
                return job()
        finally:
            self.release()

    def __call__(self, execute, sql, params, many, context):
        if self.other is None and self.refusals == 0 and sql.startswith("SELECT") and _RECORDS in sql:
            self.take()  # the batch's look-up of its stored records: its write transaction comes next
        if self.other is not None and sql.startswith('UPDATE "integrations_syncrun"'):
            self.release()  # the run records its end: nothing more to refuse
        try:
            return execute(sql, params, many, context)
        except Exception:
            if self.other is not None:
                self.refusals += 1
            raise


@pytest.fixture
def no_wait():
    """The job's connection gives up at once on a held lock (SQLite waits 10 s by default)."""
    statement, usual = (
        ("PRAGMA busy_timeout = 0", "PRAGMA busy_timeout = 10000")
        if connection.vendor == "sqlite"
        else ("SET lock_timeout = '50ms'", "RESET lock_timeout")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute(usual)


def test_a_batch_refused_for_contention_is_sent_again_and_stored_whole(source, sim, no_wait):
    writer = OtherWriter()
    waits = Sleeps()

    def sleep(seconds: float) -> None:  # the back-off: meanwhile the other writer commits and goes
        waits.append(seconds)
        writer.release()

    run = writer.around(lambda: run_job(source, JOB, client=make_cw_client(sim, sleeps=sleep)))
    assert writer.refusals == 1
    assert waits == [2.0]  # PSA_INTEGRATIONS_BUSY_BACKOFF, the client's random source at its top
    assert run.status == SyncRun.Status.SUCCEEDED and run.failed == 0 and run.errors == []
    assert run.created == len(sim.data["companies"]) == Client.objects.filter(cw_company_id__isnull=False).count()
    assert ExternalRecord.objects.filter(source=source, kind="company").count() == len(sim.data["companies"])
    assert run.cursor_after


def test_contention_through_every_retry_fails_the_run_without_record_errors(source, sim, sleeps, no_wait, settings):
    settings.INTEGRATIONS_BUSY_RETRIES = 2
    writer = OtherWriter()
    run = writer.around(lambda: run_job(source, JOB, client=make_cw_client(sim, sleeps)))
    assert writer.refusals == 3  # the first attempt and two retries
    assert sleeps == [2.0, 4.0]  # doubling
    assert run.status == SyncRun.Status.FAILED
    assert run.message.startswith("DatabaseBusy: The database stayed busy") and "3 attempts" in run.message
    assert run.failed == 0 and run.errors == [] and run.created == 0
    assert run.cursor_after == ""  # the next run reads the same records again
    assert not Client.objects.filter(cw_company_id__isnull=False).exists() and not ExternalRecord.objects.exists()
    # Once the other writer is gone, the next run stores everything.
    again = run_job(source, JOB, client=make_cw_client(sim, sleeps))
    assert again.status == SyncRun.Status.SUCCEEDED and again.created == len(sim.data["companies"])


def test_records_the_database_rejects_are_one_error_each_with_the_rest_stored(source, sim, cw):
    """Not contention: a batch refused for its rows (here the sites of a client deleted here but not in ConnectWise,
    whose key fails at commit) is stored record by record, each refused one an error, the others kept."""
    run_job(source, JOB, client=cw)
    company = min(sim.data["companies"])
    Client.objects.filter(cw_company_id=company).delete()  # its mirror record still names the deleted row
    orphans = sorted(str(s["id"]) for s in sim.data["sites"].values() if s["company"]["id"] == company)
    assert orphans

    run = run_job(source, "connectwise.sites", client=cw)

    assert run.status == SyncRun.Status.PARTIAL and run.failed == len(orphans)
    assert sorted(e["external_id"] for e in run.errors) == orphans
    assert all(e["message"].startswith("Could not be stored: IntegrityError") for e in run.errors)
    stored = ExternalRecord.objects.filter(source=source, kind="site").count()
    assert stored == len(sim.data["sites"]) - len(orphans) == run.created


def test_a_retried_batch_still_writes_the_changes_of_existing_rows(source, sim, cw, no_wait):
    """The first attempt set the new values on the rows in memory before it was undone: the retry must write them
    anyway (not compare them with themselves and skip them), and a record-by-record retry as well."""
    run_job(source, JOB, client=cw)
    company = min(sim.data["companies"])
    sim.touch("companies", company, name="Renamed in ConnectWise")
    writer = OtherWriter()

    def sleep(seconds: float) -> None:
        writer.release()

    run = writer.around(lambda: run_job(source, JOB, client=make_cw_client(sim, sleeps=sleep)))
    assert writer.refusals == 1 and run.status == SyncRun.Status.SUCCEEDED and run.updated == 1
    assert Client.objects.get(cw_company_id=company).name == "Renamed in ConnectWise"
