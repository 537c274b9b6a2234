"""A sync batch the database refuses for contention is sent again, whole; it is never counted as its records' errors.

The contention is real: just before the batch's write transaction, a second connection takes what it needs
(SQLite's one write lock; on PostgreSQL a SHARE lock on the clients table, which inserts must wait for), and the
job's connection waits no longer than the test allows.
"""

from __future__ import annotations

import pytest

from clients.models import Client
from integrations.models import ExternalRecord, SyncRun
from integrations.sync import run_job
from tests.integrations.conftest import Sleeps, make_cw_client
from tests.integrations.contention import OtherWriter, no_wait  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

JOB = "connectwise.companies"


@pytest.mark.usefixtures("no_wait")
def test_a_batch_refused_for_contention_is_sent_again_and_stored_whole(source, sim):
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


@pytest.mark.usefixtures("no_wait")
def test_contention_through_every_retry_fails_the_run_without_record_errors(source, sim, sleeps, settings):
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


@pytest.mark.usefixtures("no_wait")
def test_a_retried_batch_still_writes_the_changes_of_existing_rows(source, sim, cw):
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
