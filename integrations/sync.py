"""Running one job of one source: the lock, the recorded :class:`SyncRun`, the cursor and the error budget.

A job function receives a :class:`SyncContext`; it pulls pages from ``context.client`` and hands batches to
:func:`integrations.mirror.apply_batch`. A record that cannot be stored is one error in a ``partial`` run; an error
that stops the job (authentication, the system down after every retry) makes the run ``failed``.
"""

from __future__ import annotations

import gc
import logging
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations import bulk, locks, registry
from integrations import secrets as source_secrets
from integrations.http import IntegrationError
from integrations.models import Source, SyncRun

logger = logging.getLogger(__name__)


class LockLost(IntegrationError):
    """Another worker took over the job's expired lock: this run must stop writing."""


class SyncContext:
    def __init__(self, source: Source, kind: registry.Kind, job: registry.Job, run: SyncRun, client: Any, holder: str):
        self.source, self.kind, self.job, self.run, self.client, self.holder = source, kind, job, run, client, holder
        self.cursor: datetime | None = parse_cursor(run.cursor_before)
        self.newest: datetime | None = None
        self.now = timezone.now()
        self.writes = 0  # rows written (local and mirror), for the benchmark and the tests
        self.linked: dict[str, dict[str, uuid.UUID]] = {}  # kind: external id -> local id (mirror.linked_uuids)
        # The client's injectable sleep and random source also pace the retries of a batch the database refused.
        self.sleep = getattr(client, "sleep", time.sleep)
        self.rng = getattr(client, "rng", random.random)
        self.busy_retries = settings.INTEGRATIONS_BUSY_RETRIES

    def since(self) -> datetime | None:
        """Where an incremental pull starts: the cursor minus the overlap window (``None``: everything)."""
        if self.cursor is None:
            return None
        return self.cursor - timedelta(seconds=settings.INTEGRATIONS_CURSOR_OVERLAP)

    def saw(self, moment: datetime | None) -> None:
        if moment is not None and (self.newest is None or moment > self.newest):
            self.newest = moment

    def error(self, external_id: Any, message: str) -> None:
        self.run.failed += 1
        if len(self.run.errors) < settings.INTEGRATIONS_MAX_RUN_ERRORS:
            self.run.errors.append({"external_id": str(external_id)[:64], "message": str(message)[:500]})

    def progress(self) -> None:
        """Save the counts so far (users see a running run move) and keep the lock; stop if it was lost."""
        self.run.save(update_fields=["created", "updated", "unchanged", "deleted", "failed", "errors"])
        if not locks.refresh(self.source.pk, self.job.name, self.holder):
            raise LockLost("The run was silent longer than PSA_INTEGRATIONS_LOCK_TTL and lost its lock; it stopped.")


def parse_cursor(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def last_cursor(source: Source, job: str) -> str:
    run = (
        SyncRun.objects.filter(source=source, job=job, status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL])
        .exclude(cursor_after="")
        .order_by("-started_at")
        .first()
    )
    return run.cursor_after if run else ""


def build_client(source: Source, **options: Any) -> Any:
    kind = registry.get(source.kind)
    if kind is None:
        raise IntegrationError(f"Unknown source kind {source.kind!r}.")
    return kind.make_client(source, source_secrets.read(source), **options)


def run_job(
    source: Source,
    job_name: str,
    *,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    started_by: Any = None,
    client: Any = None,
) -> SyncRun | None:
    """Run one job now, in this process. ``None`` when another run of the same source and job holds the lock."""
    kind = registry.get(source.kind)
    job = kind.job(job_name) if kind else None
    if job is None:
        raise ValueError(f"{source.kind} has no job {job_name!r}")
    holder = uuid.uuid4().hex
    if not locks.acquire(source.pk, job.name, holder):
        return None
    started = time.monotonic()
    run = SyncRun.objects.create(
        source=source,
        job=job.name,
        trigger=trigger,
        started_by=started_by,
        cursor_before=last_cursor(source, job.name),
        started_at=timezone.now(),
    )
    fatal = ""
    try:
        own_client = client is None
        client = client or build_client(source)
        context = SyncContext(source, kind, job, run, client, holder)
        try:
            with fewer_collections(), bulk.bulk_load():
                job.run(context)
        finally:
            if own_client:
                client.close()
        newest = context.newest or context.cursor
        run.cursor_after = newest.isoformat() if newest else ""
    except IntegrationError as exc:
        fatal = f"{type(exc).__name__}: {exc.message}"
    except Exception as exc:  # a bug must not leave the run "running" forever; details go to the (redacted) log
        logger.exception("sync %s %s failed", source.pk, job.name)
        fatal = f"Internal error ({type(exc).__name__}); see the worker log."
    finally:
        run.message = fatal[:2000]
        run.status = (
            SyncRun.Status.FAILED if fatal else SyncRun.Status.PARTIAL if run.failed else SyncRun.Status.SUCCEEDED
        )
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.save()
        locks.release(source.pk, job.name, holder)
    return run


@contextmanager
def fewer_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while a job runs. A batch allocates tens of thousands of objects
    (payloads, model instances, rows) that live until the batch ends, and at the default threshold of 700 the
    collector ran over a thousand times in a first sync, scanning them again each time: a tenth to a fifth of its
    CPU time. Young cycles are still collected, every ``threshold`` allocations."""
    before = gc.get_threshold()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    gc.freeze()  # what exists now (Django, the modules) is not scanned again by each full collection of the job
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def run_jobs(source: Source, jobs: list[str] | None = None, **kwargs: Any) -> list[dict]:
    """Run the given jobs (default: all, in the kind's order); one summary per job."""
    kind = registry.get(source.kind)
    names = jobs or [job.name for job in kind.jobs]
    summary = []
    for name in names:
        run = run_job(source, name, **kwargs)
        summary.append({"job": name, "run_id": str(run.pk), "status": run.status} if run else {"job": name,
                       "skipped": "another run of this job is in progress"})  # fmt: skip
    return summary


def close_abandoned_runs() -> int:
    """Runs left ``running`` by a worker that died (their lock expired or is gone) are marked failed."""
    from django.db.models import Exists, OuterRef

    from integrations.models import SyncLock

    live_lock = SyncLock.objects.filter(source=OuterRef("source"), job=OuterRef("job"), expires_at__gte=timezone.now())
    cutoff = timezone.now() - timedelta(seconds=settings.INTEGRATIONS_LOCK_TTL)
    abandoned = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=cutoff).exclude(Exists(live_lock))
    return abandoned.update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        message="The worker stopped before the run finished (no progress within PSA_INTEGRATIONS_LOCK_TTL).",
    )
