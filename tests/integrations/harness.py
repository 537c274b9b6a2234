"""The integrations' part of the route harness. Sources are the MSP's, not a client's: no client scope applies.

The world's source points at a closed loopback port, so ``/test`` answers 200 with the failed connection check
and ``/sync`` queues a task nobody runs.
"""

from integrations.models import Source, SyncRun
from tests.integrations.conftest import make_source

CLOSED_PORT_URL = "http://127.0.0.1:9"


def _run(source, job="connectwise.companies"):
    from django.utils import timezone

    return SyncRun.objects.create(source=source, job=job, status=SyncRun.Status.SUCCEEDED, started_at=timezone.now())


def build(world) -> None:
    source = make_source(CLOSED_PORT_URL, name="Harness CW")
    world.add(Source, source)
    world.delete_targets[Source] = make_source(CLOSED_PORT_URL, name="Harness disposable CW")
    world.add(SyncRun, _run(source))


SECRETS = {"public_key": "pub", "private_key": "priv"}
SETTINGS = {"company_id": "acme", "client_id": "00000000-0000-4000-8000-000000000001"}

BODIES = {
    ("integration-source-list", "POST"): lambda w: {
        "kind": "connectwise",
        "name": "New CW",
        "base_url": "https://api-na.myconnectwise.net",
        "settings": SETTINGS,
        "secrets": SECRETS,
    },
    ("integration-source-detail", "PUT"): lambda w: {"name": "Renamed CW"},
    ("integration-source-detail", "PATCH"): lambda w: {"enabled": False},
    ("integration-source-test", "POST"): lambda w: {},
    ("integration-source-sync", "POST"): lambda w: {"jobs": ["connectwise.companies"]},
}

ROW_FACTORIES = {
    Source: lambda w, i: make_source(CLOSED_PORT_URL, name=f"Row CW {i}"),
    SyncRun: lambda w, i: _run(w.objects[Source]),
}
