"""Fixtures: a ConnectWise simulator (in-process through httpx's WSGI transport, or on a loopback port) and a
ConnectWise source whose keys are in the vault."""

from __future__ import annotations

import httpx
import pytest

from integrations import secrets as source_secrets
from integrations.connectwise.client import ConnectWiseClient
from integrations.connectwise.simulator import (
    DEMO_CLIENT_ID,
    DEMO_COMPANY,
    DEMO_PRIVATE_KEY,
    DEMO_PUBLIC_KEY,
    ConnectWiseSimulator,
    Size,
)
from integrations.http import RetryPolicy
from integrations.models import Source

SIM_URL = "http://cw.simulator"


class Sleeps(list):
    """An injected sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sim():
    return ConnectWiseSimulator(Size(companies=6, contacts=12, sites=8, configurations=10, members=3))


@pytest.fixture
def sleeps():
    return Sleeps()


def make_cw_client(sim, sleeps=None, base_url: str = SIM_URL, **kwargs) -> ConnectWiseClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=1, max_delay=8, max_retry_after=30))
    return ConnectWiseClient(
        base_url,
        company_id=kwargs.pop("company_id", DEMO_COMPANY),
        public_key=kwargs.pop("public_key", DEMO_PUBLIC_KEY),
        private_key=kwargs.pop("private_key", DEMO_PRIVATE_KEY),
        client_id=kwargs.pop("client_id", DEMO_CLIENT_ID),
        transport=httpx.WSGITransport(app=sim) if sim is not None else None,
        sleep=sleeps if sleeps is not None else (lambda s: None),
        rng=lambda: 1.0,
        **kwargs,
    )


@pytest.fixture
def cw(sim, sleeps):
    client = make_cw_client(sim, sleeps)
    yield client
    client.close()


def make_source(base_url: str = SIM_URL, name: str = "CW", **fields) -> Source:
    source = Source.objects.create(
        kind="connectwise",
        name=name,
        base_url=base_url,
        settings={"company_id": DEMO_COMPANY, "client_id": DEMO_CLIENT_ID, "codebase": "v4_6_release/"},
        **fields,
    )
    source_secrets.store(source, {"public_key": DEMO_PUBLIC_KEY, "private_key": DEMO_PRIVATE_KEY})
    return source


@pytest.fixture
def source(db):
    return make_source()


@pytest.fixture
def loopback():
    """A simulator served on 127.0.0.1 by a threaded Werkzeug server; yields ``(simulator, base_url)``."""
    simulator = ConnectWiseSimulator(Size(companies=4, contacts=8, sites=4, configurations=6, members=2))
    server = simulator.serve()
    try:
        yield simulator, f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()


def run_on(source: Source, sim, job: str):
    """Run ``job`` of ``source`` once against ``sim`` in-process, closing the client after."""
    from integrations.sync import run_job

    client = make_cw_client(sim)
    try:
        return run_job(source, job, client=client)
    finally:
        client.close()
