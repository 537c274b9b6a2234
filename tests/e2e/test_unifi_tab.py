"""The client page's UniFi tab in headless Chromium, against the UniFi OS simulator on loopback: sites and devices
after a real sync, a passphrase revealed on demand, a WLAN edited and a PPSK created on the controller."""

import pytest

from assets.models import Asset
from integrations.models import SyncRun
from integrations.sync import run_job
from integrations.unifi.models import UnifiDevice, UnifiSite
from integrations.unifi.simulator import UnifiSimulator
from psa.models import AuditEvent
from tests.e2e.conftest import sign_in
from tests.factories import make_client, make_user
from tests.unifi.conftest import make_unifi_source

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def controller():
    simulator = UnifiSimulator("unifi_os", sites=1, devices_per_site=4, site_names=["Acme HQ"])
    with simulator.serve() as server:
        yield simulator, server.url


def _synced_client(url: str):
    """A client whose UniFi site came in by a sites sync, was linked, and whose devices then synced."""
    source = make_unifi_source(url)
    client = make_client("Acme Manufacturing")
    assert run_job(source, "unifi.sites", trigger=SyncRun.Trigger.MANUAL).status == SyncRun.Status.SUCCEEDED
    UnifiSite.objects.filter(source=source, site_id="default").update(client=client)
    run = run_job(source, "unifi.devices", trigger=SyncRun.Trigger.MANUAL)
    assert run.status == SyncRun.Status.SUCCEEDED, (run.message, run.errors)
    return client


def test_the_unifi_tab_after_a_sync_reveal_edit_and_ppsk(page, controller):
    sim, url = controller
    client = _synced_client(url)
    user = make_user(["*"], login="nina", name="Nina Network")
    user.set_password(PASSWORD)
    user.save()
    site = sim.site("default")
    wlans = {w["name"]: w for w in site.wlans.values()}
    sign_in(page, "nina", PASSWORD)

    # 1. The tab: the synced site, the devices (now the client's assets) and the Wi-Fi networks, live.
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="UniFi").first.click()
    page.get_by_role("heading", name="Wi-Fi networks").wait_for()
    assert page.get_by_role("heading", name="Sites").is_visible()
    assert "Acme HQ" in page.locator("[aria-labelledby=sites-heading]").inner_text()
    devices = page.locator("table", has=page.locator("caption", has_text="Devices of the chosen site"))
    for device in site.devices:
        assert device["mac"] in devices.inner_text()
    assert Asset.objects.filter(client=client).count() == len(site.devices) == UnifiDevice.objects.count()
    networks = page.locator("table", has=page.locator("caption", has_text="Wi-Fi networks of the chosen site"))
    for name in ("Corporate", "Guest", "IoT"):
        assert networks.get_by_role("rowheader", name=name).count() == 1
    assert wlans["Corporate"]["x_passphrase"] not in page.content()

    # 2. The passphrase, revealed on demand (and audited).
    row = networks.locator("tr", has=page.get_by_role("rowheader", name="Corporate", exact=True))
    value = row.locator("[data-secret-value]")
    row.get_by_role("button", name="Reveal the passphrase of Corporate").click()
    page.wait_for_function("el => el.textContent !== '••••••••'", arg=value.element_handle())
    assert value.inner_text() == wlans["Corporate"]["x_passphrase"]
    assert AuditEvent.objects.filter(action="reveal", object_type="unifi.wlan").count() == 1

    # 3. Edit the guest network on the controller: a short passphrase is refused first, naming the problem.
    networks.get_by_role("link", name="Edit Guest").click()
    page.get_by_label("Network name (SSID)").fill("Visitors")
    page.get_by_label("New passphrase").fill("short")
    page.get_by_role("button", name="Save on the controller").click()
    page.get_by_text("at least 8 characters").first.wait_for()
    assert wlans["Guest"]["name"] == "Guest"
    page.get_by_label("New passphrase").fill("visitors-welcome-2026")
    page.get_by_role("button", name="Save on the controller").click()
    page.get_by_role("heading", name="Wi-Fi networks").wait_for()
    assert (wlans["Guest"]["name"], wlans["Guest"]["x_passphrase"]) == ("Visitors", "visitors-welcome-2026")
    assert page.get_by_role("rowheader", name="Visitors").count() == 1

    # 4. A private pre-shared key on the corporate network.
    page.get_by_role("link", name="Add key to Corporate").click()
    page.get_by_label("Name").fill("Front desk printer")
    page.locator("input[name=key]").fill("printer-key-2026")
    page.get_by_role("button", name="Add the key").click()
    page.get_by_text("Added the private key Front desk printer").wait_for()
    assert wlans["Corporate"]["private_preshared_keys"][-1]["name"] == "Front desk printer"
    assert "printer-key-2026" not in page.content()
