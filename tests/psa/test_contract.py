"""The API contract of design.md: envelopes, pagination, sorting, strict bodies and the error statuses."""

from __future__ import annotations

import uuid

import pytest

from clients.models import Client
from tests.factories import make_client
from tests.psa.helpers import body_of, data_of, error_of, error_paths, error_text, ids_of

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients"


# --- success envelopes -----------------------------------------------------------------------------------------------


def test_detail_is_wrapped_in_data(admin_api):
    api, _, _ = admin_api
    client = make_client("Acme", identifier="ACME")

    response = api.get(f"{CLIENTS}/{client.pk}")

    body = body_of(response)
    assert response.status_code == 200
    assert set(body) == {"data"}
    assert body["data"]["id"] == str(client.pk)
    assert body["data"]["name"] == "Acme"
    assert body["data"]["identifier"] == "ACME"


def test_create_answers_201_with_the_object_in_data(admin_api):
    api, _, _ = admin_api

    response = api.post(CLIENTS, {"name": "Globex"})

    data = data_of(response, 201)
    assert set(response.json()) == {"data"}
    assert data["name"] == "Globex"
    assert Client.objects.filter(pk=data["id"], name="Globex").exists()


def test_list_envelope_has_data_pagination_and_meta(admin_api):
    api, _, _ = admin_api
    for name in ("a", "b", "c"):
        make_client(name)

    body = body_of(api.get(CLIENTS))

    assert set(body) == {"data", "pagination", "meta"}
    assert [row["name"] for row in body["data"]] == ["a", "b", "c"]
    assert body["pagination"] == {
        "page": 1,
        "limit": 25,
        "total": 3,
        "totalPages": 1,
        "hasNext": False,
        "hasPrev": False,
    }
    assert isinstance(body["meta"], dict)


def test_empty_list_has_zero_pages(admin_api):
    api, _, _ = admin_api

    body = body_of(api.get(CLIENTS))

    assert body["data"] == []
    assert body["pagination"]["total"] == 0
    assert body["pagination"]["totalPages"] == 0
    assert body["pagination"]["hasNext"] is False


# --- pagination --------------------------------------------------------------------------------------------------------


def test_limit_defaults_to_25_and_pages_cover_every_row_once(admin_api):
    api, _, _ = admin_api
    created = {str(make_client(f"Client {i:02d}").pk) for i in range(30)}

    first = body_of(api.get(CLIENTS))
    second = body_of(api.get(CLIENTS, {"page": 2}))

    assert len(first["data"]) == 25
    assert first["pagination"] == {
        "page": 1,
        "limit": 25,
        "total": 30,
        "totalPages": 2,
        "hasNext": True,
        "hasPrev": False,
    }
    assert len(second["data"]) == 5
    assert second["pagination"]["hasNext"] is False
    assert second["pagination"]["hasPrev"] is True
    seen = [row["id"] for row in first["data"] + second["data"]]
    assert len(seen) == len(set(seen))
    assert set(seen) == created


def test_explicit_limit_is_honoured_up_to_100(admin_api):
    api, _, _ = admin_api
    for i in range(7):
        make_client(f"c{i}")

    small = body_of(api.get(CLIENTS, {"limit": 3, "page": 3}))
    maximum = body_of(api.get(CLIENTS, {"limit": 100}))

    assert len(small["data"]) == 1
    assert small["pagination"]["limit"] == 3
    assert small["pagination"]["totalPages"] == 3
    assert len(maximum["data"]) == 7
    assert maximum["pagination"]["limit"] == 100


def test_limit_over_100_is_a_400_naming_limit(admin_api):
    api, _, _ = admin_api
    make_client()

    response = api.get(CLIENTS, {"limit": 101})

    assert error_paths(response) == [["limit"]]
    assert "limit" in error_of(response, 400, "VALIDATION_ERROR")["message"]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "1e3"])
def test_bad_limit_is_a_400(admin_api, value):
    api, _, _ = admin_api

    assert error_paths(api.get(CLIENTS, {"limit": value})) == [["limit"]]


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_page_is_a_400(admin_api, value):
    api, _, _ = admin_api

    assert error_paths(api.get(CLIENTS, {"page": value})) == [["page"]]


def test_page_beyond_the_end_is_empty_not_an_error(admin_api):
    api, _, _ = admin_api
    for i in range(3):
        make_client(f"c{i}")

    body = body_of(api.get(CLIENTS, {"page": 9}))

    assert body["data"] == []
    assert body["pagination"]["page"] == 9
    assert body["pagination"]["total"] == 3
    assert body["pagination"]["hasNext"] is False
    assert body["pagination"]["hasPrev"] is True


