"""Fixtures: a Hudu simulator (in-process through httpx's WSGI transport, or on a loopback port) and a Hudu source
whose API key is in the vault."""

from __future__ import annotations

import httpx
import pytest

from integrations import secrets as source_secrets
from integrations.http import RetryPolicy
from integrations.hudu.client import HuduClient, Pacer
from integrations.hudu.simulator import DEMO_API_KEY, HuduSimulator, Size
from integrations.models import Source

SIM_URL = "http://hudu.simulator"


class FakeTime:
    """One virtual clock for the client's pacer, its sleeps and the simulator's rate-limit window: nothing waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def sim(fake_time):
    return HuduSimulator(Size(companies=4, assets=10, passwords=6, websites=4), clock=fake_time.clock)


def make_hudu_client(sim, fake_time, api_key: str = DEMO_API_KEY, per_minute: int = 280, **kwargs) -> HuduClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=1, max_delay=8, max_retry_after=90))
    return HuduClient(
        SIM_URL,
        api_key=api_key,
        transport=httpx.WSGITransport(app=sim),
        pacer=Pacer(per_minute, clock=fake_time.clock, sleep=fake_time.sleep),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=lambda: 1.0,
        **kwargs,
    )


@pytest.fixture
def hudu(sim, fake_time):
    client = make_hudu_client(sim, fake_time)
    yield client
    client.close()


def make_hudu_source(base_url: str = SIM_URL, name: str = "Hudu", api_key: str = DEMO_API_KEY, **fields) -> Source:
    source = Source.objects.create(kind="hudu", name=name, base_url=base_url, settings={"create_clients": "true"},
                                   **fields)  # fmt: skip
    source_secrets.store(source, {"api_key": api_key})
    return source


@pytest.fixture
def source(db):
    return make_hudu_source()


JOBS = ["hudu.companies", "hudu.layouts", "hudu.websites", "hudu.assets", "hudu.passwords"]


def sync_all(source, client) -> list:
    from integrations.sync import run_job

    return [run_job(source, job, client=client) for job in JOBS]
