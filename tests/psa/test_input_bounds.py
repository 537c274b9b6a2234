"""Every input is bounded (issue 8 §4): body size, JSON depth, text lengths, audit value sizes."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from clients.models import Client
from psa.api.parsers import nesting_depth
from psa.middleware import RequestSizeLimitMiddleware
from psa.models import AuditEvent
from tests.factories import api_for, make_client
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients"
KIB = 1024


@pytest.fixture
def api():
    client, _, _ = api_for(["client.*", "audit.read", "ticket.*", "obj.*"])
    return client


def post_raw(api, path: str, body: bytes | str, content_type: str = "application/json", **extra):
    return api.generic("POST", path, body, content_type=content_type, **extra)


# --- request body size ------------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_parsed(api):
    body = json.dumps({"name": "Huge", "notes": "x" * (20 * KIB * KIB)})
    response = post_raw(api, CLIENTS, body)
    error = error_of(response, 413, "PAYLOAD_TOO_LARGE")
    assert str(1024 * 1024) in error["message"]
    assert response.has_header("RateLimit-Limit")
    assert not Client.objects.filter(name="Huge").exists()


@override_settings(MAX_REQUEST_BYTES=2000)
def test_the_limit_is_a_setting(api):
    error_of(post_raw(api, CLIENTS, json.dumps({"name": "Big", "notes": "x" * 2000})), 413, "PAYLOAD_TOO_LARGE")
    data_of(post_raw(api, CLIENTS, json.dumps({"name": "Small", "notes": "x" * 1000})), 201)


@override_settings(MAX_REQUEST_BYTES=2000, MAX_UPLOAD_BYTES=8000)
def test_multipart_uploads_have_their_own_limit(api):
    from django.test.client import MULTIPART_CONTENT, encode_multipart

    def multipart(size: int) -> bytes:
        return encode_multipart("BoUnDaRy", {"file": io.BytesIO(b"x" * size)})

    content_type = MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy")
    # Over the body limit but under the upload limit: through to the view (which takes JSON only).
    error_of(post_raw(api, CLIENTS, multipart(4000), content_type), 415, "UNSUPPORTED_MEDIA_TYPE")
    error_of(post_raw(api, CLIENTS, multipart(9000), content_type), 413, "PAYLOAD_TOO_LARGE")


@override_settings(MAX_REQUEST_BYTES=1000)
def test_a_body_without_a_length_is_cut_off_at_the_limit():
    """A chunked body (no Content-Length) is read through a capped stream: reading past the limit is a 413."""
    request = RequestFactory().post(CLIENTS, b"x" * 5000, content_type="application/json")
    request._stream = io.BytesIO(b"x" * 5000)
    del request.META["CONTENT_LENGTH"]
    read = []
    response = RequestSizeLimitMiddleware(lambda r: read.append(r.read()) or HttpResponse("read"))(request)
    assert response.status_code == 413 and not read
    small = RequestFactory().post(CLIENTS, b"x" * 10, content_type="application/json")
    del small.META["CONTENT_LENGTH"]
    assert RequestSizeLimitMiddleware(lambda r: HttpResponse(r.read()))(small).content == b"x" * 10


def test_pages_refuse_large_bodies_too(client):
    from urllib.parse import urlencode

    body = urlencode({"username": "x" * (2 * KIB * KIB), "password": "p"})
    response = client.post("/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


# --- JSON ---------------------------------------------------------------------------------------------------------


def test_nesting_depth_is_measured_without_recursion():
    assert nesting_depth("[]") == 1
    assert nesting_depth('{"a": [1, {"b": "[[[[[["}]}') == 3
    assert nesting_depth('"\\"[[["') == 0
    assert nesting_depth("[" * 100_000) == 100_000


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_json_nested_too_deep_is_a_400(api, depth):
    error = error_of(post_raw(api, CLIENTS, "[" * depth + "]" * depth), 400, "VALIDATION_ERROR")
    assert "nested deeper than 32 levels" in error["message"]


def test_json_at_the_depth_limit_is_read_and_brackets_in_text_do_not_count(api):
    nested = json.loads("[" * 31 + "]" * 31)
    # Parsed, then refused by the field rather than by the parser.
    assert error_paths(api.post(CLIENTS, {"name": "Deep", "notes": nested}, format="json")) == [["notes"]]
    data_of(api.post(CLIENTS, {"name": "[" * 100, "notes": "{" * 5000}, format="json"), 201)


def test_ticket_attributes_nested_5000_deep_are_a_400(api):
    client = make_client("Attributes")
    deep = "[" * 5000 + "]" * 5000
    body = f'{{"title": "Deep", "client_id": "{client.pk}", "attributes": {deep}}}'
    error_of(post_raw(api, "/api/v1/tickets", body), 400, "VALIDATION_ERROR")


def test_bodies_that_are_not_utf8_or_not_json_are_400(api):
    error = error_of(post_raw(api, CLIENTS, b'{"name": "\xff\xfe"}'), 400, "VALIDATION_ERROR")
    assert "not valid utf-8" in error["message"].lower()
    error_of(post_raw(api, CLIENTS, '{"name": NaN}'), 400, "VALIDATION_ERROR")
    error_of(post_raw(api, CLIENTS, '{"name": 1' + "0" * 5000 + "}"), 400, "VALIDATION_ERROR")


# --- text lengths ------------------------------------------------------------------------------------------------------


def test_text_fields_are_bounded_in_the_serializer_and_the_schema(api):
    response = api.post(CLIENTS, {"name": "Long", "notes": "x" * (64 * KIB + 1)})
    assert error_paths(response) == [["notes"]] and "65536" in error_of(response, 400, "VALIDATION_ERROR")["message"]
    data_of(api.post(CLIENTS, {"name": "Exactly", "notes": "x" * (64 * KIB)}), 201)
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["ClientRequest"]["properties"]["notes"]["maxLength"] == 64 * KIB


@override_settings(MAX_TEXT_LENGTH=10)
def test_orm_saves_and_model_forms_refuse_overlong_text():
    client = make_client("Bounded")
    client.notes = "x" * 11
    with pytest.raises(ValidationError) as raised:
        client.save()
    assert list(raised.value.message_dict) == ["notes"]
    with pytest.raises(ValidationError) as raised:
        client.full_clean()
    assert "no more than 10 characters" in raised.value.message_dict["notes"][0]
    client.notes = "x" * 10
    client.save()


@override_settings(MAX_TEXT_LENGTH=10)
def test_an_overlong_value_that_reaches_the_model_is_a_400_not_a_500(client_a):
    """Inline sub-credentials are planned from the raw body; their notes are refused by the model check."""
    from tests.credentials.factories import VPN_FIELDS, make_type

    vpn = make_type(VPN_FIELDS, name="VPN bounds")
    api, _, _ = api_for(["credential.*", "credential_type.read", "obj.*"])
    tunnel = {
        "name": "T",
        "notes": "x" * 11,
        "fields": [{"field_id": "server", "value": "s"}, {"field_id": "psk", "value": "p"}],
    }
    body = {
        "client_id": str(client_a.pk),
        "type_id": str(vpn.pk),
        "name": "Firewall",
        "fields": [{"field_id": "hostname", "value": "fw"}],
        "sub_credentials": {"tunnels": [tunnel]},
    }
    error = error_of(api.post("/api/v1/credentials", body, format="json"), 400, "VALIDATION_ERROR")
    assert "no more than 10 characters" in error["message"]


# --- the audit log -----------------------------------------------------------------------------------------------------


def test_large_audit_values_are_stored_truncated_with_a_marker(api):
    notes = "n" * (60 * KIB)
    created = data_of(api.post(CLIENTS, {"name": "Noted", "notes": notes}), 201)
    event = AuditEvent.objects.get(object_id=created["id"], action="create")
    stored = event.changes["notes"]["new"]
    assert stored.startswith("nnnn") and stored.endswith(f"[truncated: {60 * KIB} bytes]")
    assert len(stored.encode()) < 4 * KIB + 100
    assert event.changes["name"]["new"] == "Noted"


def test_the_audit_log_stays_small_after_large_writes(api):
    for index in range(20):
        data_of(api.post(CLIENTS, {"name": f"Big {index}", "notes": "n" * (60 * KIB)}), 201)
    response = api.get("/api/v1/audit-events", {"limit": 100})
    assert len(data_of(response)) >= 20
    assert len(response.content) < 200 * KIB, len(response.content)
