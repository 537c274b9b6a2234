"""Real Celery workers (and beat) against a simulator on loopback: the lock under a race, and the dispatcher."""

from __future__ import annotations

import pytest

from clients.models import Client
from integrations.connectwise.kind import CONNECTWISE
from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.models import SyncRun
from integrations.tasks import sync_source
from psa.models import JobRun
from tests.integrations.conftest import make_source
from tests.worker.test_worker import _wait_for, celery_processes  # noqa: F401 - the fixture

pytestmark = pytest.mark.worker

SYNC = "integrations.tasks.sync_source"


@pytest.fixture
def served():
    simulator = ConnectWiseSimulator(Size(companies=4, contacts=6, sites=4, configurations=4, members=2))
    server = simulator.serve()
    try:
        yield simulator, f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()


def _start(processes, name: str):
    return processes.start(
        name, "worker", "--pool", "solo", "--prefetch-multiplier", "1", "--queues", processes.queue,
        "--hostname", f"{name}-{processes.queue}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel", "INFO",
    )  # fmt: skip


def _ready(processes, name: str) -> bool:
    return "ready." in (processes.log_dir / f"{name}.log").read_text(errors="replace")


def test_two_workers_racing_run_one_sync(celery_processes, served):  # noqa: F811
    simulator, base_url = served
    simulator.delay = 1.0  # every answer takes a second, so the two tasks overlap
    source = make_source(base_url)
    for name in ("worker-a", "worker-b"):
        _start(celery_processes, name)
    _wait_for(celery_processes, lambda: _ready(celery_processes, "worker-a") and _ready(celery_processes, "worker-b"),
              "two ready workers")  # fmt: skip
    sent = [sync_source.apply_async((str(source.pk), ["connectwise.companies"]), queue=celery_processes.queue)
            for _ in range(2)]  # fmt: skip

    def both_finished():
        runs = list(JobRun.objects.filter(task_id__in=[s.id for s in sent], status=JobRun.Status.SUCCEEDED))
        return runs if len(runs) == 2 else None

    job_runs = _wait_for(celery_processes, both_finished, "both sync tasks finished")
    assert len({run.hostname for run in job_runs}) == 2, "one worker took both tasks; the race did not happen"
    results = sorted((run.result["runs"][0] for run in job_runs), key=lambda r: "skipped" in r)
    assert results[0]["status"] == "succeeded"
    assert results[1] == {"job": "connectwise.companies", "skipped": "another run of this job is in progress"}
    assert SyncRun.objects.filter(source=source, job="connectwise.companies").count() == 1
    assert Client.objects.exclude(cw_company_id=None).count() == 4


def test_beat_dispatches_due_jobs_on_the_embedded_broker(celery_processes, served):  # noqa: F811
    _simulator, base_url = served
    source = make_source(base_url)
    celery_processes.env["PSA_INTEGRATIONS_DISPATCH_INTERVAL"] = "1"
    _start(celery_processes, "worker")
    celery_processes.start("beat", "beat", "--loglevel", "INFO", "--max-interval", "1")

    def all_jobs_ran():
        runs = SyncRun.objects.filter(source=source).exclude(status=SyncRun.Status.RUNNING)
        return runs if runs.count() >= len(CONNECTWISE.jobs) else None  # every job of the kind, the scan included

    runs = _wait_for(celery_processes, all_jobs_ran, "a scheduled sync of every job")
    assert {run.job for run in runs} >= {"connectwise.companies", "connectwise.deletions"}
    assert all(run.status == "succeeded" and run.trigger == "schedule" for run in runs), [
        (r.job, r.message) for r in runs
    ]
    source.refresh_from_db()
    assert set(source.dispatched_at) >= {"connectwise.companies", "connectwise.members"}
    # Nothing is due again within the interval: one run per job, not one per beat tick.
    assert SyncRun.objects.filter(source=source, job="connectwise.companies").count() == 1