# --- sorting ------------------------------------------------------------------------------------------------------------


def test_sort_on_a_documented_field_ascending_and_descending(admin_api):
    api, _, _ = admin_api
    for name, identifier in (("Bravo", "Z1"), ("Alpha", "Y1"), ("Charlie", "X1")):
        make_client(name, identifier=identifier)

    def names(**params):
        return [row["name"] for row in data_of(api.get(CLIENTS, params))]

    assert names() == ["Alpha", "Bravo", "Charlie"]  # the documented default: by name
    assert names(sort="name", order="asc") == ["Alpha", "Bravo", "Charlie"]
    assert names(sort="name", order="desc") == ["Charlie", "Bravo", "Alpha"]
    assert names(sort="identifier") == ["Charlie", "Alpha", "Bravo"]
    assert names(sort="identifier", order="desc") == ["Bravo", "Alpha", "Charlie"]
    assert names(order="desc") == ["Charlie", "Bravo", "Alpha"]


def test_ties_are_broken_by_id_so_pages_never_overlap(admin_api):
    api, _, _ = admin_api
    tied = [str(make_client("Same").pk) for _ in range(7)]
    by_id = sorted(tied, key=uuid.UUID)

    ascending = ids_of(api.get(CLIENTS, {"sort": "name", "limit": 100}))
    descending = ids_of(api.get(CLIENTS, {"sort": "name", "order": "desc", "limit": 100}))
    paged = []
    for page in (1, 2, 3, 4):
        paged += ids_of(api.get(CLIENTS, {"sort": "name", "limit": 2, "page": page}))

    assert ascending == by_id
    assert descending == by_id[::-1]
    assert paged == by_id


def test_unknown_sort_is_a_400_naming_sort(admin_api):
    api, _, _ = admin_api

    response = api.get(CLIENTS, {"sort": "bogus"})

    assert error_paths(response) == [["sort"]]
    assert "bogus" in error_text(response)


def test_sort_on_a_model_field_the_list_does_not_document_is_a_400(admin_api):
    api, _, _ = admin_api

    assert error_paths(api.get(CLIENTS, {"sort": "notes"})) == [["sort"]]
    assert error_paths(api.get(CLIENTS, {"sort": "-name"})) == [["sort"]]


def test_order_must_be_asc_or_desc(admin_api):
    api, _, _ = admin_api

    assert error_paths(api.get(CLIENTS, {"order": "sideways"})) == [["order"]]
    assert error_paths(api.get(CLIENTS, {"sort": "name", "order": "DESCENDING"})) == [["order"]]


# --- strict request bodies ---------------------------------------------------------------------------------------------


def test_unknown_body_field_is_a_400_with_its_path_and_nothing_is_created(admin_api):
    api, _, _ = admin_api

    response = api.post(CLIENTS, {"name": "Initech", "colour": "red"})

    assert error_paths(response) == [["colour"]]
    assert not Client.objects.filter(name="Initech").exists()


def test_unknown_body_field_on_update_is_a_400_and_nothing_changes(admin_api):
    api, _, _ = admin_api
    client = make_client("Before")

    response = api.patch(f"{CLIENTS}/{client.pk}", {"name": "After", "colour": "red"})

    assert error_paths(response) == [["colour"]]
    client.refresh_from_db()
    assert client.name == "Before"


@pytest.mark.parametrize("field", ["id", "archived_at", "created_at", "updated_at"])
def test_read_only_field_in_body_is_a_400(admin_api, field):
    api, _, _ = admin_api

    response = api.post(CLIENTS, {"name": "Umbrella", field: "2020-01-01T00:00:00Z"})

    assert error_paths(response) == [[field]]
    assert "read-only" in error_text(response)
    assert not Client.objects.filter(name="Umbrella").exists()


def test_malformed_json_is_a_400(admin_api):
    api, _, _ = admin_api

    response = api.post(CLIENTS, data='{"name": "x",', content_type="application/json")

    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "malformed" in error["message"].lower()
    assert not Client.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '[{"name": "x"}]', "42", '"name"', "null", "true"])
