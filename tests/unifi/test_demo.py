"""The UniFi demo source of make run: created with the demo data, its sites linked to the demo clients, synced."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from assets.models import Asset
from integrations.models import Source, SyncRun
from integrations.sync import run_job
from integrations.unifi.demo import DEMO_SITES, demo_simulator
from integrations.unifi.models import UnifiDevice, UnifiSite
from tests.unifi.conftest import Served

pytestmark = pytest.mark.django_db


def test_bootstrap_demo_adds_a_unifi_source_whose_sync_fills_the_demo_clients_assets(settings):
    served = Served(demo_simulator())
    try:
        settings.DEMO_UNIFI_PORT = served.server.port
        call_command("bootstrap_demo", stdout=io.StringIO())
        source = Source.objects.get(kind="unifi", is_demo=True)
        linked = UnifiSite.objects.filter(source=source, client__isnull=False)
        assert sorted(linked.values_list("client__name", flat=True)) == sorted(DEMO_SITES)
        for job in ("unifi.sites", "unifi.devices"):
            run = run_job(source, job, trigger=SyncRun.Trigger.DEMO)
            assert run.status == SyncRun.Status.SUCCEEDED, run.message
        acme = linked.get(client__name="Acme Manufacturing").client
        synced = UnifiDevice.objects.filter(site__client=acme, asset__client=acme)
        assert synced.count() == 8 and Asset.objects.filter(pk__in=synced.values("asset_id")).count() == 8
    finally:
        served.stop()
