"""Which jobs of which sources are due: the beat-driven dispatcher's decision, kept out of the task for tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from integrations import registry
from integrations.models import Source, SyncRun


def due_jobs(source: Source, now: datetime | None = None) -> list[str]:
    """The source's jobs whose interval has passed since they last started or were last queued, in kind order."""
    kind = registry.get(source.kind)
    if kind is None or not source.enabled:
        return []
    now = now or timezone.now()
    started = dict(
        SyncRun.objects.filter(source=source).values("job").annotate(last=Max("started_at")).values_list("job", "last")
    )
    due = []
    for job in kind.jobs:
        moments = [started.get(job.name), _parse((source.dispatched_at or {}).get(job.name))]
        last = max((m for m in moments if m is not None), default=None)
        if last is None or now - last >= timedelta(seconds=kind.interval(source, job)):
            due.append(job.name)
    return due


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def mark_dispatched(source: Source, jobs: list[str], now: datetime | None = None) -> None:
    stamp = (now or timezone.now()).isoformat()
    source.dispatched_at = {**(source.dispatched_at or {}), **dict.fromkeys(jobs, stamp)}
    Source.objects.filter(pk=source.pk).update(dispatched_at=source.dispatched_at)
