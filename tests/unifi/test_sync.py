"""The UniFi sync: sites into UniFi sites, devices onto the linked client's assets by MAC, idempotent re-runs."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from assets.models import Asset, AssetInterface
from integrations.models import ExternalRecord, SyncRun
from integrations.sync import build_client, run_job, run_jobs
from integrations.unifi.models import UnifiDevice, UnifiSite
from tests.factories import make_client
from tests.unifi.conftest import make_unifi_source

pytestmark = pytest.mark.django_db


def _sync(source, job):
    run = run_job(source, job, trigger=SyncRun.Trigger.MANUAL)
    assert run.status == SyncRun.Status.SUCCEEDED, (run.message, run.errors)
    return run


def _secrets(sim) -> set[str]:
    found = set()
    for site in sim.sites.values():
        for wlan in site.wlans.values():
            found.add(wlan["x_passphrase"])
            found.update(k["password"] for k in wlan.get("private_preshared_keys") or [])
    return found


def test_sites_then_devices_land_on_the_linked_clients_assets(served, caplog):
    caplog.set_level(logging.DEBUG)
    source = make_unifi_source(served.url)
    run = _sync(source, "unifi.sites")
    assert run.created == 2
    hq = UnifiSite.objects.get(source=source, site_id="default")
    assert hq.name == "Acme HQ" and hq.client is None
    client = make_client("Acme")
    hq.client = client
    hq.save()
    run = _sync(source, "unifi.devices")
    assert run.created == 12
    devices = {d["mac"]: d for d in served.sim.site("default").devices}
    assets = Asset.objects.filter(client=client)
    assert assets.count() == len(devices)
    ap = UnifiDevice.objects.get(site=hq, mac=next(m for m, d in devices.items() if d["type"] == "uap"))
    assert ap.asset.type == Asset.Type.ACCESS_POINT and ap.asset.make == "Ubiquiti"
    assert ap.asset.model == devices[ap.mac]["model"] and ap.firmware == devices[ap.mac]["version"]
    assert ap.asset.os == f"UniFi firmware {ap.firmware}" and ap.state == "connected" and ap.last_seen is not None
    interface = AssetInterface.objects.get(asset=ap.asset)
    assert interface.mac == ap.mac and interface.ipv4 == devices[ap.mac]["ip"] and interface.is_primary
    # The depot is not linked: its devices are tracked, but belong to no client's assets.
    depot = UnifiSite.objects.exclude(pk=hq.pk).get(source=source)
    assert UnifiDevice.objects.filter(site=depot, asset__isnull=True).count() == 6
    # Never a passphrase or PPSK key in our tables or our logs.
    stored = " ".join(str(p) for p in ExternalRecord.objects.values_list("payload", flat=True))
    stored += " ".join(str(row) for row in UnifiDevice.objects.values()) + str(list(UnifiSite.objects.values()))
    for secret in _secrets(served.sim):
        assert secret not in stored and secret not in caplog.text


def test_a_resync_with_nothing_changed_writes_nothing(served):
    source = make_unifi_source(served.url)
    _sync(source, "unifi.sites")
    UnifiSite.objects.filter(site_id="default").update(client=make_client("Acme"))
    _sync(source, "unifi.devices")
    sites, devices = _sync(source, "unifi.sites"), _sync(source, "unifi.devices")
    assert (sites.created, sites.updated, sites.unchanged) == (0, 0, 2)
    assert (devices.created, devices.updated, devices.unchanged) == (0, 0, 12)


def test_an_existing_asset_with_the_mac_is_updated_not_duplicated(served):
    source = make_unifi_source(served.url)
    _sync(source, "unifi.sites")
    client = make_client("Acme")
    UnifiSite.objects.filter(site_id="default").update(client=client)
    device = served.sim.site("default").devices[0]
    mine = Asset.objects.create(client=client, name="Documented by hand", notes="keep me")
    AssetInterface.objects.create(asset=mine, name="eth0", mac=device["mac"], is_primary=True)
    _sync(source, "unifi.devices")
    mine.refresh_from_db()
    assert mine.name == device["name"] and mine.notes == "keep me"
    assert AssetInterface.objects.filter(mac=device["mac"]).count() == 1
    assert Asset.objects.filter(client=client).count() == 6


def test_linking_a_site_later_creates_its_assets_at_the_next_run(served):
    source = make_unifi_source(served.url)
    run_jobs(source)
    assert not Asset.objects.exists()
    client = make_client("Acme")
    UnifiSite.objects.filter(site_id="default").update(client=client)
    run = _sync(source, "unifi.devices")
    assert run.updated == 6 and Asset.objects.filter(client=client).count() == 6


def test_a_site_gone_from_the_controller_is_marked_deleted(served):
    source = make_unifi_source(served.url)
    _sync(source, "unifi.sites")
    gone = served.sim.sites.pop(next(name for name in served.sim.sites if name != "default"))
    run = _sync(source, "unifi.sites")
    assert run.deleted == 1
    assert UnifiSite.objects.get(site_id=gone.name).deleted_at is not None


def test_an_expired_session_mid_sync_logs_in_again(served):
    source = make_unifi_source(served.url)
    _sync(source, "unifi.sites")
    served.sim.expire_sessions()
    _sync(source, "unifi.devices")
    assert served.sim.logins == 2


def test_a_controller_down_fails_the_run_with_a_message(served):
    source = make_unifi_source(served.url)
    served.sim.add_fault(status=503, match="/self/sites", times=10)
    delays = []  # the retries are real requests; only their back-off is recorded rather than waited out
    client = build_client(source, sleep=delays.append)
    try:
        run = run_job(source, "unifi.sites", client=client)
    finally:
        client.close()
    assert run.status == SyncRun.Status.FAILED and "503" in run.message
    assert len(delays) == settings.INTEGRATIONS_HTTP_ATTEMPTS - 1


def test_a_malformed_device_is_one_error_in_a_partial_run(served):
    source = make_unifi_source(served.url)
    _sync(source, "unifi.sites")
    served.sim.site("default").devices[0]["mac"] = "not-a-mac"
    run = run_job(source, "unifi.devices")
    assert run.status == SyncRun.Status.PARTIAL and run.failed == 1 and "MAC" in run.errors[0]["message"]
    assert UnifiDevice.objects.count() == 11
