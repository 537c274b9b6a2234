"""The demo source of ``make run``: a ConnectWise source pointing at the simulator that ``make run`` starts.

``bootstrap_demo`` calls :func:`ensure_demo_sources` (one line) when it creates the demo data; ``PSA_DEMO_INTEGRATIONS=false`` turns it off.
The source is marked ``is_demo`` and can be deleted like any other; it is not recreated while any source exists.
"""

from __future__ import annotations

from django.conf import settings

from integrations import secrets as source_secrets
from integrations.connectwise.simulator import DEMO_CLIENT_ID, DEMO_COMPANY, DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from integrations.models import Source

DEMO_SOURCE_NAME = "ConnectWise (demo simulator)"
# The simulator's first companies carry the identifiers of bootstrap_demo's clients, so the sync links those.
DEMO_IDENTIFIERS = [
    ("ACME", "Acme Manufacturing"),
    ("BLUEBIRD", "Bluebird Dental Group"),
    ("COBALT", "Cobalt Legal LLP"),
    ("DRIFTWOOD", "Driftwood Hotels"),
]


def ensure_demo_sources(*, fresh: bool = True) -> str:
    """Create the demo ConnectWise source with fresh demo data (a database in use is never touched); returns a line
    for the ``make run`` banner."""
    if not settings.DEMO_INTEGRATIONS:
        return "off (PSA_DEMO_INTEGRATIONS=false)"
    if Source.objects.exists() or not fresh:
        return f"kept ({Source.objects.count()} integration sources present, none added)"
    url = f"http://127.0.0.1:{settings.DEMO_CONNECTWISE_PORT}"
    source = Source.objects.create(
        kind="connectwise",
        name=DEMO_SOURCE_NAME,
        base_url=url,
        settings={"company_id": DEMO_COMPANY, "client_id": DEMO_CLIENT_ID, "codebase": "v4_6_release/"},
        is_demo=True,
    )
    source_secrets.store(source, {"public_key": DEMO_PUBLIC_KEY, "private_key": DEMO_PRIVATE_KEY})
    from integrations.unifi.demo import ensure_demo_source as ensure_unifi_demo_source

    unifi = ensure_unifi_demo_source()
    return f"ConnectWise demo source on the simulator at {url}; {unifi} (first syncs within a minute)"
