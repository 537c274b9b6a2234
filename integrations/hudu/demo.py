"""The Hudu demo source of ``make run``, on the simulator ``make run`` starts (``manage.py simulate hudu``)."""

from __future__ import annotations

from django.conf import settings

from integrations import secrets as source_secrets
from integrations.demo import DEMO_IDENTIFIERS
from integrations.hudu.simulator import DEMO_API_KEY
from integrations.models import Source

DEMO_SOURCE_NAME = "Hudu (demo simulator)"
# The simulator's first companies carry the names of bootstrap_demo's clients, so the sync maps them by name.
DEMO_COMPANY_NAMES = [name for _identifier, name in DEMO_IDENTIFIERS]


def ensure_hudu_demo_source() -> str:
    """Create the demo Hudu source (called by :func:`integrations.demo.ensure_demo_sources`); returns its URL."""
    url = f"http://127.0.0.1:{settings.DEMO_HUDU_PORT}"
    source = Source.objects.create(kind="hudu", name=DEMO_SOURCE_NAME, base_url=url,
                                   settings={"create_clients": "true"}, is_demo=True)  # fmt: skip
    source_secrets.store(source, {"api_key": DEMO_API_KEY})
    return url
