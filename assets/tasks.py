from celery import shared_task
from django.conf import settings

from assets import expirations


@shared_task(name="assets.tasks.record_expirations", ignore_result=True)
def record_expirations() -> dict:
    """Daily: record what expires within the configured window, for the dashboard."""
    count = expirations.record(settings.EXPIRATION_WINDOW_DAYS)
    return {"recorded": count, "within_days": settings.EXPIRATION_WINDOW_DAYS}
