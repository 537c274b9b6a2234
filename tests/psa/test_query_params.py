"""Unknown query parameters are a 400 naming them and listing the accepted ones (issue 8 §5)."""

from __future__ import annotations

import pytest

from tests.factories import api_client, api_for, make_client
from tests.psa.helpers import data_of, error_of, error_paths

pytestmark = pytest.mark.django_db


def test_offset_paging_is_refused_not_answered_with_page_one(admin_api):
    api, _, _ = admin_api
    for n in range(3):
        make_client(f"Paged {n}")

    response = api.get("/api/v1/clients", {"offset": 50, "limit": 1})

    assert error_paths(response) == [["offset"]]
    message = response.json()["error"]["details"][0]["message"]
    assert "'offset'" in message
    for accepted in ("page", "limit", "sort", "order", "search", "is_active", "client_id", "updated_since"):
        assert accepted in message, message


def test_an_unknown_filter_is_refused_instead_of_returning_everything(admin_api):
    api, _, _ = admin_api

    assert error_paths(api.get("/api/v1/contacts", {"emailaddress": "x@example.com"})) == [["emailaddress"]]


def test_every_unknown_parameter_is_named(admin_api):
    api, _, _ = admin_api

    paths = error_paths(api.get("/api/v1/clients", {"offset": 1, "per_page": 5, "page": 1}))

    assert sorted(paths) == [["offset"], ["per_page"]]


def test_known_parameters_still_work(admin_api):
    api, _, _ = admin_api
    make_client("Zeta")
    make_client("Alpha")

    rows = data_of(api.get("/api/v1/clients", {"page": 1, "limit": 10, "sort": "name", "order": "desc", "search": ""}))

    assert [row["name"] for row in rows][:2] == ["Zeta", "Alpha"]


def test_detail_routes_refuse_list_parameters(admin_api):
    api, _, _ = admin_api
    client = make_client("Acme")

    assert error_paths(api.get(f"/api/v1/clients/{client.pk}", {"page": 2})) == [["page"]]
    assert data_of(api.get(f"/api/v1/clients/{client.pk}", {"include_address": "true"}))["name"] == "Acme"


def test_plain_views_refuse_undeclared_parameters(admin_api):
    api, _, _ = admin_api

    assert error_paths(api.get("/api/v1/users/@me", {"expand": "roles"})) == [["expand"]]
    assert error_paths(api.get("/api/v1/expirations", {"days": 5})) == [["days"]]
    data_of(api.get("/api/v1/expirations", {"within_days": 5}))


def test_credentials_come_first_then_permissions_then_parameters():
    assert api_client().get("/api/v1/clients", {"offset": 1}).status_code == 401
    api, _, _ = api_for(["contact.read"])
    error_of(api.get("/api/v1/clients", {"offset": 1}), 403, "FORBIDDEN")


def test_the_schema_takes_format_and_nothing_else(admin_api):
    api, _, _ = admin_api

    assert api.get("/api/v1/schema/", {"format": "json"}).status_code == 200
    assert error_paths(api.get("/api/v1/schema/", {"version": "2"})) == [["version"]]


def test_ticket_search_documents_and_takes_the_list_filters(admin_api):
    api, _, _ = admin_api
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()  # YAML: ~4 CPU s to parse
    documented = {p["name"] for p in schema["paths"]["/api/v1/tickets/search"]["get"]["parameters"]}

    assert {"query", "include_closed", "limit", "is_open", "client_id"} <= documented
    assert not {"page", "sort", "order"} & documented  # one ranked page: paging was documented but ignored
    assert error_paths(api.get("/api/v1/tickets/search", {"page": 2})) == [["page"]]
    data_of(api.get("/api/v1/tickets/search", {"query": "printer", "is_open": "true"}))


def test_ticket_stats_document_the_list_filters(admin_api):
    api, _, _ = admin_api
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()  # YAML: ~4 CPU s to parse
    documented = {p["name"] for p in schema["paths"]["/api/v1/tickets/stats"]["get"]["parameters"]}

    assert {"is_open", "assigned_to", "board_id", "tags", "updated_from"} <= documented


# ---- values are held to their documented schema (issue 8 §5, §7) ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/v1/networks", {"vlan": "0.5"}, "vlan"),  # an integer filter
        ("/api/v1/products", {"price_min": "0.5"}, "price_min"),  # an integer (minor units) filter
        ("/api/v1/clients", {"is_active": "null"}, "is_active"),  # a boolean filter
        ("/api/v1/clients", {"is_active": "1"}, "is_active"),  # the schema says true or false
        ("/api/v1/clients", {"client_id": "not-a-uuid"}, "client_id"),
        ("/api/v1/clients", {"sort": "nonsense"}, "sort"),  # an enum
        ("/api/v1/clients", {"limit": "0"}, "limit"),  # below the documented minimum
    ],
)
def test_a_value_the_schema_refuses_is_a_400_naming_the_parameter(admin_api, path, params, name):
    api, _, _ = admin_api

    response = api.get(path, params)

    assert error_paths(response) == [[name]]
    assert f"'{name}'" in response.json()["error"]["details"][0]["message"]


def test_an_include_flag_of_a_detail_route_is_checked_as_well(admin_api):
    api, _, _ = admin_api
    client = make_client("Acme")

    assert error_paths(api.get(f"/api/v1/clients/{client.pk}", {"include_address": "null"})) == [["include_address"]]
    assert data_of(api.get(f"/api/v1/clients/{client.pk}", {"include_address": "false"}))["name"] == "Acme"


def test_a_parameter_given_twice_is_refused(admin_api):
    api, _, _ = admin_api

    response = api.get("/api/v1/clients?is_active=true&is_active=false")

    assert error_paths(response) == [["is_active"]]
    assert "once" in response.json()["error"]["details"][0]["message"]


def test_schema_valid_values_still_work(admin_api):
    api, _, _ = admin_api
    make_client("Acme")

    params = {"is_active": "true", "client_id": "", "limit": "100", "sort": "name", "updated_since": ""}
    assert [row["name"] for row in data_of(api.get("/api/v1/clients", params))] == ["Acme"]
    assert data_of(api.get("/api/v1/networks", {"vlan": "12"})) == []
    assert data_of(api.get("/api/v1/products", {"price_min": "5", "price_max": "10"})) == []
    assert data_of(api.get("/api/v1/clients", {"updated_since": "2999-01-01T00:00:00Z"})) == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/boards", "updated_since"),  # BaseFilterSet
        ("/api/v1/tickets", "entered_from"),  # the tickets' own date-or-datetime filter
        ("/api/v1/integrations/sync-runs", "started_after"),  # a plain FilterSet
    ],
)
def test_an_offset_postgresql_cannot_store_is_filtered_in_utc(admin_api, path, name):
    api, _, _ = admin_api

    # +17:32 is valid ISO 8601; PostgreSQL refuses offsets beyond ±15:59 (this was a 500 there).
    assert data_of(api.get(path, {name: "2999-02-11T17:28:08+17:32"})) == []
