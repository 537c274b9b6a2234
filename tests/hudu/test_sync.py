"""The Hudu sync against the simulator: companies to clients, layouts, assets with custom fields, websites to
domains, passwords into the vault; idempotent re-syncs, incremental pulls, faults and mapping corrections."""

from __future__ import annotations

import pytest

from assets.models import Asset, Domain
from clients.models import Client
from credentials import services
from credentials.models import Credential
from integrations.hudu.mappers import PASSWORD_TYPE_ID
from integrations.hudu.models import HuduAssetFields, HuduConnection
from integrations.hudu.simulator import DEMO_NO_PASSWORDS_KEY
from integrations.models import ExternalRecord, SyncRun
from tests.factories import make_client
from tests.hudu.conftest import make_hudu_client, sync_all

pytestmark = pytest.mark.django_db


def test_first_sync_lands_every_kind_under_the_right_client(source, sim, hudu):
    runs = sync_all(source, hudu)
    assert [r.status for r in runs] == ["succeeded"] * 5, [(r.job, r.message, r.errors) for r in runs]
    companies = sim.data["companies"]
    clients = {c.hudu_id: c for c in Client.objects.exclude(hudu_id=None)}
    assert {i: c.name for i, c in clients.items()} == {i: c["name"] for i, c in companies.items()}
    for hudu_asset in sim.data["assets"].values():
        asset = Asset.objects.get(serial=hudu_asset["primary_serial"])
        assert asset.client == clients[hudu_asset["company_id"]]
        assert asset.name == hudu_asset["name"]
    for website in sim.data["websites"].values():
        host = website["name"].split("://")[1]
        assert Domain.objects.filter(client=clients[website["company_id"]], name=host).exists()
    assert Credential.objects.filter(type_id=PASSWORD_TYPE_ID).count() == len(sim.data["asset_passwords"])


def test_asset_custom_fields_are_kept_without_password_values(source, sim, hudu):
    sync_all(source, hudu)
    hudu_asset = sim.data["assets"][1001]  # a Computer: its "Local admin password" is a Password field
    asset = Asset.objects.get(serial=hudu_asset["primary_serial"])
    assert asset.type == Asset.Type.DESKTOP or asset.type == Asset.Type.OTHER
    kept = HuduAssetFields.objects.get(asset=asset)
    assert kept.layout_name == "Computer"
    by_label = {f["label"]: f for f in kept.fields}
    assert by_label["Operating system"]["value"] == "Operating system 1"
    assert by_label["RAM (GB)"]["value"] in (8, 16, 32)
    secret = next(f["value"] for f in hudu_asset["fields"] if f["label"] == "Local admin password")
    assert by_label["Local admin password"] == {
        "label": "Local admin password", "value": None, "withheld": True, "field_type": "password"
    }  # fmt: skip
    record = ExternalRecord.objects.get(kind="asset", external_id="1001")
    assert secret not in str(record.payload)


def test_passwords_are_encrypted_linked_and_absent_from_the_payload_copy(source, sim, hudu):
    sync_all(source, hudu)
    hudu_password = sim.data["asset_passwords"][5003]  # the third has an OTP secret
    credential = Credential.objects.get(name=hudu_password["name"])
    assert credential.values == {"username": "admin3", "url": hudu_password["login_url"]}
    assert services.decrypt_fields(credential, ["password", "totp"]) == {
        "password": hudu_password["password"], "totp": hudu_password["otp_secret"]
    }  # fmt: skip
    asset = Asset.objects.get(serial=sim.data["assets"][1003]["primary_serial"])
    assert list(credential.assets.all()) == [asset]
    assert credential.client == asset.client
    record = ExternalRecord.objects.get(kind="password", external_id="5003")
    assert "password" not in record.payload and "otp_secret" not in record.payload
    assert hudu_password["password"] not in str(record.payload)
    assert record.payload["secret_fingerprint"]


