"""The UniFi client against the simulator on loopback: both deployment types, the one session, re-login, errors."""

from __future__ import annotations

import pytest

from integrations.http import AuthenticationError, MalformedResponseError, RateLimitedError, RetryPolicy, UpstreamError
from integrations.unifi.client import (
    CLASSIC,
    UNIFI_OS,
    MemorySessionStore,
    UnifiApiError,
    UnifiClient,
    UnifiNotFoundError,
    UnifiRejectedError,
)
from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME, UnifiSimulator
from tests.unifi.conftest import Served


def client_for(served, store=None, **kwargs) -> UnifiClient:
    kwargs.setdefault("retry", RetryPolicy(attempts=2, base_delay=0, max_delay=0))
    kwargs.setdefault("password", DEMO_PASSWORD)
    return UnifiClient(served.url, username=DEMO_USERNAME, session_store=store, sleep=lambda s: None, **kwargs)


def test_detects_the_deployment_and_reads_sites(served):
    with client_for(served) as api:
        sites = api.sites()
        assert api.deployment == served.sim.mode
        assert {s["desc"] for s in sites} == {"Acme HQ", "Acme Depot"}
        assert api.devices("default") and api.wlans("default")
    prefix = "/proxy/network" if served.sim.mode == UNIFI_OS else ""
    assert [r.status for r in served.sim.requests.matching(f"{prefix}/api/self/sites", "GET")] == [200]


def test_one_login_serves_many_calls_and_clients_sharing_the_store(served):
    store = MemorySessionStore()
    with client_for(served, store) as api:
        for _ in range(5):
            api.sites()
    with client_for(served, store) as again:  # another process, same source: the stored session is reused
        again.health("default")
        assert again.logins == 0
    assert served.sim.logins == 1
    assert store.session["deployment"] == served.sim.mode


def test_an_expired_session_logs_in_again_once_and_replays(served):
    with client_for(served) as api:
        api.sites()
        served.sim.expire_sessions()
        assert len(api.sites()) == 2
        assert api.logins == 2
    statuses = [r.status for r in served.sim.log("/api/self/sites")]
    assert statuses == [200, 401, 200]


def test_wrong_password_is_an_authentication_error_without_the_password(served):
    with client_for(served, password="not-the-password") as api, pytest.raises(AuthenticationError) as caught:
        api.sites()
    assert "not-the-password" not in str(caught.value) and "not-the-password" not in caught.value.message


def test_throttled_login_is_rate_limited_and_never_retried(served):
    served.sim.throttle_logins(3)
    retry = RetryPolicy(attempts=5, base_delay=0, max_delay=0)
    with client_for(served, retry=retry) as api, pytest.raises(RateLimitedError) as caught:
        api.sites()
    assert "login attempt limit" in caught.value.message
    assert served.sim.logins == 1  # one attempt: hammering a rate-limited login locks it out longer


def test_repeated_failed_logins_hit_the_controllers_limit(served):
    served.sim.login_limit = 2
    for _ in range(2):
        with client_for(served, password="wrong-password-1") as api, pytest.raises(AuthenticationError):
            api.sites()
    with client_for(served) as api, pytest.raises(RateLimitedError):
        api.sites()


def test_rc_error_with_http_200_is_a_typed_error_with_unifis_message(served):
    served.sim.rc_error_paths.add("stat/sysinfo")
    with client_for(served) as api, pytest.raises(UnifiApiError) as caught:
        api.sysinfo("default")
    assert caught.value.code == "api.err.ServerBusy" and "api.err.ServerBusy" in caught.value.message


def test_unknown_site_and_id_are_not_found(served):
    with client_for(served) as api:
        with pytest.raises(UnifiNotFoundError) as site:
            api.devices("nosuchsite")
        assert site.value.code == "api.err.NoSiteContext"
        with pytest.raises(UnifiNotFoundError) as wlan:
            api.wlan("default", "0" * 24)
        assert wlan.value.code == "api.err.IdInvalid"


def test_a_refused_write_is_rejected_with_the_code(served):
    wlan_id = next(iter(served.sim.site("default").wlans))
    with client_for(served) as api, pytest.raises(UnifiRejectedError) as caught:
        api.update_wlan("default", wlan_id, {"x_passphrase": "short"})
    assert caught.value.code == "api.err.InvalidPassphrase"


def test_unifi_os_writes_carry_the_csrf_token(os_served):
    with client_for(os_served) as api:
        api.sites()
        api.csrf = "stale-token"
        with pytest.raises(AuthenticationError) as caught:
            api.create_wlangroup("default", "Lobby")
        assert caught.value.status == 403
        api.login()
        assert api.create_wlangroup("default", "Lobby")["name"] == "Lobby"


def test_udm_se_update_answers_empty_and_is_read_back():
    served = Served(UnifiSimulator("unifi_os", sites=1, devices_per_site=3, udm_se=True))
    try:
        wlan_id = next(iter(served.sim.site("default").wlans))
        with client_for(served) as api:
            assert api.update_wlan("default", wlan_id, {"hide_ssid": True})["hide_ssid"] is True
    finally:
        served.stop()


def test_api_key_skips_detection_and_login():
    served = Served(UnifiSimulator("unifi_os", sites=1, devices_per_site=2, api_key="integration-key-1"))
    try:
        with UnifiClient(served.url, api_key="integration-key-1") as api:
            assert api.sites()[0]["name"] == "default"
        assert served.sim.logins == 0 and "GET /" not in served.sim.requests
    finally:
        served.stop()


def test_a_slow_controller_times_out_as_upstream_error(os_served):
    os_served.sim.add_fault(status=200, delay=0.5, match="/stat/health", times=1)
    with client_for(os_served, timeout=0.1, retry=RetryPolicy(attempts=1)) as api:
        api.sites()
        with pytest.raises(UpstreamError) as caught:
            api.health("default")
    assert "Timed out" in caught.value.message


def test_a_server_error_is_retried_then_succeeds(os_served):
    os_served.sim.add_fault(status=502, match="/stat/device", times=1)
    with client_for(os_served) as api:
        assert api.devices("default")


def test_a_body_without_envelope_is_malformed(os_served):
    os_served.sim.add_fault(status=200, match="/rest/networkconf", body=[{"name": "LAN"}])
    with client_for(os_served) as api, pytest.raises(MalformedResponseError):
        api.networks("default")


def test_classic_rejects_the_unifi_os_prefix():
    served = Served(UnifiSimulator(CLASSIC, sites=1, devices_per_site=2))
    try:
        with (
            client_for(served, deployment=UNIFI_OS) as api,
            pytest.raises((AuthenticationError, UpstreamError, MalformedResponseError)),
        ):
            api.sites()
    finally:
        served.stop()
