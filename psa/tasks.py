"""Framework-level periodic tasks."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="psa.tasks.heartbeat", ignore_result=True)
def heartbeat() -> dict:
    """Scheduled by beat; its job run is how ``/healthz`` knows the worker and beat are alive."""
    from psa.models import JobRun

    cutoff = timezone.now() - timezone.timedelta(days=7)
    pruned, _ = JobRun.objects.filter(task_name="psa.tasks.heartbeat", queued_at__lt=cutoff).delete()
    return {"at": timezone.now().isoformat(), "pruned": pruned}


@shared_task(name="psa.tasks.prune_rate_limit_counters", ignore_result=True)
def prune_rate_limit_counters() -> dict:
    """Daily: forget rate-limit buckets idle for a day (the table backend; Redis keys expire by themselves)."""
    from psa.ratelimit import prune_stale_counters

    return {"pruned": prune_stale_counters()}
