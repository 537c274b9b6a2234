"""A ciphertext failing its integrity check is a server-side fault (issue 8 §6): recorded, documented, and it costs
only its own field when all values are revealed."""

from __future__ import annotations

import pytest

from credentials.models import DataKey, SecureValue
from psa.models import AuditEvent
from tests.credentials.factories import LOGIN_FIELDS, TOTP_SECRET, make_credential, make_type
from tests.factories import api_for
from tests.psa.helpers import error_of

pytestmark = pytest.mark.django_db

REVEALER = ["credential.read", "credential.secure_values.read", "aws.credentials.read", "obj.*"]
SECRET = "integrity-test-secret"


@pytest.fixture
def credential(client_a):
    aws = make_type(LOGIN_FIELDS, scope="aws.credentials", name="AWS integrity")
    return make_credential(
        client_a, aws, name="Root", values={"username": "root", "password": SECRET, "mfa": TOTP_SECRET}
    )


def tamper(row_queryset, field: str) -> None:
    row = row_queryset.get()
    data = bytearray(bytes(getattr(row, field)))
    data[20] ^= 0x40
    row_queryset.update(**{field: bytes(data)})


def reveals(credential) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="reveal", object_id=str(credential.pk)).order_by("outcome"))


def test_all_values_come_back_except_the_broken_one_which_is_named(credential):
    tamper(SecureValue.objects.filter(credential=credential, field_id="password"), "ciphertext")
    api, _, _ = api_for(REVEALER)
    response = api.get(f"/api/v1/credentials/{credential.pk}/secure-values")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"] == {"password": None, "mfa": TOTP_SECRET}
    assert body["meta"]["errors"]["password"]["code"] == "VAULT_INTEGRITY_ERROR"
    assert list(body["meta"]["errors"]) == ["password"]
    failed, success = reveals(credential)
    assert success.outcome == "success" and success.changes["fields"] == ["mfa"]
    assert failed.outcome == "failed" and failed.changes["fields"] == ["password"]
    assert "integrity" in failed.changes["reason"]


def test_without_errors_the_meta_is_empty(credential):
    api, _, _ = api_for(REVEALER)
    body = api.get(f"/api/v1/credentials/{credential.pk}/secure-values").json()
    assert body == {"data": {"password": SECRET, "mfa": TOTP_SECRET}, "meta": {"errors": {}}}


def test_a_broken_data_key_is_a_documented_500_with_its_audit_row(credential):
    tamper(DataKey.objects.filter(credential=credential), "wrapped")
    api, _, _ = api_for(REVEALER)
    for path in ("secure-values", "secure-values/password", "totp"):
        response = api.get(f"/api/v1/credentials/{credential.pk}/{path}")
        error = error_of(response, 500, "VAULT_INTEGRITY_ERROR")
        assert SECRET not in response.content.decode() and "recorded in the audit log" in error["message"]
    assert [e.outcome for e in reveals(credential)] == ["failed"] * 3


def test_the_schema_documents_the_vault_errors(admin_api):
    api, _, _ = admin_api
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/secure-values", "/secure-values/{field_id}", "/totp"):
        operation = schema["paths"][f"/api/v1/credentials/{{id}}{path}"]["get"]
        assert {"500", "503"} <= set(operation["responses"]), path
        assert "VAULT_INTEGRITY_ERROR" in operation["responses"]["500"]["description"]
    listed = schema["paths"]["/api/v1/credentials/{id}/secure-values"]["get"]["responses"]["200"]
    assert set(listed["content"]["application/json"]["schema"]["properties"]) == {"data", "meta"}
