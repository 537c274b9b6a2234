"""The Hudu connection's health, as ``GET /api/v1/integrations/hudu`` reports it (seed 000's status route)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.hudu.models import HuduConnection
from integrations.models import Source, SyncRun

CONNECTED, NOT_CONNECTED, ERROR = "connected", "not_connected", "error"


@dataclass(frozen=True)
class HuduStatus:
    status: str
    base_url: str | None
    connected_at: datetime | None
    last_synced_at: datetime | None
    password_access: bool


def hudu_source() -> Source | None:
    """This PSA's Hudu instance: the oldest enabled Hudu source, else the oldest one."""
    sources = Source.objects.filter(kind="hudu").order_by("-enabled", "created_at", "id")
    return sources.first()


def current() -> HuduStatus:
    """``not_connected`` without an enabled source holding its key, or before its key was first accepted;
    ``error`` when the newest run of any Hudu job failed; otherwise ``connected``."""
    source = hudu_source()
    if source is None:
        return HuduStatus(NOT_CONNECTED, None, None, None, False)
    connection = HuduConnection.objects.filter(source=source).first()
    runs = SyncRun.objects.filter(source=source).exclude(status=SyncRun.Status.RUNNING)
    last_ok = (
        runs.filter(status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL]).order_by("-finished_at").first()
    )
    newest = runs.order_by("-finished_at", "-started_at").first()
    connected_at = connection.connected_at if connection else None
    if not source.enabled or source.credential_id is None or connected_at is None:
        state = NOT_CONNECTED
    elif newest is not None and newest.status == SyncRun.Status.FAILED:
        state = ERROR
    else:
        state = CONNECTED
    return HuduStatus(
        status=state,
        base_url=source.base_url,
        connected_at=connected_at,
        last_synced_at=last_ok.finished_at if last_ok else None,
        password_access=bool(connection and connection.password_access),
    )
