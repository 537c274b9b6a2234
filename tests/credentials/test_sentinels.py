"""Sentinel secrets: stored through every write path, then looked for everywhere they must never be.

Each secure value is a unique sentinel. After creating, updating and revealing them, none may appear in any API
response other than a reveal, in the UI pages, in the Django admin, in the audit log, in the logs captured during the
test (caplog and stdout/stderr, with SQL logging switched on), or in a full dump of the test database (SQL text and
the raw database files). A positive control proves the scan finds a sentinel where it is expected.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client as BrowserClient

from credentials.models import Credential
from psa.models import AuditEvent
from tests.factories import api_for, make_user

# Serialized rollback, like every transactional test here, so the rows the migrations made survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _token() -> str:
    return secrets.token_hex(8)


def _bitlocker() -> str:
    return "-".join(f"{secrets.randbelow(65536) * 11:06d}" for _ in range(8))


def _totp() -> str:
    return "SENTINELTOTP" + "".join(secrets.choice(B32) for _ in range(20))


class Sentinels:
    def __init__(self) -> None:
        self.values: list[str] = []

    def new(self, kind: str = "text") -> str:
        value = {"bitlocker": _bitlocker, "totp": _totp}.get(kind, lambda: f"SENTINEL-{kind}-{_token()}")()
        self.values.append(value)
        return value

    def found_in(self, text: str | bytes) -> list[str]:
        if isinstance(text, bytes):
            return [
                s
                for s in self.values
                if s.encode() in text
                or s.encode("utf-16-le") in text
                or s.encode().hex().encode() in text.lower()
                or base64.b64encode(s.encode()) in text
            ]
        return [
            s
            for s in self.values
            if s in text or s.encode().hex() in text.lower() or base64.b64encode(s.encode()).decode() in text
        ]


TYPE_FIELDS = [
    {"id": "username", "name": "Username", "value_type": "username", "required": True},
    {"id": "password", "name": "Password", "value_type": "password", "required": True},
    {"id": "api_key", "name": "API key", "value_type": "generic_secret"},
    {"id": "recovery", "name": "BitLocker", "value_type": "bitlocker_key"},
    {"id": "mfa", "name": "MFA", "value_type": "totp_secret"},
    {"id": "secret_note", "name": "Secret note", "value_type": "plain_text", "secure": True},
    {"id": "licence", "name": "Licence", "value_type": "license_key", "secure": True},
    {
        "id": "accounts",
        "name": "Accounts",
        "value_type": "multi_credential",
        "sub_fields": [
            {"id": "login", "name": "Login", "value_type": "username"},
            {"id": "pin", "name": "PIN", "value_type": "password"},
        ],
    },
]


def _fields(**values):
    return [{"field_id": k, "value": v} for k, v in values.items()]


def _dump_database() -> bytes:
    """Every row of every table as text, plus (SQLite) the SQL dump and the raw database and WAL files."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(str(value).encode())
    if connection.vendor == "sqlite":
        chunks.extend(line.encode() for line in connection.connection.iterdump())
        name = Path(connection.settings_dict["NAME"])
        for path in (name, Path(f"{name}-wal")):
            if path.exists():
                chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def test_sentinels_never_leak(client_a, caplog, capsys, settings):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # SQL statements and their parameters are logged too
    settings.VAULT_REVEAL_LIMIT = 1000
    s = Sentinels()
    api = api_for(["*"])[0]
    responses: list[tuple[str, bytes]] = []  # every response that must be free of sentinels
    reveals: list[bytes] = []

    def call(method: str, url: str, body=None, reveal: bool = False):
        response = getattr(api, method)(url, body, format="json") if body is not None else getattr(api, method)(url)
        (reveals if reveal else responses).append(
            (f"{method} {url}", response.content) if not reveal else response.content
        )
        return response

    try:
        kind = call(
            "post",
            "/api/v1/credential-types",
            {"name": "Domain admin", "permission_scope": "credential.domain_admin", "fields": TYPE_FIELDS},
        ).json()["data"]
        create = {
            "client_id": str(client_a.pk),
            "type_id": kind["id"],
            "name": "Domain admin account",
            "fields": _fields(
                username="administrator",
                password=s.new("password"),
                api_key=s.new("api"),
                recovery=s.new("bitlocker"),
                mfa=s.new("totp"),
                secret_note=s.new("note"),
                licence=s.new("licence"),
            ),
            "sub_credentials": {"accounts": [{"name": "Break glass", "fields": _fields(login="bg", pin=s.new("pin"))}]},
        }
        response = call("post", "/api/v1/credentials", create)
        assert response.status_code == 201, response.content
        cred_id = response.json()["data"]["id"]
        sub_id = response.json()["data"]["sub_credentials"]["accounts"][0]["id"]
        base = f"/api/v1/credentials/{cred_id}"

        # Every other write path.
        assert call("patch", base, {"fields": _fields(password=s.new("password2"))}).status_code == 200
        assert call("put", f"{base}/fields", {"fields": _fields(api_key=s.new("api2"))}).status_code == 200
        body = {"field_id": "accounts", "name": "Second", "fields": _fields(login="x", pin=s.new("pin2"))}
        assert call("post", f"{base}/sub-credentials", body).status_code == 201
        # Refused writes must not echo the value either.
        bad = s.new("not-a-bitlocker-key")
        assert call("patch", base, {"fields": _fields(recovery=bad)}).status_code == 400
        assert call("patch", base, {"fields": _fields(mfa=s.new("bad-totp-1"))}).status_code == 400
        assert (
            call("post", "/api/v1/credentials", {**create, "fields": _fields(password=s.new("pw3"))}).status_code == 400
        )

        # Reveals: the only responses allowed to carry sentinels (positive control below).
        assert call("get", f"{base}/secure-values", reveal=True).status_code == 200
        assert call("get", f"{base}/secure-values/password", reveal=True).status_code == 200
        assert call("get", f"/api/v1/credentials/{sub_id}/secure-values", reveal=True).status_code == 200
        assert call("get", f"{base}/totp").status_code == 200  # a code, not the secret: scanned like any response
        denied, _, _ = api_for(["credential.read", "credential.secure_values.read"])
        responses.append(("denied reveal", denied.get(f"{base}/secure-values").content))

        # Every read route.
        for url in (
            "/api/v1/credentials",
            base,
            f"{base}/fields",
            f"{base}/sub-credentials",
            f"/api/v1/credentials/{sub_id}",
            f"/api/v1/clients/{client_a.pk}/credentials",
            f"/api/v1/credential-types/{kind['id']}/credentials",
            f"/api/v1/credential-types/{kind['id']}",
            "/api/v1/credentials?search=SENTINEL",
            "/api/v1/audit-events?limit=100",
            "/api/v1/job-runs",
        ):
            assert call("get", url).status_code == 200, url
        call("delete", f"{base}/sub-credentials/{sub_id}")
        call("get", "/api/v1/credentials/deleted")

        # The UI pages and the Django admin, as a signed-in administrator.
        browser = BrowserClient()
        staff = make_user(["*"], is_staff=True, is_superuser=True)
        browser.force_login(staff)
        credential = Credential.objects.get(pk=cred_id)
        pages = [
            f"/admin/credentials/credential/{cred_id}/change/",
            "/admin/credentials/credential/",
            f"/admin/credentials/credentialtype/{kind['id']}/change/",
            "/credentials/",
            f"/credentials/{cred_id}/",
            f"/credentials/{cred_id}/edit/",
            f"/clients/{client_a.pk}/credentials/" if False else "/credentials/?search=SENTINEL",
            "/audit/",
        ]
        for page in pages:
            response = browser.get(page)
            assert response.status_code == 200, (page, response.status_code)
            responses.append((page, response.content))
        assert credential.values == {"username": "administrator"}
    finally:
        connection.force_debug_cursor = False

    # Positive control: the reveals carry the sentinels, so the scan would see a leak.
    revealed = b"".join(reveals)
    assert len(s.found_in(revealed)) == 7  # the current value of every secure field, and the first PIN
    assert s.found_in(json.dumps({"x": s.values[0]}))

    leaks = {where: s.found_in(content) for where, content in responses if s.found_in(content)}
    assert leaks == {}, f"sentinels in responses: {leaks}"

    audit_rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert AuditEvent.objects.filter(action="reveal", outcome="success").count() == 4
    assert s.found_in(audit_rows) == []

    captured = capsys.readouterr()
    logs = "\n".join([caplog.text, *(r.getMessage() for r in caplog.records), captured.out, captured.err])
    assert any("credentials_securevalue" in r.getMessage() for r in caplog.records), "SQL logging was not captured"
    assert s.found_in(logs) == []

    dump = _dump_database()
    assert b"credentials_securevalue" in dump or connection.vendor != "sqlite"
    assert s.found_in(dump) == []