def test_a_resync_with_nothing_changed_writes_nothing(source, sim, hudu, django_assert_max_num_queries):
    sync_all(source, hudu)
    from django.db import connection

    writes = []

    def counter(execute, sql, params, many, context):
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and "integrations_sync" not in sql:
            writes.append(sql)
        return execute(sql, params, many, context)

    SyncRun.objects.update(cursor_after="")  # a full re-pull: every record is read and compared again
    with connection.execute_wrapper(counter):
        runs = sync_all(source, hudu)
    assert writes == []
    assert sum(r.unchanged for r in runs) == sum(len(v) for v in sim.data.values())
    assert all(r.created == r.updated == 0 for r in runs)


def test_incremental_pull_asks_for_updated_at_and_takes_a_changed_password(source, sim, hudu, fake_time):
    from datetime import UTC, datetime

    sync_all(source, hudu)
    sim.now = lambda: datetime(2026, 6, 1, tzinfo=UTC)
    sim.touch("asset_passwords", 5001, password="a-brand-new-password")
    sim.requests.clear()
    runs = sync_all(source, hudu)
    query = sim.log("/asset_passwords")[0].query
    assert query["updated_at"].endswith(",") and query["page"] == "1"
    password_run = runs[-1]
    assert (password_run.updated, password_run.created) == (1, 0)
    credential = Credential.objects.get(name=sim.data["asset_passwords"][5001]["name"])
    assert services.decrypt_fields(credential, ["password"])["password"] == "a-brand-new-password"


def test_pages_of_25_until_an_empty_page(db, fake_time):
    from integrations.hudu.simulator import HuduSimulator, Size

    sim = HuduSimulator(Size(companies=2, assets=60, passwords=1, websites=1), clock=fake_time.clock)
    client = make_hudu_client(sim, fake_time)
    rows = [row for page in client.iter_pages("assets") for row in page]
    assert len(rows) == 60
    assert [r.query["page"] for r in sim.log("/assets")] == ["1", "2", "3", "4"]  # 25 + 25 + 10, then empty


def test_a_company_is_matched_by_name_and_an_admin_can_correct_it(source, sim, hudu):
    existing = make_client(" harbor PARTNERS 1 ")  # case and outer spaces differ from Hudu's "Harbor Partners 1"
    sim.data["companies"][1]["name"] = "Harbor Partners 1"
    runs = sync_all(source, hudu)
    existing.refresh_from_db()
    assert existing.hudu_id == 1
    assert runs[0].created == 4 and Client.objects.exclude(hudu_id=None).count() == 4  # three new, one matched

    from integrations.hudu.mapping import remap

    other = make_client("Somebody Else")
    remap(source, 1, other)
    existing.refresh_from_db()
    other.refresh_from_db()
    assert (existing.hudu_id, other.hudu_id) == (None, 1)
    sync_all(source, hudu)
    company_assets = [a["primary_serial"] for a in sim.data["assets"].values() if a["company_id"] == 1]
    assert set(Asset.objects.filter(serial__in=company_assets).values_list("client_id", flat=True)) == {other.pk}
    assert Credential.objects.filter(client=other, type_id=PASSWORD_TYPE_ID).exists()
    other.refresh_from_db()
    assert other.hudu_id == 1 and other.name == "Somebody Else"  # the mapping held; Hudu does not rename it


def test_without_client_creation_unmatched_companies_wait_for_an_admin(source, sim, hudu):
    source.settings = {"create_clients": "false"}
    source.save()
    runs = sync_all(source, hudu)
    assert Client.objects.exclude(hudu_id=None).count() == 0
    assert runs[3].status == "partial" and "not mapped to a client" in runs[3].errors[0]["message"]


