"""The client page's UniFi tab, the WLAN edit and PPSK pages, and the audited passphrase reveal."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from integrations.unifi.models import UnifiSite
from integrations.unifi.simulator import UnifiSimulator
from psa.models import AuditEvent
from tests.factories import make_client, make_user
from tests.unifi.conftest import Served, make_unifi_source

pytestmark = pytest.mark.django_db

ALL = ["client.read", "unifi.*", "obj.*"]


@pytest.fixture
def page(os_served):
    source = make_unifi_source(os_served.url)
    client = make_client("Acme")
    sim_site = os_served.sim.site("default")
    site = UnifiSite.objects.create(source=source, site_id="default", external_id=sim_site.id, name="Acme HQ",
                                    client=client)  # fmt: skip
    wlans = {w["name"]: w for w in sim_site.wlans.values()}
    return {"sim": os_served.sim, "client": client, "site": site, "wlans": wlans,
            "url": f"/clients/{client.pk}/unifi/", "wlan": f"/clients/{client.pk}/unifi/{site.pk}/wifi"}  # fmt: skip


def browser(nodes) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(make_user(nodes))
    return browser


def test_the_tab_shows_sites_networks_limits_and_never_a_passphrase(page):
    response = browser(ALL).get(page["url"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme HQ" in html and "Corporate" in html and "SSIDs per access point radio" in html
    assert 'data-reveal-url="' in html
    for wlan in page["wlans"].values():
        assert wlan["x_passphrase"] not in html
    assert "ppsk-default-thermostat" not in html
    # The tab is on the client page.
    assert (
        f'href="/clients/{page["client"].pk}/unifi/"'
        in browser(ALL).get(f"/clients/{page['client'].pk}/").content.decode()
    )


def test_the_tab_needs_unifi_access_and_stays_in_scope(page):
    assert browser(["client.read", "obj.*"]).get(page["url"]).status_code == 403
    other = make_client("Other")
    scoped = BrowserClient()
    scoped.force_login(make_user(ALL, clients=[other]))
    assert scoped.get(page["url"]).status_code == 404


def test_without_the_passphrase_node_there_is_no_reveal(page):
    nodes = ["client.read", "unifi.access", "unifi.site.wifi", "unifi.site.wifi.read.name"]
    html = browser(nodes).get(page["url"]).content.decode()
    assert "Corporate" in html and "data-reveal-url" not in html
    wlan_id = page["wlans"]["Corporate"]["_id"]
    assert browser(nodes).get(f"{page['wlan']}/{wlan_id}/passphrase/").status_code == 403


def test_reveal_returns_the_passphrase_and_is_audited_without_it(page):
    wlan = page["wlans"]["Corporate"]
    response = browser(ALL).get(f"{page['wlan']}/{wlan['_id']}/passphrase/")
    assert response.status_code == 200 and response.json() == {"data": {"value": wlan["x_passphrase"]}}
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="reveal", object_type="unifi.wlan")
    assert event.changes["fields"] == ["passphrase"] and wlan["x_passphrase"] not in str(event.changes)


def test_editing_a_wlan_validates_like_the_api_and_saves_on_the_controller(page):
    wlan = page["wlans"]["Guest"]
    url = f"{page['wlan']}/{wlan['_id']}/edit/"
    you = browser(ALL)
    assert you.get(url).status_code == 200
    form = {"name": "Guests", "security": "wpapsk", "wpa_mode": "wpa2", "band": "both", "enabled": "on",
            "x_passphrase": "short"}  # fmt: skip
    response = you.post(url, form)
    assert response.status_code == 400 and "at least 8 characters" in response.content.decode()
    assert wlan["name"] == "Guest"
    form["x_passphrase"] = "visitors-welcome-2026"
    response = you.post(url, form)
    assert response.status_code == 302
    assert (wlan["name"], wlan["x_passphrase"]) == ("Guests", "visitors-welcome-2026")
    event = AuditEvent.objects.get(action="update", object_type="unifi.wlan")
    assert "visitors-welcome-2026" not in str(event.changes)


def test_adding_a_ppsk(page):
    wlan = page["wlans"]["Corporate"]
    url = f"{page['wlan']}/{wlan['_id']}/ppsk/new/"
    you = browser(ALL)
    assert you.post(url, {"name": "Printer", "key": "short"}).status_code == 400
    response = you.post(url, {"name": "Printer", "key": "printer-key-2026", "vlan_id": "30"})
    assert response.status_code == 302
    assert wlan["private_preshared_keys"][-1]["name"] == "Printer"
    assert you.post(url, {"name": "Nope", "key": "printer-key-2026", "vlan_id": "77"}).status_code == 400


def test_a_controller_that_is_down_shows_a_message_not_an_error():
    served = Served(UnifiSimulator("unifi_os", sites=1, devices_per_site=2))
    source = make_unifi_source(served.url)
    served.stop()
    client = make_client("Acme")
    UnifiSite.objects.create(source=source, site_id="default", name="Acme HQ", client=client)
    response = browser(ALL).get(f"/clients/{client.pk}/unifi/")
    assert response.status_code == 200 and "could not be reached" in response.content.decode()
