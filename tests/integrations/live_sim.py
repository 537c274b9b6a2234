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
