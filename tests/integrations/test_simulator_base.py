"""The shared simulator base (integrations.simulator): faults, the redacted request log, the loopback runner, and
each vendor's use of them (expired credentials), plus ``manage.py simulate <vendor>``."""

from __future__ import annotations

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from werkzeug.wrappers import Request, Response

from integrations.hudu.simulator import DEMO_API_KEY, HuduSimulator, Size
from integrations.openid.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, OpenIdSimulator
from integrations.simulator import NotLoopback, Simulator, json_response
from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME, UnifiSimulator


class Echo(Simulator):
    vendor = "echo"
    fault_body = {"code": "EchoFault"}
    malformed_body = '{"trunc'

    def dispatch(self, request: Request) -> Response:
        if self.credentials_expired:
            return json_response({"code": "Expired"}, 401)
        return json_response({"path": request.path})


def http(app) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sim.test")


def test_a_queued_fault_answers_its_matching_requests_as_many_times_as_asked():
    sim = Echo()
    sim.fail_next(429, times=2, headers={"Retry-After": "7"}, match="/a")
    with http(sim) as client:
        assert client.get("/b").status_code == 200  # another path: not this fault's
        first, second, third = (client.get("/a") for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"], first.json()) == (429, "7", {"code": "EchoFault"})
    assert second.status_code == 429 and third.status_code == 200 and sim.faults == []


def test_a_fault_with_a_body_malformed_or_slow_only():
    sim = Echo()
    sim.fail_next(502, body={"message": "bad gateway"})
    sim.fail_next(200, malformed=True)
    sim.fail_next(0, delay=0.01)  # slow only: the real answer, late
    with http(sim) as client:
        assert client.get("/x").json() == {"message": "bad gateway"}
        malformed = client.get("/x")
        assert malformed.status_code == 200 and malformed.text == '{"trunc'
        assert client.get("/x").json() == {"path": "/x"}


def test_the_random_fault_share_is_seeded_and_spares_writes():
    def statuses(seed: int) -> list[int]:
        sim = Echo(seed=seed)
        sim.fault_rate = 0.5
        with http(sim) as client:
            assert all(client.post("/w").status_code == 200 for _ in range(10))
            return [client.get("/r").status_code for _ in range(40)]

    run = statuses(3)
    assert run == statuses(3) and set(run) == {200, 429, 500}


def test_the_request_log_redacts_keys_cookies_tokens_and_passwords():
    sim = Echo()
    with http(sim) as client:
        client.get("/login?password=hunter2&api_key=k-123&page=2", headers={
            "Authorization": "Basic c2VjcmV0", "x-api-key": "key-123", "Cookie": "TOKEN=abc", "Accept": "a/b"})  # fmt: skip
    (entry,) = sim.requests
    assert entry.query == {"password": "[REDACTED]", "api_key": "[REDACTED]", "page": "2"}
    assert entry.headers["Authorization"] == entry.headers["X-Api-Key"] == entry.headers["Cookie"] == "[REDACTED]"
    assert entry.headers["Accept"] == "a/b" and entry.status == 200
    text = repr(list(sim.requests))
    assert "hunter2" not in text and "key-123" not in text and "c2VjcmV0" not in text and "abc" not in text
    assert "GET /login" in sim.requests and "POST /login" not in sim.requests
    assert sim.log("/log") == [entry] and sim.requests.matching(method="POST") == []


def test_expired_credentials_until_undone():
    sim = Echo()
    sim.expire_credentials()
    with http(sim) as client:
        assert client.get("/x").status_code == 401
        sim.expire_credentials(False)
        assert client.get("/x").status_code == 200


def test_the_loopback_runner_serves_and_stops_and_refuses_other_hosts():
    sim = Echo()
    with sim.serve() as server:
        assert httpx.get(f"{server.url}/ping").json() == {"path": "/ping"}
        assert server.url == f"http://127.0.0.1:{server.port}"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/ping", timeout=2)
    with pytest.raises(NotLoopback):
        sim.serve("0.0.0.0")


def test_hudu_refuses_an_expired_key_before_anything_else():
    sim = HuduSimulator(Size(companies=1, assets=1, passwords=1, websites=1))
    sim.expire_credentials()
    sim.fail_next(500)
    with http(sim) as client:
        response = client.get("/api/v1/companies", headers={"x-api-key": DEMO_API_KEY})
    assert response.status_code == 401 and len(sim.faults) == 1  # the fault is still queued


def test_unifi_expired_credentials_end_sessions_and_refuse_logins():
    sim = UnifiSimulator("classic", sites=1, devices_per_site=1)
    with http(sim) as client:
        assert client.post("/api/login", json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}).status_code == 200
        assert client.get("/api/self/sites").status_code == 200
        sim.expire_credentials()
        assert client.get("/api/self/sites").status_code == 401
        assert client.post("/api/login", json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}).status_code == 400


def test_openid_expired_credentials_refuse_the_client_secret():
    sim = OpenIdSimulator()
    sim.expire_credentials()
    with http(sim) as client:
        form = {"grant_type": "authorization_code", "code": "x", "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET}  # fmt: skip
        response = client.post("/token", data=form)
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}
    assert "POST /token" in sim.requests


@pytest.mark.parametrize("vendor", ["connectwise", "hudu", "unifi", "openid"])
def test_simulate_refuses_to_listen_beyond_loopback(vendor):
    with pytest.raises(CommandError, match="loopback"):
        call_command("simulate", vendor, "--host", "0.0.0.0")


def test_simulate_knows_each_vendors_own_options():
    with pytest.raises(CommandError):
        call_command("simulate", "hudu", "--mode", "classic")  # a UniFi option
    with pytest.raises(CommandError):
        call_command("simulate", "gopher")
