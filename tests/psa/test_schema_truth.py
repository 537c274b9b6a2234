"""The OpenAPI schema says what the API does (issue 8 §7): the cases schemathesis found, pinned one by one."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def responses(document, method: str, path: str) -> dict:
    return document["paths"][f"/api/v1/{path}"][method]["responses"]


def component(document, name: str) -> dict:
    return document["components"]["schemas"][name]


def test_a_delete_that_answers_a_body_documents_200_with_it(document):
    for path in ("mobile/push-token", "tickets/{id}/bundle", "roles/{id_or_moniker}/permissions"):
        codes = responses(document, "delete", path)
        assert "200" in codes and "204" not in codes, path
    # A plain destroy still answers 204 without a body.
    assert "204" in responses(document, "delete", "clients/{id}")


def test_mobile_sign_in_documents_its_refusals(document):
    for path in ("mobile/auth/exchange", "mobile/auth/refresh"):
        assert {"401", "403"} <= set(responses(document, "post", path)), path


def test_no_running_timer_is_documented(document):
    data = responses(document, "get", "time-entries/active-session")["200"]["content"]["application/json"]
    assert data["schema"]["properties"]["data"]["nullable"] is True
    assert "404" in responses(document, "delete", "time-entries/active-session")


def test_a_method_field_annotated_optional_is_nullable(document):
    assert component(document, "Material")["properties"]["sku"]["nullable"] is True


def test_gated_and_selectable_fields_are_not_required(document):
    assert component(document, "Ticket").get("required") is None  # ?fields= picks any subset
    assert component(document, "Client")["required"] == ["id"]  # every other field can be gated away


def test_required_text_must_hold_more_than_blanks(document):
    pattern = component(document, "LocationRequest")["properties"]["name"]["pattern"]
    assert pattern == r"^[^\x00]*[^\x00\s][^\x00]*$"


def test_from_asset_documents_the_asset_it_takes(document):
    body = component(document, "FromAssetTicketRequest")
    assert "asset_id" in body["required"] and "client_id" not in body["required"]


def test_ticket_search_filters_have_their_types(document):
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/tickets/search"]["get"]["parameters"]}
    assert parameters["is_closed"] == {"type": "boolean"}
    assert "web" in parameters["source"]["enum"]


def test_discarding_no_timer_is_the_documented_404():
    from tests.factories import api_for

    api, _, _ = api_for(["time_entry.read", "time_entry.create", "time_entry.update", "time_entry.delete"])

    error_of(api.delete("/api/v1/time-entries/active-session"), 404, "NOT_FOUND")
    assert data_of(api.get("/api/v1/time-entries/active-session")) is None


def test_a_json_null_body_is_refused_by_sync(admin_api):
    from tests.integrations.conftest import make_source

    api, _, _ = admin_api
    source = make_source("http://127.0.0.1:9")
    url = f"/api/v1/integrations/sources/{source.pk}/sync"

    error_of(api.post(url, "null", content_type="application/json"), 400, "VALIDATION_ERROR")


def test_a_watcher_written_takes_only_its_documented_keys(document):
    items = component(document, "TicketRequest")["properties"]["watchers"]["items"]
    assert items["additionalProperties"] is False
    assert items["properties"]["id"]["readOnly"] is True  # answered, never written
