"""The UniFi demo source of ``make run``: a UniFi OS console simulator whose sites carry the demo clients' names.

The simulator ``make run`` starts (``manage.py simulate_unifi``) is built from :func:`demo_simulator`, so its sites'
short names are known here: the tracked sites are created already linked to the demo clients, and the first devices
run puts each client's UniFi gear among its assets.
"""

from __future__ import annotations

from django.conf import settings

from clients.models import Client
from integrations import secrets as source_secrets
from integrations.models import Source
from integrations.unifi.models import UnifiSite
from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME, UnifiSimulator

DEMO_SOURCE_NAME = "UniFi (demo simulator)"
DEMO_SITES = ["Acme Manufacturing", "Bluebird Dental Group", "Cobalt Legal LLP", "Driftwood Hotels"]
DEVICES_PER_SITE = 8


def demo_simulator() -> UnifiSimulator:
    return UnifiSimulator("unifi_os", sites=len(DEMO_SITES), devices_per_site=DEVICES_PER_SITE, site_names=DEMO_SITES)


def ensure_demo_source() -> str:
    """Create the demo source and its sites, linked to the demo clients of the same name; returns a banner line."""
    url = f"http://127.0.0.1:{settings.DEMO_UNIFI_PORT}"
    source = Source.objects.create(
        kind="unifi", name=DEMO_SOURCE_NAME, base_url=url, is_demo=True,
        settings={"username": DEMO_USERNAME, "verify_tls": "true", "deployment": "auto"},
    )  # fmt: skip
    source_secrets.store(source, {"password": DEMO_PASSWORD})
    clients = {c.name: c for c in Client.objects.filter(name__in=DEMO_SITES)}
    for site in demo_simulator().sites.values():
        UnifiSite.objects.create(
            source=source, site_id=site.name, external_id=site.id, name=site.desc, client=clients.get(site.desc)
        )
    return f"UniFi demo source on the simulator at {url}"
