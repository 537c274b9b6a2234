"""Seed 004's live ConnectWise data on client routes, as two small hooks the clients API calls.

``live_company(client)`` fetches the linked company from ConnectWise (one try, short timeout, cached for
``PSA_INTEGRATIONS_LIVE_CACHE_SECONDS``); when ConnectWise is down it returns no data and a ``meta`` entry saying
so, never an error. ``configurations_meta(client)`` describes the mirror behind ``/clients/{id}/configurations``
and queues a refresh of the configurations job when its last run is older than the job's interval.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from integrations import locks, registry
from integrations.http import IntegrationError, RetryPolicy
from integrations.models import ExternalRecord, SyncRun

LIVE_TIMEOUT = 5.0  # seconds: a page waits at most this long for ConnectWise
COMPANY_FIELDS = ("id", "identifier", "name", "status", "phoneNumber", "faxNumber", "website", "addressLine1",
                  "addressLine2", "city", "state", "zip", "country", "territory", "market", "types", "_info")  # fmt: skip


def _company_record(client) -> ExternalRecord | None:
    if client.cw_company_id is None:
        return None
    return (
        ExternalRecord.objects.filter(kind="company", external_id=str(client.cw_company_id), source__kind="connectwise")
        .select_related("source")
        .order_by("deleted_at", "-last_seen_at")
        .first()
    )


def live_company(client) -> tuple[dict | None, dict]:
    """``(fresh company fields or None, meta)``; both empty for a client not linked to ConnectWise."""
    from integrations.sync import build_client

    record = _company_record(client)
    if record is None:
        return None, {}
    source = record.source
    kind = registry.get(source.kind)
    link = kind.external_url(source, "company", record.external_id) if kind else ""
    key = f"integrations:live:{source.pk}:company:{record.external_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached["data"], {
            "connectwise": {"status": "live", "cached": True, "fetched_at": cached["at"], "url": link}
        }
    try:
        with build_client(source, retry=RetryPolicy(attempts=1), timeout=httpx.Timeout(LIVE_TIMEOUT)) as api:
            company = api.company(int(record.external_id))
    except IntegrationError as exc:
        return None, {
            "connectwise": {
                "status": "unavailable",
                "message": f"ConnectWise did not answer ({type(exc).__name__}); showing the local copy.",
                "mirrored_at": record.last_seen_at.isoformat(),
                "url": link,
            }
        }
    data = {name: company.get(name) for name in COMPANY_FIELDS if name in company}
    at = timezone.now().isoformat()
    cache.set(key, {"data": data, "at": at}, settings.INTEGRATIONS_LIVE_CACHE_SECONDS)
    return data, {"connectwise": {"status": "live", "cached": False, "fetched_at": at, "url": link}}


def configurations_meta(client) -> dict[str, Any]:
    """How fresh the mirrored configurations are; queues a refresh when stale (never waits for it)."""
    record = _company_record(client)
    if record is None:
        return {}
    source = record.source
    kind = registry.get(source.kind)
    job = kind.job("connectwise.configurations") if kind else None
    if job is None:
        return {}
    last = SyncRun.objects.filter(source=source, job=job.name).order_by("-started_at").first()
    stale = last is None or timezone.now() - last.started_at > timedelta(seconds=kind.interval(source, job))
    refreshing = locks.held(source.pk, job.name)
    if stale and source.enabled and not refreshing:
        from integrations.tasks import sync_source

        sync_source.delay(str(source.pk), [job.name], SyncRun.Trigger.SCHEDULE)
        refreshing = True
    return {
        "connectwise": {
            "source": "mirror",
            "last_sync": last.finished_at.isoformat() if last and last.finished_at else None,
            "stale": stale,
            "refreshing": refreshing,
        }
    }


def live_client_response(client, data: dict):
    """The client detail response: unchanged for unlinked clients; with ``connectwise`` data and ``meta`` if linked."""
    from rest_framework.response import Response

    live, meta = live_company(client)
    if not meta:
        return Response(data)
    response = Response({"data": {**data, "connectwise": live}, "meta": meta})
    response.enveloped = True
    return response
