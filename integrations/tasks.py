"""Celery tasks of the integrations. Each takes a source id and is idempotent: a run that finds its job locked by
another worker skips it, and every incremental pull can be repeated without effect."""

from __future__ import annotations

from celery import shared_task

from integrations import dispatcher
from integrations.models import Source, SyncRun
from integrations.sync import run_jobs


@shared_task(name="integrations.tasks.sync_source", ignore_result=True)
def sync_source(source_id: str, jobs: list[str] | None = None, trigger: str = "schedule", user_id=None) -> dict:
    """Run the given jobs of one source (default: all, in order); one locked, recorded SyncRun per job."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return {"source_id": str(source_id), "skipped": "the source no longer exists"}
    if not source.enabled and trigger == SyncRun.Trigger.SCHEDULE:
        return {"source_id": str(source_id), "skipped": "the source is disabled"}
    started_by = None
    if user_id:
        from accounts.models import User

        started_by = User.objects.filter(pk=user_id).first()
    runs = run_jobs(source, jobs, trigger=trigger, started_by=started_by)
    return {"source_id": str(source_id), "runs": runs}


@shared_task(name="integrations.tasks.dispatch_due", ignore_result=True)
def dispatch_due() -> dict:
    """Scheduled by beat: queue one sync_source task per enabled source with due jobs."""
    queued = {}
    for source in Source.objects.filter(enabled=True).order_by("name"):
        jobs = dispatcher.due_jobs(source)
        if jobs:
            dispatcher.mark_dispatched(source, jobs)
            sync_source.delay(str(source.pk), jobs, SyncRun.Trigger.SCHEDULE)
            queued[str(source.pk)] = jobs
    return {"queued": queued}
