"""Sentinel passwords synced from Hudu: encrypted on the way in, and never anywhere they must not be.

The simulator's asset passwords, OTP secrets and asset-layout password fields are unique sentinels. After a sync
(with a malformed password record and a server fault on the way), none may appear in an API response other than
a reveal, the UI, the Django admin, the audit log, a sync run's errors, a payload copy, the logs (SQL included), or
a full dump of the database. A reveal of a synced credential is the positive control.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test import Client as BrowserClient

from credentials.models import Credential
from integrations.hudu.mappers import PASSWORD_TYPE_ID
from integrations.hudu.simulator import HuduSimulator, Size
from integrations.models import ExternalRecord, SyncRun
from psa.models import AuditEvent
from tests.credentials.test_sentinels import Sentinels, _dump_database
from tests.factories import api_for, make_user
from tests.hudu.conftest import make_hudu_client, make_hudu_source, sync_all

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _seed_sentinels(sim: HuduSimulator, s: Sentinels) -> None:
    for record in sim.data["asset_passwords"].values():
        record["password"] = s.new("hudu-password")
        record["otp_secret"] = s.new("totp")
    sim.data["asset_passwords"][5002]["name"] = ""  # malformed: its error must not carry the password
    for asset in sim.data["assets"].values():
        for field in asset["fields"]:
            if "password" in field["label"].lower():
                field["value"] = s.new("asset-field")


def test_hudu_passwords_never_leak(fake_time, caplog, capsys, settings):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    settings.VAULT_REVEAL_LIMIT = 1000
    s = Sentinels()
    sim = HuduSimulator(Size(companies=2, assets=4, passwords=4, websites=1), clock=fake_time.clock)
    _seed_sentinels(sim, s)
    sim.fail_next(500, match="/asset_passwords")
    source = make_hudu_source()
    connection.force_debug_cursor = True  # SQL statements and their parameters are logged too
    try:
        runs = sync_all(source, make_hudu_client(sim, fake_time))
        api = api_for(["*"])[0]
        responses: list[tuple[str, bytes]] = []
        credential = Credential.objects.filter(type_id=PASSWORD_TYPE_ID).order_by("name").first()
        for url in (
            "/api/v1/credentials",
            f"/api/v1/credentials/{credential.pk}",
            f"/api/v1/credentials/{credential.pk}/fields",
            f"/api/v1/clients/{credential.client_id}/credentials",
            "/api/v1/assets",
            "/api/v1/integrations/sync-runs",
            "/api/v1/integrations/hudu",
            "/api/v1/audit-events?limit=100",
        ):
            response = api.get(url)
            assert response.status_code == 200, url
            responses.append((url, response.content))
        reveal = api.get(f"/api/v1/credentials/{credential.pk}/secure-values")
        assert reveal.status_code == 200

        browser = BrowserClient()
        browser.force_login(make_user(["*"], is_staff=True, is_superuser=True))
        for page in (
            f"/credentials/{credential.pk}/",
            "/credentials/",
            f"/admin/credentials/credential/{credential.pk}/change/",
            f"/integrations/{source.pk}/",
            f"/integrations/{source.pk}/hudu/companies/",
        ):
            response = browser.get(page)
            assert response.status_code == 200, (page, response.status_code)
            responses.append((page, response.content))
    finally:
        connection.force_debug_cursor = False

    by_job = {r.job: r for r in runs}
    assert by_job["hudu.passwords"].status == "partial" and by_job["hudu.passwords"].failed == 1
    # Positive control: the reveal carries the credential's password, so the scan would see a leak.
    assert s.found_in(reveal.content)
    assert s.found_in(json.dumps({"x": s.values[0]}))

    leaks = {where: s.found_in(content) for where, content in responses if s.found_in(content)}
    assert leaks == {}, f"sentinels in responses: {leaks}"
    runs_text = json.dumps(list(SyncRun.objects.values("errors", "message")), default=str)
    assert s.found_in(runs_text) == []
    payloads = json.dumps(list(ExternalRecord.objects.values_list("payload", flat=True)))
    assert "secret_fingerprint" in payloads and s.found_in(payloads) == []
    assert s.found_in(json.dumps(list(AuditEvent.objects.values()), default=str)) == []

    captured = capsys.readouterr()
    logs = "\n".join([caplog.text, *(r.getMessage() for r in caplog.records), captured.out, captured.err])
    assert any("credentials_securevalue" in r.getMessage() for r in caplog.records), "SQL logging was not captured"
    assert s.found_in(logs) == []

    dump = _dump_database()
    assert s.found_in(dump) == []
