"""The UniFi part of the route harness: a UniFi OS simulator on loopback (one per test session), a source on it, and
a site per client (A: the simulator's ``default`` site, B: its second), with one WLAN id of each for the WLAN routes.
"""

from __future__ import annotations

from types import SimpleNamespace

from integrations.unifi.models import UnifiSite
from integrations.unifi.simulator import UnifiSimulator
from tests.unifi.conftest import Served, make_unifi_source

_served: Served | None = None


def served() -> Served:
    """Started on first use and kept for the session (a daemon thread): worlds are built by the hundred."""
    global _served
    if _served is None:
        _served = Served(UnifiSimulator("unifi_os", sites=2, devices_per_site=4, site_names=["Harness A", "Harness B"]))
    return _served


def _site(source, sim_site, client) -> UnifiSite:
    return UnifiSite.objects.create(
        source=source, site_id=sim_site.name, external_id=sim_site.id, name=sim_site.desc, client=client
    )


def _iot_wlan(sim_site) -> SimpleNamespace:
    return SimpleNamespace(pk=next(w["_id"] for w in sim_site.wlans.values() if w["name"] == "IoT"))


def build(world) -> None:
    sim = served().sim
    source = make_unifi_source(served().url, name="Harness UniFi")
    first, second = list(sim.sites.values())[:2]
    world.unifi_source = source
    world.add(UnifiSite, _site(source, first, world.client_a), _site(source, second, world.client_b))
    world.add_kwarg("wlan_id", _iot_wlan(first), _iot_wlan(second))


BODIES = {
    ("unifi-site-sync", "POST"): lambda w: {},
    ("unifi-site-create", "POST"): lambda w: {"description": "Harness new site"},
    ("unifi-site-link", "POST"): lambda w: {"client_id": str(w.client_a.pk)},
    ("unifi-site-unlink", "POST"): lambda w: {},
    ("unifi-site-wlan-groups", "POST"): lambda w: {"name": "Harness group"},
    ("unifi-site-speed-profiles", "POST"): lambda w: {"name": "Harness 10M", "download_limit_kbps": 10000},
    ("unifi-site-wifi-detail", "PATCH"): lambda w: {"hide_ssid": False},
    ("unifi-site-wifi-ppsk", "POST"): lambda w: {"key": "harness-ppsk-key", "name": "Harness device"},
}

ROW_FACTORIES = {
    UnifiSite: lambda w, i: UnifiSite.objects.create(
        source=w.unifi_source, site_id=f"row{i}", name=f"Row site {i}", client=w.client_a
    ),
}

SCOPED_CALLER_REFUSED = {"unifi-site-unlink": "an unlinked site belongs to no client, so it would leave the scope"}
