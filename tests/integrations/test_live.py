"""Seed 004's live routes: GET /clients/{id} with fresh ConnectWise data; /clients/{id}/configurations' mirror."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from clients.models import Client
from integrations.sync import run_job
from tests.factories import api_for, make_client
from tests.integrations.conftest import make_cw_client, make_source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def linked(loopback):
    simulator, base_url = loopback
    source = make_source(base_url)
    client = make_cw_client(None, base_url=base_url)
    for job in ("connectwise.companies", "connectwise.configurations"):
        run_job(source, job, client=client)
    return simulator, source, Client.objects.get(cw_company_id=101)


def test_linked_client_gets_fresh_connectwise_data_cached_briefly(linked):
    simulator, _source, client = linked
    simulator.touch("companies", 101, phoneNumber="+1 555 9999")  # changed upstream, not synced yet
    api, *_ = api_for(["client.read", "obj.*"])
    body = api.get(f"/api/v1/clients/{client.pk}").json()
    assert body["data"]["name"] == client.name
    assert body["data"]["connectwise"]["phoneNumber"] == "+1 555 9999"
    assert body["meta"]["connectwise"]["status"] == "live" and body["meta"]["connectwise"]["cached"] is False
    calls = len(simulator.log("company/companies/101"))
    again = api.get(f"/api/v1/clients/{client.pk}").json()
    assert again["meta"]["connectwise"]["cached"] is True
    assert len(simulator.log("company/companies/101")) == calls


def test_when_connectwise_is_down_the_local_row_comes_back_with_meta(linked):
    simulator, _source, client = linked
    simulator.fail_next(502, times=5)
    api, *_ = api_for(["client.read", "obj.*"])
    response = api.get(f"/api/v1/clients/{client.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["id"] == str(client.pk) and body["data"]["connectwise"] is None
    assert body["meta"]["connectwise"]["status"] == "unavailable"
    assert "local copy" in body["meta"]["connectwise"]["message"]


def test_unlinked_client_is_unchanged():
    client = make_client("Local")
    api, *_ = api_for(["client.read", "obj.*"])
    body = api.get(f"/api/v1/clients/{client.pk}").json()
    assert "meta" not in body and "connectwise" not in body["data"]


def test_configurations_come_from_the_mirror_with_its_freshness(linked):
    _simulator, _source, client = linked
    api, *_ = api_for(["client.read", "client.read.configurations", "asset.read", "obj.*"])
    body = api.get(f"/api/v1/clients/{client.pk}/configurations").json()
    assert {row["serial"] for row in body["data"]} == {"SN00000001", "SN00000005"}
    meta = body["meta"]["connectwise"]
    assert meta["source"] == "mirror" and meta["stale"] is False and meta["last_sync"]


def test_client_scope_still_applies(linked):
    _simulator, _source, client = linked
    other = make_client("Other")
    api, *_ = api_for(["client.read", "obj.*"], key_clients=[other])
    assert api.get(f"/api/v1/clients/{client.pk}").status_code == 404
