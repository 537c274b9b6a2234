"""Issue 13's Hudu gaps: the deletion and archive scan, the audit trail of synced credentials, the custom fields on
the asset page, and synced credentials read-only for what Hudu masters (API 400s, disabled form fields)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client as BrowserClient

from assets.models import Asset, Domain
from clients.models import Client
from credentials.models import Credential
from integrations.hudu.mappers import PASSWORD_TYPE_ID
from integrations.hudu.simulator import DEMO_NO_PASSWORDS_KEY
from integrations.models import ExternalRecord, Source
from integrations.sync import run_job
from psa.models import AuditEvent
from tests.factories import api_for, make_user
from tests.hudu.conftest import make_hudu_client, sync_all

pytestmark = pytest.mark.django_db


def _scan(source, client):
    run = run_job(source, "hudu.deletions", client=client)
    assert run.status == "succeeded", (run.message, run.errors)
    return run


def _linked(kind: str, external_id: int):
    record = ExternalRecord.objects.get(kind=kind, external_id=str(external_id))
    return record, record.object_id


# --- the deletion and archive scan ----------------------------------------------------------------------------------


def test_the_scan_marks_what_hudu_deleted_or_archived_and_archives_the_local_rows(source, sim, hudu):
    sync_all(source, hudu)
    sim.remove("companies", 4)  # deleted in Hudu
    sim.touch("assets", 1001, archived=True)  # archived in Hudu: it drops out of Hudu's default lists
    sim.remove("websites", 8001)
    sim.remove("asset_passwords", 5002)
    run = _scan(source, hudu)
    assert run.deleted == 4
    deleted = set(ExternalRecord.objects.filter(deleted_at__isnull=False).values_list("kind", "external_id"))
    assert deleted == {("company", "4"), ("asset", "1001"), ("website", "8001"), ("password", "5002")}
    client = Client.objects.get(hudu_id=4)
    assert client.archived_at is not None  # archived, never deleted
    asset = Asset.objects.get(serial=sim.data["assets"][1001]["primary_serial"])
    assert asset.archived_at is not None
    assert Domain.objects.filter(name="www.site1.example.com").exists()  # a domain has no archive: it stays
    credential = Credential.objects.get(pk=_linked("password", 5002)[1])
    assert credential.deleted_at is not None and credential.deleted_by is None  # in the vault's trash
    event = AuditEvent.objects.get(object_id=str(credential.pk), action="delete")
    assert event.actor is None and event.actor_name == "Hudu sync: Hudu"
    assert set(event.changes) == {"deleted_at"}
    untouched = Credential.objects.filter(type_id=PASSWORD_TYPE_ID, deleted_at__isnull=True)
    assert untouched.count() == len(sim.data["asset_passwords"])
    assert Client.objects.filter(hudu_id__isnull=False, archived_at__isnull=True).count() == 3
    assert _scan(source, hudu).deleted == 0  # a second scan finds nothing new


def test_a_client_another_source_still_mirrors_is_not_archived(source, sim, hudu):
    sync_all(source, hudu)
    client = Client.objects.get(hudu_id=2)
    other = Source.objects.create(kind="connectwise", name="CW", base_url="http://127.0.0.1:9")
    ExternalRecord.objects.create(source=other, kind="company", external_id="102",
                                  content_type=ContentType.objects.get_for_model(Client), object_id=str(client.pk),
                                  payload={}, payload_hash="x",
        first_seen_at=datetime.now(UTC), last_seen_at=datetime.now(UTC))  # fmt: skip
    sim.remove("companies", 2)
    assert _scan(source, hudu).deleted == 1
    client.refresh_from_db()
    assert client.archived_at is None


def test_a_key_without_password_access_skips_the_password_scan(source, sim, hudu, fake_time):
    sync_all(source, hudu)
    sim.remove("asset_passwords", 5001)
    without = make_hudu_client(sim, fake_time, api_key=DEMO_NO_PASSWORDS_KEY)
    assert _scan(source, without).deleted == 0
    assert not ExternalRecord.objects.filter(kind="password", deleted_at__isnull=False).exists()


def test_a_failed_listing_marks_nothing(source, sim, hudu):
    sync_all(source, hudu)
    sim.remove("assets", 1002)
    sim.fail_next(401, match="/assets")  # the key was revoked halfway through the scan
    run = run_job(source, "hudu.deletions", client=hudu)
    assert run.status == "failed" and "AuthenticationError" in run.message
    assert not ExternalRecord.objects.filter(kind="asset", deleted_at__isnull=False).exists()


# --- the audit trail of synced credentials --------------------------------------------------------------------------


def _sync_events():
    return AuditEvent.objects.filter(object_type="credentials.credential", actor_name="Hudu sync: Hudu")


def test_created_and_changed_credentials_are_audited_as_the_sync_without_secrets(source, sim, hudu):
    sync_all(source, hudu)
    created = _sync_events().filter(action="create")
    assert created.count() == len(sim.data["asset_passwords"])
    third = created.get(object_repr=sim.data["asset_passwords"][5003]["name"])
    assert third.actor is None and third.api_key is None and third.client_id is not None
    assert third.changes["name"] == {"old": None, "new": "Admin login 3"}
    assert third.changes["values"]["new"] == {
        "username": "admin3",
        "url": sim.data["asset_passwords"][5003]["login_url"],
    }
    assert third.changes["secure_values"] == {"old": None, "new": ["password", "totp"]}
    secrets = [p["password"] for p in sim.data["asset_passwords"].values()] + ["JBSWY3DPEHPK3PXP"]
    text = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert not any(secret in text for secret in secrets)

    sim.now = lambda: datetime(2026, 6, 1, tzinfo=UTC)
    sim.touch("asset_passwords", 5001, password="a-brand-new-password")
    sim.touch("asset_passwords", 5002, name="Renamed login")
    sync_all(source, hudu)
    updates = {e.object_repr: e.changes for e in _sync_events().filter(action="update")}
    assert updates == {
        "Admin login 1": {"secure_values": {"old": None, "new": ["password"]}},
        "Renamed login": {"name": {"old": "Admin login 2", "new": "Renamed login"}},
    }
    assert "a-brand-new-password" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))
    before = AuditEvent.objects.count()
    sync_all(source, hudu)  # nothing changed: nothing written, nothing audited
    assert AuditEvent.objects.count() == before


# --- custom fields on the asset page --------------------------------------------------------------------------------


def _browser(nodes: list[str]) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(make_user(nodes))
    return browser


def test_the_asset_page_shows_the_hudu_custom_fields_without_password_values(source, sim, hudu):
    sync_all(source, hudu)
    hudu_asset = sim.data["assets"][1001]
    asset = Asset.objects.get(serial=hudu_asset["primary_serial"])
    page = _browser(["*"]).get(f"/assets/{asset.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hudu fields" in html and "Computer" in html and "Operating system 1" in html
    assert "Withheld" in html
    secret = next(f["value"] for f in hudu_asset["fields"] if f["label"] == "Local admin password")
    assert secret not in html
    plain = Asset.objects.create(client=asset.client, name="Not from Hudu")
    assert "Hudu fields" not in _browser(["*"]).get(f"/assets/{plain.pk}/").content.decode()


def test_the_custom_fields_follow_the_field_gate(source, sim, hudu):
    sync_all(source, hudu)
    asset = Asset.objects.get(serial=sim.data["assets"][1001]["primary_serial"])
    page_nodes = ["asset.read", "client.read", "obj.asset.*", "obj.client.*"]
    layout_badge = 'badge-info">Computer</span>'
    blind = _browser(page_nodes).get(f"/assets/{asset.pk}/").content.decode()
    assert "Hudu fields" in blind and "Operating system 1" not in blind and "hidden" in blind
    assert layout_badge not in blind
    values = _browser([*page_nodes, "obj.hudu_asset.fields"]).get(f"/assets/{asset.pk}/").content.decode()
    assert "Operating system 1" in values and layout_badge not in values  # the layout's name needs the wildcard
    everything = _browser([*page_nodes, "obj.hudu_asset.*"]).get(f"/assets/{asset.pk}/").content.decode()
    assert "Operating system 1" in everything and layout_badge in everything


# --- synced credentials are read-only for what Hudu masters ---------------------------------------------------------


def _synced_credential(sim) -> Credential:
    return Credential.objects.get(pk=_linked("password", 5001)[1])


def test_the_api_refuses_changes_to_fields_hudu_masters_naming_them(source, sim, hudu):
    sync_all(source, hudu)
    credential = _synced_credential(sim)
    api, *_ = api_for(["*"])
    url = f"/api/v1/credentials/{credential.pk}"
    for body, field in (({"name": "Mine now"}, "name"), ({"notes": "local"}, "notes"),
                        ({"fields": [{"field_id": "password", "value": "x" * 12}]}, "fields")):  # fmt: skip
        response = api.patch(url, body, format="json")
        assert response.status_code == 400, body
        (detail,) = response.json()["error"]["details"]
        assert detail["path"] == [field] and "Synced from Hudu" in detail["message"]
    response = api.put(f"{url}/fields", {"fields": [{"field_id": "username", "value": "me"}]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["fields"]
    credential.refresh_from_db()
    assert credential.name == "Admin login 1" and credential.values["username"] == "admin1"
    assert api.patch(url, {"name": "Admin login 1"}, format="json").status_code == 200  # the current value is fine


def test_a_credential_no_longer_in_hudu_is_editable_again(source, sim, hudu):
    sync_all(source, hudu)
    credential = _synced_credential(sim)
    ExternalRecord.objects.filter(kind="password", external_id="5001").update(deleted_at=datetime.now(UTC))
    api, *_ = api_for(["*"])
    assert api.patch(f"/api/v1/credentials/{credential.pk}", {"name": "Ours now"}, format="json").status_code == 200


def test_the_edit_form_disables_what_hudu_masters_and_links_to_hudu(source, sim, hudu):
    sync_all(source, hudu)
    credential = _synced_credential(sim)
    browser = _browser(["*"])
    page = browser.get(f"/credentials/{credential.pk}/edit/").content.decode()
    hudu_link = "http://hudu.simulator/c/company-1/passwords"
    assert page.count("Open in Hudu") >= 3 and hudu_link in page
    assert 'name="name"' in page and "disabled" in page.split('name="name"')[1].split(">")[0]
    detail = browser.get(f"/credentials/{credential.pk}/").content.decode()
    assert "Synced" in detail and hudu_link in detail
    response = browser.post(f"/credentials/{credential.pk}/edit/", {"name": "Forged", "notes": "forged",
                                                                  "f__username": "forged", "f__password": "forged-pw-1"})  # fmt: skip
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.name == "Admin login 1" and credential.notes == "Synced from Hudu"
    assert credential.values["username"] == "admin1"
    from credentials import services

    assert (
        services.decrypt_fields(credential, ["password"])["password"] == sim.data["asset_passwords"][5001]["password"]
    )


def test_a_resync_keeps_asset_links_a_user_added_and_moves_hudus_own(source, sim, hudu):
    sync_all(source, hudu)
    credential = _synced_credential(sim)
    hudu_asset = Asset.objects.get(serial=sim.data["assets"][1001]["primary_serial"])
    assert list(credential.assets.all()) == [hudu_asset]
    local = Asset.objects.create(client=credential.client, name="Local firewall")
    api, *_ = api_for(["*"])
    response = api.patch(f"/api/v1/credentials/{credential.pk}", {"asset_ids": [str(hudu_asset.pk), str(local.pk)]},
                         format="json")  # fmt: skip
    assert response.status_code == 200  # links are local work: not mastered
    sim.now = lambda: datetime(2026, 6, 1, tzinfo=UTC)
    sim.touch("asset_passwords", 5001, passwordable_id=1005)  # Hudu attaches it to another asset
    sync_all(source, hudu)
    moved_to = Asset.objects.get(serial=sim.data["assets"][1005]["primary_serial"])
    assert set(credential.assets.all()) == {local, moved_to}
