"""Celery signals that keep a :class:`~psa.models.JobRun` row for every tracked task."""

from __future__ import annotations

import json
import traceback

from celery import signals
from django.db import close_old_connections
from django.utils import timezone

TRACKED_PREFIXES = ("psa.", "accounts.", "clients.", "tickets.", "assets.", "credentials.", "integrations.")


def _tracked(name: str | None) -> bool:
    return bool(name) and name.startswith(TRACKED_PREFIXES)


def _json_safe(value: object) -> object:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)[:2000]
    return value


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **_kwargs) -> None:
    if not _tracked(getattr(task, "name", None)):
        return
    from psa.models import JobRun

    close_old_connections()
    JobRun.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task.name,
            "status": JobRun.Status.RUNNING,
            "started_at": timezone.now(),
            "hostname": getattr(task.request, "hostname", "") or "",
        },
    )


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, retval=None, state=None, **_kwargs) -> None:
    if not _tracked(getattr(task, "name", None)):
        return
    from psa.models import JobRun

    run = JobRun.objects.filter(task_id=task_id).first()
    if run is None:
        return
    now = timezone.now()
    run.finished_at = now
    run.duration_ms = int((now - run.started_at).total_seconds() * 1000) if run.started_at else None
    if state == "SUCCESS":
        run.status = JobRun.Status.SUCCEEDED
        run.result = _json_safe(retval)
    elif run.status != JobRun.Status.FAILED:
        run.status = JobRun.Status.FAILED if state == "FAILURE" else JobRun.Status.QUEUED
    run.save()


@signals.task_failure.connect
def _task_failed(task_id=None, sender=None, exception=None, tb=None, **_kwargs) -> None:
    if not _tracked(getattr(sender, "name", None)):
        return
    from psa.models import JobRun

    detail = "".join(traceback.format_exception(type(exception), exception, tb))[-4000:]
    JobRun.objects.filter(task_id=task_id).update(status=JobRun.Status.FAILED, error=detail)
