"""A ConnectWise simulator on a loopback port with a source pointing at it, synced, for the live-route tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache

from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.models import Source
from integrations.sync import run_job
from tests.integrations.conftest import make_cw_client, make_source

SMALL = Size(companies=4, contacts=8, sites=4, configurations=2, members=3, catalog_items=12, opportunities=4)
JOBS = ("connectwise.companies", "connectwise.sites", "connectwise.contacts", "connectwise.members",
        "connectwise.catalog", "connectwise.opportunities")  # fmt: skip


@dataclass
class LiveWorld:
    sim: ConnectWiseSimulator
    source: Source
    base_url: str


@contextmanager
def live_world(size: Size = SMALL, jobs: tuple[str, ...] = JOBS, name: str = "CW live") -> Iterator[LiveWorld]:
    """Serve a simulator on 127.0.0.1, sync ``jobs`` from it; the live cache starts and ends empty."""
    sim = ConnectWiseSimulator(size)
    server = sim.serve()
    base_url = f"http://127.0.0.1:{server.port}"
    cache.clear()
    try:
        source = make_source(base_url, name=name)
        client = make_cw_client(None, base_url=base_url)
        try:
            for job in jobs:
                run_job(source, job, client=client)
        finally:
            client.close()
        yield LiveWorld(sim, source, base_url)
    finally:
        cache.clear()
        server.shutdown()


_shared: dict[str, object] = {}


def shared_simulator() -> tuple[ConnectWiseSimulator, str]:
    """One simulator per test process on a loopback port, for the route harness's worlds (built per test, so a
    server each would cost more than the checks). Its server thread is a daemon: it ends with the process."""
    if "sim" not in _shared:
        sim = ConnectWiseSimulator(SMALL)
        server = sim.serve()
        _shared.update(sim=sim, server=server, url=f"http://127.0.0.1:{server.port}")
    return _shared["sim"], _shared["url"]


def mirror(source: Source, kind: str, external_id, obj, payload: dict | None = None):
    """An ExternalRecord linking ``obj`` to a record of the source (``payload``: as the simulator serves it)."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from integrations.mirror import payload_hash
    from integrations.models import ExternalRecord

    payload = payload or {}
    return ExternalRecord.objects.create(
        source=source, kind=kind, external_id=str(external_id), content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk), payload=payload, payload_hash=payload_hash(payload), first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )  # fmt: skip
