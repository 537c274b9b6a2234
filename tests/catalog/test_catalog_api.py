"""The catalog API: services and products, MSP-wide, readable but not writable by client-scoped callers."""

import pytest

from catalog.models import Product, Service
from psa.models import AuditEvent
from tests.catalog.factories import make_product, make_service
from tests.factories import api_client, api_for, make_client

pytestmark = pytest.mark.django_db

WRITER = ["catalog.*", "obj.*"]


def test_create_service_with_normalised_currency_and_audit():
    api, _, _ = api_for(WRITER)
    response = api.post(
        "/api/v1/services",
        {"service_name": " Remote support ", "default_rate": 12_500, "currency": "eur", "is_billable": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["service_name"] == "Remote support" and data["service_id"] == data["id"]
    assert data["currency"] == "EUR" and data["default_rate"] == 12_500 and data["is_billable"] is False
    assert AuditEvent.objects.filter(action="create", object_type="catalog.service", object_id=data["id"]).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service_name": ""}, "service_name"),
        ({"service_name": "X", "currency": "EURO"}, "currency"),
        ({"service_name": "X", "currency": "€€€"}, "currency"),
        ({"service_name": "X", "default_rate": -1}, "default_rate"),
        ({"service_name": "X", "default_rate": "ten"}, "default_rate"),
        ({"service_name": "X", "colour": "red"}, "colour"),
        ({}, "service_name"),
    ],
)
def test_service_validation_names_the_field(body, field):
    api, _, _ = api_for(WRITER)
    response = api.post("/api/v1/services", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["path"] == [field]


def test_duplicate_names_skus_and_external_ids_are_400():
    make_service("Onsite")
    make_product("Switch", sku="SW-1", external_source="erp", external_id="42")
    api, _, _ = api_for(WRITER)
    assert api.post("/api/v1/services", {"service_name": "onsite"}, format="json").json()["error"]["details"][0][
        "path"
    ] == ["service_name"]
    response = api.post("/api/v1/products", {"product_name": "Other", "sku": "sw-1"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["sku"]
    body = {"product_name": "Other", "external_source": "erp", "external_id": "42"}
    response = api.post("/api/v1/products", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["external_id"]
    # The same external id from another source is another item.
    body["external_source"] = "other"
    assert api.post("/api/v1/products", body, format="json").status_code == 201


def test_product_crud_round_trip():
    api, _, _ = api_for(WRITER)
    body = {"product_name": "SSD 1 TB", "sku": "SSD-1", "manufacturer": "Acme", "unit_price": 9_900,
            "cost": 6_000, "currency": "usd", "on_hand": 5}  # fmt: skip
    created = api.post("/api/v1/products", body, format="json")
    assert created.status_code == 201, created.content
    product_id = created.json()["data"]["product_id"]
    changed = api.patch(f"/api/v1/products/{product_id}", {"on_hand": 7, "is_active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["data"]["on_hand"] == 7
    assert api.get(f"/api/v1/products/{product_id}").json()["data"]["is_active"] is False
    assert api.patch(f"/api/v1/products/{product_id}", {"on_hand": -1}, format="json").status_code == 400
    assert api.delete(f"/api/v1/products/{product_id}").status_code == 204
    assert not Product.objects.filter(pk=product_id).exists()


def test_filters_search_and_sort():
    make_service("Remote support")
    make_service("Onsite", is_active=False)
    make_product("Cable", sku="CAB", on_hand=0, manufacturer="Acme")
    make_product("Router", sku="RT", on_hand=3, manufacturer="Mikro", unit_price=50_000)
    api, _, _ = api_for(["catalog.service.read", "catalog.product.read", "obj.*"])
    names = lambda r: [row.get("service_name") or row.get("product_name") for row in r.json()["data"]]  # noqa: E731
    assert names(api.get("/api/v1/services", {"is_active": "true", "limit": 100})) == ["Remote support"]
    assert names(api.get("/api/v1/services", {"search": "onsi"})) == ["Onsite"]
    assert names(api.get("/api/v1/products", {"in_stock": "true"})) == ["Router"]
    assert names(api.get("/api/v1/products", {"manufacturer": "acm"})) == ["Cable"]
    assert names(api.get("/api/v1/products", {"price_min": 10_000})) == ["Router"]
    assert names(api.get("/api/v1/products", {"sort": "on_hand", "order": "desc"})) == ["Router", "Cable"]
    assert api.get("/api/v1/products", {"in_stock": "maybe"}).status_code == 400
    assert api.get("/api/v1/products", {"sort": "cost"}).status_code == 400


def test_unauthenticated_is_401_and_missing_node_is_403():
    assert api_client().get("/api/v1/services").status_code == 401
    api, _, _ = api_for(["catalog.service.read", "obj.*"])
    assert api.get("/api/v1/products").status_code == 403
    assert api.post("/api/v1/services", {"service_name": "X"}, format="json").status_code == 403


def test_client_scoped_callers_read_but_never_write_the_catalog():
    service = make_service("Remote support")
    client = make_client("Scoped")
    for scope in ({"clients": [client]}, {"key_clients": [client]}):
        api, _, _ = api_for(WRITER, **scope)
        assert api.get("/api/v1/services").json()["pagination"]["total"] == 1
        assert api.get(f"/api/v1/services/{service.pk}").status_code == 200
        assert api.post("/api/v1/services", {"service_name": "New"}, format="json").status_code == 403
        assert api.patch(f"/api/v1/services/{service.pk}", {"default_rate": 1}, format="json").status_code == 403
        assert api.delete(f"/api/v1/services/{service.pk}").status_code == 403
    service.refresh_from_db()
    assert service.default_rate == 12_000 and Service.objects.count() == 1


def test_a_used_service_cannot_be_deleted():
    from tests.factories import make_user
    from tests.tickets.factories import make_ticket
    from tests.tickets.time_factories import make_entry

    service = make_service("Used")
    make_entry(make_ticket(make_client()), make_user(), service=service)
    api, _, _ = api_for(WRITER)
    response = api.delete(f"/api/v1/services/{service.pk}")
    assert response.status_code == 409 and response.json()["error"]["code"] == "CONFLICT"
