"""``GET /api/v1/integrations/hudu``: the connection's health as seed 000 names it, behind system_settings.read."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations.hudu.models import HuduConnection
from integrations.hudu.simulator import DEMO_API_KEY
from integrations.models import SyncRun
from tests.factories import api_client, api_for, make_client
from tests.hudu.conftest import make_hudu_client, make_hudu_source, sync_all

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/hudu"
FIELDS = {"status", "baseUrl", "connectedAt", "lastSyncedAt", "passwordAccess"}


def _get(nodes=("system_settings.read",), **kwargs):
    client = api_for(list(nodes), **kwargs)[0]
    return client.get(URL)


def test_not_connected_without_a_source():
    response = _get()
    assert response.status_code == 200
    assert response.json()["data"] == {
        "status": "not_connected", "baseUrl": None, "connectedAt": None, "lastSyncedAt": None, "passwordAccess": False
    }  # fmt: skip


def test_connected_after_a_sync_with_password_access(sim, fake_time):
    source = make_hudu_source()
    sync_all(source, make_hudu_client(sim, fake_time))
    data = _get().json()["data"]
    assert set(data) == FIELDS
    assert data["status"] == "connected" and data["baseUrl"] == source.base_url
    assert data["passwordAccess"] is True
    connected = HuduConnection.objects.get(source=source).connected_at
    assert data["connectedAt"] == connected.isoformat().replace("+00:00", "Z")
    newest = SyncRun.objects.filter(source=source).order_by("-finished_at").first()
    assert data["lastSyncedAt"] == newest.finished_at.isoformat().replace("+00:00", "Z")
    assert DEMO_API_KEY not in _get().content.decode()


def test_a_failed_newest_run_is_an_error_and_a_key_without_passwords_says_so(sim, fake_time):
    source = make_hudu_source()
    sync_all(source, make_hudu_client(sim, fake_time, api_key="demo-hudu-key-without-passwords"))
    assert _get().json()["data"]["passwordAccess"] is False
    now = timezone.now()
    SyncRun.objects.create(source=source, job="hudu.companies", status=SyncRun.Status.FAILED, started_at=now,
                           finished_at=now)  # fmt: skip
    assert _get().json()["data"]["status"] == "error"


def test_a_disabled_source_is_not_connected_but_names_its_url():
    source = make_hudu_source(enabled=False)
    HuduConnection.objects.create(source=source, connected_at=timezone.now(), password_access=True)
    data = _get().json()["data"]
    assert data["status"] == "not_connected" and data["baseUrl"] == source.base_url


def test_unknown_query_parameter_is_a_400_naming_it():
    client = api_for(["system_settings.read"])[0]
    response = client.get(URL, {"tenant": "x"})
    assert response.status_code == 400
    assert "tenant" in response.content.decode()


def test_needs_credentials_and_the_node():
    assert api_client().get(URL).status_code == 401
    assert api_client("psa_not-a-real-key").get(URL).status_code == 401
    response = _get(nodes=("integration.source.read",))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_a_client_scoped_caller_sees_nothing_of_any_client():
    """The status belongs to the MSP, not to a client: a scoped key reads the same health and no client data."""
    make_hudu_source()
    scoped = _get(key_clients=[make_client("Scoped Co")])
    assert scoped.status_code == 200
    assert scoped.json()["data"] == _get().json()["data"]
    assert set(scoped.json()["data"]) == FIELDS


def test_only_reads():
    client = api_for(["*"])[0]
    assert client.post(URL, {}, format="json").status_code == 405
