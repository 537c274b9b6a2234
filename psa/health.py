"""``/healthz``: database, broker and the last heartbeat of the worker, without authentication."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "unavailable"


def _broker() -> str:
    from psa.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "unavailable"


def _worker() -> dict:
    from psa.models import JobRun

    try:
        last = (
            JobRun.objects.filter(task_name="psa.tasks.heartbeat", status=JobRun.Status.SUCCEEDED)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
    except Exception:
        return {"status": "unknown", "last_heartbeat": None}
    if last is None:
        return {"status": "waiting", "last_heartbeat": None}
    stale = (timezone.now() - last).total_seconds() > settings.HEARTBEAT_INTERVAL * 3
    return {"status": "stale" if stale else "ok", "last_heartbeat": last.isoformat()}


@never_cache
def healthz(request):
    database, broker = _database(), _broker()
    healthy = database == "ok" and broker == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "broker": broker, "worker": _worker()}
    return JsonResponse(body, status=200 if healthy else 503)