def test_a_key_without_password_access_syncs_the_rest_and_says_so(source, sim, fake_time):
    client = make_hudu_client(sim, fake_time, api_key=DEMO_NO_PASSWORDS_KEY)
    runs = sync_all(source, client)
    assert [r.status for r in runs] == ["succeeded"] * 5
    assert Asset.objects.count() == len(sim.data["assets"])
    assert Credential.objects.filter(type_id=PASSWORD_TYPE_ID).count() == 0
    assert HuduConnection.objects.get(source=source).password_access is False


def test_malformed_records_are_errors_of_a_partial_run(db, fake_time):
    from integrations.hudu.simulator import HuduSimulator, Size
    from tests.hudu.conftest import make_hudu_source

    sim = HuduSimulator(Size(companies=6, assets=12, passwords=6, websites=3), clock=fake_time.clock,
                        malformed_every=5)  # fmt: skip
    source = make_hudu_source()
    runs = sync_all(source, make_hudu_client(sim, fake_time))
    by_job = {r.job: r for r in runs}
    assert by_job["hudu.companies"].status == "partial" and by_job["hudu.companies"].failed == 1
    assert by_job["hudu.assets"].failed == 2 and by_job["hudu.assets"].created == 10
    assert by_job["hudu.passwords"].failed == 1
    assert "'name' is missing" in by_job["hudu.passwords"].errors[0]["message"]


def test_faults_are_retried_to_the_same_result(source, sim, hudu, fake_time):
    sim.fail_next(429, times=2, headers={"Retry-After": "3"}, match="/companies")
    sim.fail_next(502, match="/assets")
    sim.fail_next(500, match="/websites")
    runs = sync_all(source, hudu)
    assert [r.status for r in runs] == ["succeeded"] * 5
    assert Asset.objects.count() == len(sim.data["assets"])
    assert 3 in fake_time.sleeps


def test_a_revoked_key_fails_the_run_with_the_reason(source, sim, hudu):
    sim.keys.clear()
    run = sync_all(source, hudu)[0]
    assert run.status == "failed" and "AuthenticationError" in run.message and "401" in run.message


def test_the_mapping_page_lists_companies_and_an_admin_remaps_one(source, sim, hudu):
    from django.test import Client as BrowserClient

    from tests.factories import make_user

    sync_all(source, hudu)
    target = make_client("Mapped By Hand")
    browser = BrowserClient()
    browser.force_login(make_user(["integration.source.read", "integration.source.update"]))
    url = f"/integrations/{source.pk}/hudu/companies/"
    page = browser.get(url)
    assert page.status_code == 200 and sim.data["companies"][2]["name"] in page.content.decode()
    assert browser.post(url, {"hudu_id": "2", "client_id": "not-a-uuid"}).status_code == 400
    response = browser.post(url, {"hudu_id": "2", "client_id": str(target.pk)})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.hudu_id == 2
    assert Asset.objects.filter(client=target).count() == len(
        [a for a in sim.data["assets"].values() if a["company_id"] == 2]
    )
    reader = BrowserClient()
    reader.force_login(make_user(["integration.source.read"]))
    assert reader.post(url, {"hudu_id": "2", "client_id": ""}).status_code == 403
    assert 'name="client_id"' not in reader.get(url).content.decode()


def test_a_record_the_database_refuses_is_one_error_and_the_rest_of_its_batch_is_stored(source, sim, hudu):
    """Two websites of one company with the same host: the batch's insert fails on the client's unique domain name,
    is rolled back and written record by record; the run counts each stored record once."""
    from integrations.sync import run_job

    sim.data["websites"][8005] = {**sim.data["websites"][8001], "id": 8005, "slug": "site-dup"}
    run_job(source, "hudu.companies", client=hudu)
    run = run_job(source, "hudu.websites", client=hudu)
    assert run.status == "partial" and run.failed == 1, run.errors
    assert run.errors[0]["external_id"] == "8005" and "Could not be stored" in run.errors[0]["message"]
    assert run.created == Domain.objects.count() == ExternalRecord.objects.filter(kind="website").count() == 4
