"""The sources and sync-runs API: CRUD with write-only secrets in the vault, /test, /sync, filters."""

from __future__ import annotations

import pytest
from django.utils import timezone

from credentials.models import Credential, SecureValue
from integrations import locks
from integrations import secrets as source_secrets
from integrations.connectwise.simulator import DEMO_CLIENT_ID, DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY
from integrations.models import Source, SyncRun
from psa.models import AuditEvent
from tests.factories import api_client, api_for
from tests.integrations.conftest import make_source

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/sources"
PRIVATE = "very-private-key-value-1234"


def _body(**changes):
    body = {
        "kind": "connectwise",
        "name": "Main CW",
        "base_url": "https://api-na.myconnectwise.net/",
        "settings": {"company_id": "acme", "client_id": DEMO_CLIENT_ID},
        "secrets": {"public_key": "pub-key-value", "private_key": PRIVATE},
    }
    body.update(changes)
    return body


def test_create_keeps_secrets_in_the_vault_and_never_returns_them(admin_api):
    client, _user, _key = admin_api
    response = client.post(URL, _body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert "secrets" not in data and PRIVATE not in response.content.decode()
    assert data["secrets_set"] == ["private_key", "public_key"]
    assert data["settings"] == {"company_id": "acme", "client_id": DEMO_CLIENT_ID, "codebase": "v4_6_release/"}
    assert data["base_url"] == "https://api-na.myconnectwise.net"
    source = Source.objects.get(pk=data["id"])
    assert source_secrets.read(source) == {"public_key": "pub-key-value", "private_key": PRIVATE}
    # Encrypted at rest: the plaintext is in no column of the vault or of the source.
    credential = Credential.objects.get(pk=source.credential_id)
    assert credential.values == {} and credential.client.type == "internal"
    for value in SecureValue.objects.filter(credential=credential):
        assert PRIVATE.encode() not in bytes(value.ciphertext)
    assert PRIVATE not in str(Source.objects.filter(pk=source.pk).values().get())
    for event in AuditEvent.objects.all():
        assert PRIVATE not in str(event.changes)
    listed = client.get(URL).json()["data"]
    assert PRIVATE not in str(listed) and listed[0]["secrets_set"] == ["private_key", "public_key"]


def test_update_changes_one_secret_and_settings_merge(admin_api):
    client, *_ = admin_api
    source_id = client.post(URL, _body(), format="json").json()["data"]["id"]
    response = client.patch(
        f"{URL}/{source_id}",
        {"secrets": {"private_key": "rotated"}, "settings": {"codebase": "v2025_1/"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    source = Source.objects.get(pk=source_id)
    assert source_secrets.read(source)["private_key"] == "rotated"
    assert source.settings["company_id"] == "acme" and source.settings["codebase"] == "v2025_1/"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "https://user:pw@host"}, "base_url"),
        ({"settings": {"company_id": "acme", "client_id": "x", "private_key": "oops"}}, "settings"),
        ({"settings": {"client_id": "x"}}, "settings"),
        ({"secrets": {"public_key": "p"}}, "secrets"),
        ({"secrets": {"public_key": "p", "private_key": "k", "extra": "x"}}, "secrets"),
        ({"intervals": {"connectwise.companies": 5}}, "intervals"),
        ({"intervals": {"nope": 600}}, "intervals"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_api, changes, path):
    client, *_ = admin_api
    response = client.post(URL, _body(**changes), format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert path in {d["path"][0] for d in error["details"]}
    assert "oops" not in response.content.decode()


def test_duplicate_name_is_a_400(admin_api):
    client, *_ = admin_api
    client.post(URL, _body(), format="json")
    response = client.post(URL, _body(name="main cw"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"] == ["name"]


def test_delete_removes_the_vault_credential(admin_api):
    client, *_ = admin_api
    source_id = client.post(URL, _body(), format="json").json()["data"]["id"]
    credential_id = Source.objects.get(pk=source_id).credential_id
    assert client.delete(f"{URL}/{source_id}").status_code == 204
    assert not Credential.objects.filter(pk=credential_id).exists()
    assert not SecureValue.objects.filter(credential_id=credential_id).exists()


def test_without_credentials_401_and_without_nodes_403():
    assert api_client().get(URL).status_code == 401
    client, *_ = api_for(["integration.source.read"])
    assert client.get(URL).status_code == 200
    assert client.post(URL, _body(), format="json").status_code == 403
    client, *_ = api_for(["client.read"])
    assert client.get("/api/v1/integrations/sync-runs").status_code == 403


def test_client_scoped_callers_still_never_see_secrets(client_a):
    make_source(name="Scoped view")
    client, *_ = api_for(["integration.source.read"], key_clients=[client_a])
    response = client.get(URL)
    assert response.status_code == 200
    assert DEMO_PRIVATE_KEY not in response.content.decode()


def test_test_endpoint_reports_each_check(loopback):
    simulator, base_url = loopback
    source = make_source(base_url)
    client, *_ = api_for(["integration.source.test"])
    response = client.post(f"{URL}/{source.pk}/test")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == ["connection", "credentials", "companies"]
    simulator.expire_credentials()
    data = client.post(f"{URL}/{source.pk}/test").json()["data"]
    assert data["ok"] is False
    assert data["checks"][1]["name"] == "credentials" and not data["checks"][1]["ok"]
    assert DEMO_PRIVATE_KEY not in str(data) and DEMO_PUBLIC_KEY not in str(data)


def test_test_endpoint_says_when_the_server_is_unreachable():
    source = make_source("http://127.0.0.1:9")
    client, *_ = api_for(["integration.source.test"])
    data = client.post(f"{URL}/{source.pk}/test").json()["data"]
    assert data == {
        "ok": False,
        "checks": [{"name": "connection", "ok": False, "message": data["checks"][0]["message"]}],
    }
    assert "Could not connect" in data["checks"][0]["message"]


def test_test_endpoint_wrong_company_is_flagged_as_a_possible_auth_problem(loopback):
    _simulator, base_url = loopback
    source = make_source(base_url)
    source.settings = {**source.settings, "company_id": "someone-else"}
    source.save()
    client, *_ = api_for(["integration.source.test"])
    checks = client.post(f"{URL}/{source.pk}/test").json()["data"]["checks"]
    assert checks[1]["ok"] is False and "company id" in checks[1]["message"]


def test_sync_is_queued_and_409_while_a_job_runs(admin_api):
    client, *_ = admin_api
    source = make_source("http://127.0.0.1:9")
    response = client.post(f"{URL}/{source.pk}/sync", {"jobs": ["connectwise.companies"]}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["data"]["jobs"] == ["connectwise.companies"]
    assert AuditEvent.objects.filter(action="sync", object_id=str(source.pk)).exists()
    assert locks.acquire(source.pk, "connectwise.companies", "someone")
    response = client.post(f"{URL}/{source.pk}/sync", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    response = client.post(f"{URL}/{source.pk}/sync", {"jobs": ["connectwise.nope"]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["jobs"]


def test_sync_runs_filters(admin_api):
    client, *_ = admin_api
    one, two = make_source(name="One"), make_source(name="Two")
    now = timezone.now()
    SyncRun.objects.create(source=one, job="connectwise.companies", status="succeeded", started_at=now)
    SyncRun.objects.create(source=one, job="connectwise.contacts", status="partial", started_at=now,
                           errors=[{"external_id": "7", "message": "bad"}], failed=1)  # fmt: skip
    SyncRun.objects.create(
        source=two, job="connectwise.companies", status="failed", started_at=now - timezone.timedelta(days=2)
    )
    url = "/api/v1/integrations/sync-runs"
    assert len(client.get(url).json()["data"]) == 3
    assert len(client.get(url, {"source_id": str(one.pk)}).json()["data"]) == 2
    rows = client.get(url, {"status": "partial"}).json()["data"]
    assert len(rows) == 1 and rows[0]["errors"] == [{"external_id": "7", "message": "bad"}] and rows[0]["failed"] == 1
    assert len(client.get(url, {"job": "connectwise.companies"}).json()["data"]) == 2
    since = (now - timezone.timedelta(days=1)).isoformat()
    assert len(client.get(url, {"started_after": since}).json()["data"]) == 2
    assert client.get(url, {"status": "bogus"}).status_code == 400