def test_a_body_that_is_not_a_json_object_is_a_400(admin_api, raw):
    api, _, _ = admin_api

    response = api.post(CLIENTS, data=raw, content_type="application/json")

    error_of(response, 400, "VALIDATION_ERROR")
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "content_type, raw",
    [
        ("text/plain", "name=x"),
        ("application/x-www-form-urlencoded", "name=x"),
        ("application/xml", "<client><name>x</name></client>"),
    ],
)
def test_a_non_json_content_type_is_a_415_envelope(admin_api, content_type, raw):
    api, _, _ = admin_api
    client = make_client("Kept")

    created = api.post(CLIENTS, data=raw, content_type=content_type)
    updated = api.patch(f"{CLIENTS}/{client.pk}", data=raw, content_type=content_type)

    error_of(created, 415, "UNSUPPORTED_MEDIA_TYPE")
    error_of(updated, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert Client.objects.count() == 1
    client.refresh_from_db()
    assert client.name == "Kept"


def test_multipart_body_is_a_415_envelope(admin_api):
    api, _, _ = admin_api

    response = api.post(CLIENTS, {"name": "x"}, format="multipart")

    error_of(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert not Client.objects.exists()


# --- unknown routes and methods ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/clients/not-a-uuid",
        f"/api/v1/clients/{uuid.UUID(int=1)}",
        "/api/v1/clients/@me",
        "/api/v1/",
    ],
)
def test_unknown_api_paths_answer_a_404_envelope(admin_api, path):
    api, _, _ = admin_api

    error_of(api.get(path), 404, "NOT_FOUND")


def test_unknown_api_path_is_a_404_envelope_without_credentials_too():
    from tests.factories import api_client

    error_of(api_client().get("/api/v1/does-not-exist"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "method, path",
    [
        ("put", "/api/v1/clients"),
        ("delete", "/api/v1/clients"),
        ("delete", "/api/v1/users/@me"),
        ("put", "/api/v1/users/@me"),
        ("get", "/api/v1/users/@me/check-permission"),
        ("post", "/api/v1/permissions"),
        ("post", "/api/v1/audit-events"),
        ("post", "/api/v1/teapot"),
    ],
)
def test_a_wrong_method_is_a_405_envelope(admin_api, method, path):
    api, _, _ = admin_api

    response = getattr(api, method)(path, {}) if method != "get" else api.get(path)

    error = error_of(response, 405, "METHOD_NOT_ALLOWED")
    assert method.upper() in error["message"]


def test_a_wrong_method_on_an_object_is_a_405_envelope(admin_api):
    api, _, _ = admin_api
    key = admin_api[2]

    response = api.patch(f"/api/v1/api-keys/{key.pk}", {"description": "x"})

    error_of(response, 405, "METHOD_NOT_ALLOWED")
    key.refresh_from_db()
    assert key.description == "test key"


# --- tenant header -----------------------------------------------------------------------------------------------------


def test_x_tenant_id_is_accepted_and_ignored(admin_api):
    api, _, _ = admin_api
    make_client("Acme")

    plain = body_of(api.get(CLIENTS))
    with_tenant = body_of(api.get(CLIENTS, HTTP_X_TENANT_ID="some-other-tenant"))
    created = api.post(CLIENTS, {"name": "Globex"}, HTTP_X_TENANT_ID=str(uuid.uuid4()))

    assert with_tenant == plain
    assert data_of(created, 201)["name"] == "Globex"
    assert Client.objects.count() == 2


# --- health and schema -------------------------------------------------------------------------------------------------


def test_healthz_needs_no_authentication_and_reports_database_and_broker(client):
    response = client.get("/healthz")

    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] in ("ok", "unavailable")
    healthy = body["broker"] == "ok"
    assert response.status_code == (200 if healthy else 503)
    assert body["status"] == ("ok" if healthy else "degraded")


def test_healthz_reports_a_broken_broker_as_degraded(client, monkeypatch):
    from psa.celery import app

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "connection_for_write", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "degraded"


def test_healthz_reports_a_broken_database(client, monkeypatch):
    import psa.health

    class BrokenConnection:
        def cursor(self):
            raise RuntimeError("database down")

    monkeypatch.setattr(psa.health, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_schema_requires_authentication():
    from tests.factories import api_client

    response = api_client().get("/api/v1/schema/")

    error_of(response, 401, "UNAUTHORIZED")


def test_schema_is_an_openapi_document_for_an_authenticated_caller(admin_api):
    api, _, _ = admin_api

    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/clients" in document["paths"]
    assert "/api/v1/users/@me" in document["paths"]
    assert set(document["paths"]["/api/v1/clients"]) >= {"get", "post"}


def test_schema_is_served_as_yaml_by_default(admin_api):
    api, _, _ = admin_api

    response = api.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")
