"""Fixtures: UniFi simulators (classic and UniFi OS) on loopback, and UniFi sources whose login is in the vault."""

from __future__ import annotations

import pytest

from integrations import secrets as source_secrets
from integrations.models import Source
from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME, UnifiSimulator


def make_unifi_source(base_url: str, name: str = "UniFi", **settings) -> Source:
    source = Source.objects.create(
        kind="unifi", name=name, base_url=base_url,
        settings={"username": DEMO_USERNAME, "verify_tls": "true", "deployment": "auto", **settings},
    )  # fmt: skip
    source_secrets.store(source, {"password": DEMO_PASSWORD})
    return source


class Served:
    """A simulator and its loopback URL."""

    def __init__(self, simulator: UnifiSimulator) -> None:
        self.sim = simulator
        self.server = simulator.serve()
        self.url = f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["unifi_os", "classic"])
def served(request):
    """A small simulator of each deployment type, on loopback."""
    served = Served(UnifiSimulator(request.param, sites=2, devices_per_site=6, site_names=["Acme HQ", "Acme Depot"]))
    yield served
    served.stop()


@pytest.fixture
def os_served():
    served = Served(UnifiSimulator("unifi_os", sites=2, devices_per_site=6, site_names=["Acme HQ", "Acme Depot"]))
    yield served
    served.stop()
