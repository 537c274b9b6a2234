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
