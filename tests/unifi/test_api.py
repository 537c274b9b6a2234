"""The UniFi routes against the simulator on loopback: field gating, WLAN validation and audit, PPSK, the SSID limit,
site tracking, and a controller that is down, slow, throttling or failing (never a 500)."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from integrations.unifi.models import UnifiSite
from psa.models import AuditEvent
from tests.factories import api_for, make_client
from tests.unifi.conftest import make_unifi_source

pytestmark = pytest.mark.django_db

WIFI = ["unifi.access", "unifi.site.wifi"]


@pytest.fixture
def world(os_served):
    source = make_unifi_source(os_served.url)
    client = make_client("Acme")
    sim_site = os_served.sim.site("default")
    site = UnifiSite.objects.create(source=source, site_id="default", external_id=sim_site.id, name="Acme HQ",
                                    client=client)  # fmt: skip
    wlans = {w["name"]: w for w in sim_site.wlans.values()}
    return {"sim": os_served.sim, "source": source, "client": client, "site": site, "wlans": wlans,
            "url": f"/api/v1/unifi/site/{site.pk}"}  # fmt: skip


def _puts(sim) -> list:
    return sim.requests.matching(method="PUT")


# --- field-by-field Wi-Fi gating ---------------------------------------------------------------------------------


def test_wifi_shows_only_the_fields_the_caller_may_read(world):
    api, *_ = api_for([*WIFI, "unifi.site.wifi.read.name", "unifi.site.wifi.read.enabled"])
    response = api.get(f"{world['url']}/wifi")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert rows and all(set(row) == {"name", "enabled"} for row in rows)
    assert world["wlans"]["Corporate"]["x_passphrase"] not in response.content.decode()


def test_wifi_read_star_shows_every_field_but_ppsk_keys_need_the_ppsk_node(world):
    api, *_ = api_for([*WIFI, "unifi.site.wifi.read.*"])
    iot = next(r for r in api.get(f"{world['url']}/wifi").json()["data"] if r["name"] == "IoT")
    assert iot["passphrase"] == world["wlans"]["IoT"]["x_passphrase"] and iot["hide_ssid"] is False
    assert iot["private_pre_shared_keys"] == [{"name": "Thermostats", "mac": None, "vlan_id": 30}]
    api, *_ = api_for([*WIFI, "unifi.site.wifi.read.*", "unifi.site.wifi.ppsk"])
    iot = next(r for r in api.get(f"{world['url']}/wifi").json()["data"] if r["name"] == "IoT")
    assert iot["private_pre_shared_keys"][0]["key"] == "ppsk-default-thermostat"


def test_wifi_needs_unifi_access_and_the_route_node(world):
    for nodes in (["unifi.site.wifi", "unifi.site.wifi.read.*"], ["unifi.access", "unifi.site.wifi.read.*"]):
        api, *_ = api_for(nodes)
        assert api.get(f"{world['url']}/wifi").status_code == 403
    assert api_for()[0].get(f"{world['url']}/wifi").status_code == 403


def test_a_site_of_another_client_is_404_before_the_controller_is_asked(world):
    other = make_client("Other")
    api, *_ = api_for(["*"], key_clients=[other])
    before = len(world["sim"].requests)
    assert api.get(f"{world['url']}/wifi").status_code == 404
    assert len(world["sim"].requests) == before


# --- PATCH a WLAN -------------------------------------------------------------------------------------------------

UPDATE = [*WIFI, "unifi.site.wifi.update", "unifi.site.wifi.read.*"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"x_passphrase": "short"}, "x_passphrase"),
        ({"x_passphrase": "x" * 64}, "x_passphrase"),
        ({"x_passphrase": "caf\u00e9-latte-password"}, "x_passphrase"),
        ({"x_passphrase": "tab\there-password"}, "x_passphrase"),
        ({"security": "wep"}, "security"),
        ({"wpa_mode": "wpa1"}, "wpa_mode"),
        ({"band": "6g"}, "band"),
        ({"name": ""}, "name"),
        ({"name": "n" * 33}, "name"),
        ({"enabled": "yes"}, "enabled"),
        ({"vlan": 5}, "vlan"),
        ({"security": "open", "x_passphrase": "good-passphrase"}, "x_passphrase"),
    ],
)
def test_a_bad_wlan_change_is_a_400_naming_the_field_and_nothing_is_sent(world, body, field):
    api, *_ = api_for(UPDATE)
    wlan_id = world["wlans"]["Corporate"]["_id"]
    response = api.patch(f"{world['url']}/wifi/{wlan_id}", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["path"] == [field]
    assert _puts(world["sim"]) == []


def test_an_empty_change_is_a_400(world):
    api, *_ = api_for(UPDATE)
    response = api.patch(f"{world['url']}/wifi/{world['wlans']['Guest']['_id']}", {}, format="json")
    assert response.status_code == 400


def test_a_wlan_change_reaches_the_controller_and_is_audited_without_the_passphrase(world):
    api, *_ = api_for(UPDATE)
    wlan = world["wlans"]["Corporate"]
    body = {"name": "Corp-5G", "x_passphrase": "A new passphrase 42", "band": "5g", "wpa_mode": "wpa2wpa3"}
    response = api.patch(f"{world['url']}/wifi/{wlan['_id']}", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["band"], data["bands"], data["wpa3_transition"]) == ("Corp-5G", "5g", ["5g"], True)
    assert wlan["x_passphrase"] == "A new passphrase 42"
    event = AuditEvent.objects.get(object_type="unifi.wlan", object_id=wlan["_id"])
    assert event.client_id == world["client"].pk and event.action == "update"
    assert event.changes["name"] == {"old": "Corporate", "new": "Corp-5G"}
    assert event.changes["passphrase"] == {"old": "[redacted]", "new": "[redacted]"}
    assert "A new passphrase 42" not in str(event.changes) and "Corp-default-pass" not in str(event.changes)


def test_the_response_to_a_change_is_gated_too(world):
    api, *_ = api_for([*WIFI, "unifi.site.wifi.update", "unifi.site.wifi.read.name"])
    response = api.patch(f"{world['url']}/wifi/{world['wlans']['Guest']['_id']}", {"x_passphrase": "guests-2026!"},
                         format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["data"] == {"name": "Guest"}


def test_an_unknown_wlan_is_404(world):
    api, *_ = api_for(UPDATE)
    assert api.patch(f"{world['url']}/wifi/{'0' * 24}", {"enabled": True}, format="json").status_code == 404
    assert api.patch(f"{world['url']}/wifi/bad%3Fid", {"enabled": True}, format="json").status_code == 404


# --- the SSID limit ------------------------------------------------------------------------------------------------


def test_wifi_limits_count_ssids_per_access_point_radio(world):
    api, *_ = api_for(["unifi.access", "unifi.site.wifi-limits"])
    rows = api.get(f"{world['url']}/wifi-limits").json()["data"]
    aps = [d for d in world["sim"].site("default").devices if d["type"] == "uap"]
    assert {row["mac"] for row in rows} == {d["mac"] for d in aps}
    ng = next(r for r in rows[0]["radios"] if r["radio"] == "ng")
    assert (ng["band"], ng["active_wlans"], ng["limit"], ng["remaining"]) == ("2g", 3, 8, 5)
    assert ng["wlan_names"] == ["Corporate", "Guest", "IoT"]
    na = next(r for r in rows[0]["radios"] if r["radio"] == "na")
    assert na["active_wlans"] == 2 and na["wlan_names"] == ["Corporate", "Guest"]


def test_enabling_a_wlan_past_the_sources_limit_is_a_409_naming_the_access_points(world):
    world["source"].settings = {**world["source"].settings, "ssid_limit": "3"}
    world["source"].save()
    spare = dict(
        world["wlans"]["Guest"], _id="6f" * 12, name="Spare", enabled=False, wlan_bands=["2g", "5g"], wlan_band="both"
    )
    world["sim"].site("default").wlans[spare["_id"]] = spare
    api, *_ = api_for([*UPDATE, "unifi.site.wifi-limits"])
    response = api.patch(f"{world['url']}/wifi/{spare['_id']}", {"enabled": True}, format="json")
    assert response.status_code == 409, response.content
    message = response.json()["error"]["message"]
    ap_names = [d["name"] for d in world["sim"].site("default").devices if d["type"] == "uap"]
    assert all(f"{name} (2g)" in message for name in ap_names) and "(5g)" not in message
    assert spare["enabled"] is False and _puts(world["sim"]) == []
    # On 5 GHz only it fits: 2 of 3 are in use there.
    response = api.patch(f"{world['url']}/wifi/{spare['_id']}", {"enabled": True, "band": "5g"}, format="json")
    assert response.status_code == 200 and spare["enabled"] is True
    limits = api.get(f"{world['url']}/wifi-limits").json()["data"][0]["radios"]
    assert next(r for r in limits if r["band"] == "5g")["remaining"] == 0


# --- private pre-shared keys --------------------------------------------------------------------------------------

PPSK = [*WIFI, "unifi.site.wifi.ppsk"]


def test_ppsk_list_shows_keys_to_holders_of_the_ppsk_node(world):
    api, *_ = api_for(PPSK)
    response = api.get(f"{world['url']}/wifi/{world['wlans']['IoT']['_id']}/ppsk")
    assert response.status_code == 200
    assert response.json()["data"] == [{"key": "ppsk-default-thermostat", "name": "Thermostats", "mac": None,
                                        "vlan_id": 30}]  # fmt: skip
    api, *_ = api_for(WIFI)
    assert api.get(f"{world['url']}/wifi/{world['wlans']['IoT']['_id']}/ppsk").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "short", "name": "Laptop"}, "key"),
        ({"key": "long-enough-key"}, "name"),
        ({"key": "long-enough-key", "name": "Laptop", "mac": "zz:zz"}, "mac"),
        ({"key": "long-enough-key", "name": "Laptop", "vlan_id": 999}, "vlan_id"),
        ({"key": "long-enough-key", "name": "Laptop", "vlan_id": 0}, "vlan_id"),
    ],
)
def test_a_bad_ppsk_is_a_400_naming_the_field(world, body, field):
    api, *_ = api_for([*PPSK, "unifi.site.wifi.ppsk.create"])
    response = api.post(f"{world['url']}/wifi/{world['wlans']['Corporate']['_id']}/ppsk", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["path"] == [field]
    assert _puts(world["sim"]) == []


def test_creating_a_ppsk_turns_ppsk_on_and_is_audited_without_the_key(world):
    api, *_ = api_for([*PPSK, "unifi.site.wifi.ppsk.create"])
    corporate = world["wlans"]["Corporate"]
    body = {"key": "johns-laptop-key", "name": "John's laptop", "mac": "AA-BB-CC-DD-EE-FF", "vlan_id": 30}
    response = api.post(f"{world['url']}/wifi/{corporate['_id']}/ppsk", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"] == [{"key": "johns-laptop-key", "name": "John's laptop",
                                        "mac": "aa:bb:cc:dd:ee:ff", "vlan_id": 30}]  # fmt: skip
    assert corporate["private_preshared_keys_enabled"] is True
    event = AuditEvent.objects.get(action="ppsk.create")
    assert "johns-laptop-key" not in str(event.changes) and event.changes["ppsk"]["new"]["name"] == "John's laptop"


# --- live reads ----------------------------------------------------------------------------------------------------


def test_live_reads_answer_in_our_shape_and_share_one_login(world):
    blind, *_ = api_for(["unifi.*"])
    assert blind.get(f"{world['url']}/overview").json()["data"]["site_info"] == {}  # obj.unifiSite.* gates them
    api, *_ = api_for(["unifi.*", "obj.unifiSite.*"])
    overview = api.get(f"{world['url']}/overview").json()["data"]
    assert overview["site_info"] == {"description": "Acme HQ", "name": "default"}
    assert {h["subsystem"] for h in overview["health"]} == {"wlan", "wan", "www", "lan", "vpn"}
    assert overview["sys_info"]["hostname"] == "UniFi-Controller"
    devices = api.get(f"{world['url']}/devices").json()
    assert devices["pagination"]["total"] == 6 and {d["state"] for d in devices["data"]} <= {
        "connected",
        "disconnected",
    }
    aps = api.get(f"{world['url']}/access-points").json()["data"]
    assert aps and {a["type"] for a in aps} == {"uap"}
    networks = api.get(f"{world['url']}/networks").json()["data"]
    assert {(n["name"], n["vlan_id"]) for n in networks} == {("LAN", None), ("IoT", 30)}
    groups = api.get(f"{world['url']}/ap-groups").json()["data"]
    assert groups[0]["name"] == "All APs" and groups[0]["no_delete"] is True
    assert api.get(f"{world['url']}/wlan-groups").json()["data"][0]["name"] == "Default"
    profiles = api.get(f"{world['url']}/speed-profiles").json()["data"]
    assert profiles == [{"id": profiles[0]["id"], "name": "Default", "site_id": world["site"].external_id,
                         "no_delete": True, "download_limit_kbps": -1, "upload_limit_kbps": -1}]  # fmt: skip
    assert world["sim"].logins == 1  # one session for the source, kept between requests


def test_speed_profile_and_wlan_group_creation(world):
    api, *_ = api_for(["unifi.*"])
    response = api.post(f"{world['url']}/speed-profiles", {"name": "Guest 10M", "download_limit_kbps": 10000,
                                                          "upload_limit_kbps": 5000}, format="json")  # fmt: skip
    assert response.status_code == 201
    assert (response.json()["data"]["download_limit_kbps"], response.json()["data"]["upload_limit_kbps"]) == (
        10000, 5000)  # fmt: skip
    unlimited = api.post(f"{world['url']}/speed-profiles", {"name": "Open"}, format="json").json()["data"]
    assert unlimited["download_limit_kbps"] == -1
    for bad in (0, 1, 100001, -2):
        response = api.post(f"{world['url']}/speed-profiles", {"name": "x", "upload_limit_kbps": bad}, format="json")
        assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["upload_limit_kbps"]
    assert api.post(f"{world['url']}/wlan-groups", {"name": "Lobby"}, format="json").status_code == 201
    assert api.post(f"{world['url']}/wlan-groups", {}, format="json").status_code == 400
    assert AuditEvent.objects.filter(object_type__in=["unifi.usergroup", "unifi.wlangroup"]).count() == 3


# --- a controller in trouble ---------------------------------------------------------------------------------------


def _error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_a_controller_that_is_down_is_503_upstream_unavailable(world):
    world["source"].base_url = "http://127.0.0.1:9"
    world["source"].save()
    api, *_ = api_for(["unifi.*"])
    assert _error(api.get(f"{world['url']}/devices"), 503)["code"] == "UPSTREAM_UNAVAILABLE"


def test_a_slow_controller_is_503_within_the_live_timeout(world, settings):
    settings.UNIFI_LIVE_TIMEOUT = 1
    world["sim"].add_fault(status=200, delay=1.5, match="/stat/device")
    api, *_ = api_for(["unifi.*"])
    error = _error(api.get(f"{world['url']}/devices"), 503)
    assert error["code"] == "UPSTREAM_UNAVAILABLE" and "Timed out" in error["message"]


def test_rc_error_and_refused_login_are_502_with_unifis_message(world):
    world["sim"].rc_error_paths.add("stat/health")
    api, *_ = api_for(["unifi.*"])
    error = _error(api.get(f"{world['url']}/overview"), 502)
    assert error["code"] == "UPSTREAM_UNAVAILABLE" and "api.err.ServerBusy" in error["message"]
    world["sim"].password = "changed-on-the-controller"
    world["sim"].expire_sessions()
    error = _error(api.get(f"{world['url']}/devices"), 502)
    assert "login" in error["message"] and "changed-on-the-controller" not in error["message"]


def test_a_throttled_login_is_503(world):
    world["sim"].throttle_logins(1)
    api, *_ = api_for(["unifi.*"])
    assert "throttling" in _error(api.get(f"{world['url']}/devices"), 503)["message"]


# --- tracked sites --------------------------------------------------------------------------------------------------


def test_sync_tracks_the_controllers_sites(world):
    api, *_ = api_for(["unifi.access", "unifi.sites.sync", "obj.unifiSite.*"])
    response = api.post("/api/v1/unifi/sites/sync")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {s["site_id"] for s in body["data"]} == set(world["sim"].sites)
    assert body["meta"]["runs"][0]["status"] == "succeeded"
    scoped, *_ = api_for(["*"], key_clients=[world["client"]])
    assert scoped.post("/api/v1/unifi/sites/sync").status_code == 403


def test_sync_with_the_controller_down_is_503_and_records_the_failed_run(world):
    world["source"].base_url = "http://127.0.0.1:9"
    world["source"].save()
    api, *_ = api_for(["unifi.access", "unifi.sites.sync"])
    assert _error(api.post("/api/v1/unifi/sites/sync"), 503)["code"] == "UPSTREAM_UNAVAILABLE"
    assert SyncRun.objects.get(job="unifi.sites").status == SyncRun.Status.FAILED


def test_create_site_on_the_controller_and_track_it(world):
    api, *_ = api_for(["unifi.access", "unifi.sites.create", "obj.unifiSite.*"])
    response = api.post("/api/v1/unifi/sites/create", {"description": "New Office"}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["name"] == "New Office" and data["site_id"] in world["sim"].sites and data["client_id"] is None
    assert api.post("/api/v1/unifi/sites/create", {}, format="json").status_code == 400
    make_unifi_source("http://127.0.0.1:9", name="Second UniFi")
    error = _error(api.post("/api/v1/unifi/sites/create", {"description": "Where?"}, format="json"), 400)
    assert error["details"][0]["path"] == ["source_id"]


def test_link_and_unlink_a_site(world):
    site = world["site"]
    site.client = None
    site.save()
    other = make_client("Bluebird")
    api, *_ = api_for(["unifi.access", "unifi.sites.link", "unifi.sites.fetch", "obj.*"])
    response = api.post(f"{world['url']}/link", {"client_id": str(other.pk)}, format="json")
    assert response.status_code == 200 and response.json()["data"]["client"] == {
        "id": str(other.pk),
        "name": "Bluebird",
    }
    assert api.post(f"{world['url']}/link", {"client_id": "nope"}, format="json").status_code == 400
    listed, *_ = api_for(["unifi.access", "client.read", "obj.*"])
    assert [s["id"] for s in listed.get(f"/api/v1/clients/{other.pk}/unifi/sites").json()["data"]] == [str(site.pk)]
    assert api.post(f"{world['url']}/unlink").json()["data"]["client_id"] is None
    assert AuditEvent.objects.filter(object_type="unifi.unifisite", action="update").count() == 2


def test_a_sites_fields_are_gated_by_obj_unifi_site(world):
    api, *_ = api_for(["unifi.access", "unifi.sites.fetch", "obj.unifiSite.site_id"])
    assert api.get(world["url"]).json()["data"] == {"id": str(world["site"].pk), "site_id": "default"}


# --- a UniFi source through the sources API ------------------------------------------------------------------------


def test_a_unifi_source_keeps_its_password_in_the_vault_and_checks_its_settings(admin_api):
    client, *_ = admin_api
    body = {"kind": "unifi", "name": "Main console", "base_url": "https://192.168.1.1",
            "settings": {"username": "psa", "verify_tls": "false", "ssid_limit": "4"},
            "secrets": {"password": "console-password-123"}}  # fmt: skip
    response = client.post("/api/v1/integrations/sources", body, format="json")
    assert response.status_code == 201, response.content
    assert "console-password-123" not in response.content.decode()
    assert response.json()["data"]["secrets_set"] == ["password"]
    for settings, field in (({"username": "psa", "ssid_limit": "40"}, "ssid_limit"),
                            ({"username": "psa", "verify_tls": "maybe"}, "verify_tls"),
                            ({"username": "psa", "deployment": "cloud"}, "deployment"),
                            ({"verify_tls": "true"}, "username")):  # fmt: skip
        response = client.post("/api/v1/integrations/sources", {**body, "name": f"Bad {field}", "settings": settings},
                               format="json")  # fmt: skip
        assert response.status_code == 400, (field, response.content)
        assert response.json()["error"]["details"][0]["path"] == ["settings", field]
