"""Fields ConnectWise masters on a synced catalog item are read-only: the API refuses them, the form locks them."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from catalog.models import Product
from integrations.connectwise.simulator import ConnectWiseSimulator, Size
from integrations.sync import run_job
from psa.models import AuditEvent
from tests.catalog.factories import make_product
from tests.factories import api_for, make_user
from tests.integrations.conftest import make_cw_client, make_source

pytestmark = pytest.mark.django_db
EDIT = ["catalog.product.*", "procurement.catalog.read", "obj.*"]


@pytest.fixture
def synced():
    sim = ConnectWiseSimulator(Size(companies=1, contacts=1, sites=1, configurations=1, members=1, catalog_items=3,
                                    opportunities=1))  # fmt: skip
    client = make_cw_client(sim)
    try:
        run_job(make_source(), "connectwise.catalog", client=client)
    finally:
        client.close()
    return Product.objects.get(external_source="connectwise", external_id="50001")


def _errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content[:300]
    body = response.json()["error"]
    assert body["code"] == "VALIDATION_ERROR"
    return {detail["path"][0]: detail["message"] for detail in body["details"]}


def test_patch_refuses_each_mastered_field_by_its_api_name(synced):
    api, *_ = api_for(EDIT)
    before = AuditEvent.objects.count()
    response = api.patch(
        f"/api/v1/products/{synced.pk}",
        {"product_name": "Renamed", "unit_price": 1, "sku": "OURS-1", "is_active": False, "on_hand": 4},
        format="json",
    )
    errors = _errors(response)
    assert set(errors) == {"product_name", "unit_price", "sku", "is_active"}
    assert all("Synced from ConnectWise Manage" in message for message in errors.values())
    synced.refresh_from_db()
    assert synced.name != "Renamed" and synced.on_hand != 4 and AuditEvent.objects.count() == before


def test_put_refuses_a_changed_mastered_field_and_accepts_the_current_values(synced):
    api, *_ = api_for(EDIT)
    current = api.get(f"/api/v1/products/{synced.pk}").json()["data"]
    body = {name: current[name] for name in ("product_name", "sku", "manufacturer", "description", "unit_price",
                                             "cost", "is_active")}  # fmt: skip
    assert set(_errors(api.put(f"/api/v1/products/{synced.pk}", {**body, "cost": body["cost"] + 1},
                               format="json"))) == {"cost"}  # fmt: skip
    response = api.put(f"/api/v1/products/{synced.pk}", {**body, "currency": "EUR", "on_hand": 7}, format="json")
    assert response.status_code == 200, response.content[:300]
    synced.refresh_from_db()
    assert (synced.currency, synced.on_hand) == ("EUR", 7)


def test_local_only_fields_stay_editable_on_a_synced_item(synced):
    api, *_ = api_for(EDIT)
    response = api.patch(f"/api/v1/products/{synced.pk}", {"on_hand": 3, "currency": "GBP"}, format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["data"]["on_hand"] == 3
    assert AuditEvent.objects.filter(object_id=str(synced.pk)).exists()


def test_an_item_of_ours_alone_is_fully_editable(synced):
    local = make_product("Our cable", sku="CAB-1")
    api, *_ = api_for(EDIT)
    response = api.patch(f"/api/v1/products/{local.pk}", {"product_name": "Better cable", "unit_price": 99},
                         format="json")  # fmt: skip
    assert response.status_code == 200, response.content[:300]
    local.refresh_from_db()
    assert (local.name, local.unit_price) == ("Better cable", 99)


def _browser(nodes) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(make_user(nodes))
    return browser


def _input(form: str, name: str) -> str:
    return form.split(f'name="{name}"')[1].split(">")[0]


def test_the_form_shows_mastered_fields_disabled_with_a_link_and_saves_the_local_ones(synced):
    page = _browser(EDIT)
    item = page.get(f"/catalog/procurement/{synced.pk}/").content.decode()
    assert f"/catalog/products/{synced.pk}/edit/" in item and "data-sync-origin" in item
    form = page.get(f"/catalog/products/{synced.pk}/edit/").content.decode()
    for name in ("product_name", "sku", "unit_price", "cost", "is_active"):
        assert "disabled" in _input(form, name), name
    for name in ("on_hand", "currency"):
        assert "disabled" not in _input(form, name), name
    # Manage's record router has no catalog-item screen: the form says where the item comes from, without a link.
    assert "Synced from ConnectWise Manage: change it there." in form and "openrecord.rails" not in form
    name = synced.name
    response = page.post(f"/catalog/products/{synced.pk}/edit/",
                         {"product_name": "Forged", "unit_price": "1", "on_hand": "5", "currency": "USD"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    synced.refresh_from_db()
    assert (synced.name, synced.on_hand) == (name, 5) and synced.unit_price != 1


def test_the_form_of_a_local_item_locks_nothing():
    local = make_product("Ours alone", sku="OURS-2")
    form = _browser(EDIT).get(f"/catalog/products/{local.pk}/edit/").content.decode()
    assert "Synced from" not in form and "disabled" not in _input(form, "product_name")


def test_the_form_needs_the_update_node(synced):
    page = _browser(["catalog.product.read", "procurement.catalog.read", "obj.*"])
    assert page.get(f"/catalog/products/{synced.pk}/edit/").status_code == 403
    assert f"/catalog/products/{synced.pk}/edit/" not in page.get(f"/catalog/procurement/{synced.pk}/").content.decode()


def test_the_form_refuses_a_client_scoped_editor_and_an_unknown_item(synced):
    from tests.factories import make_client

    scoped = BrowserClient()
    scoped.force_login(make_user(EDIT, clients=[make_client("Only this one")]))
    assert scoped.get(f"/catalog/products/{synced.pk}/edit/").status_code == 403
    assert _browser(EDIT).get("/catalog/products/00000000-0000-4000-8000-000000000000/edit/").status_code == 404


def test_a_bad_value_for_a_local_field_stays_on_the_form_with_its_error(synced):
    response = _browser(EDIT).post(f"/catalog/products/{synced.pk}/edit/", {"on_hand": "-1", "currency": "USD"})
    assert response.status_code == 400 and "greater than or equal to 0" in response.content.decode()
    synced.refresh_from_db()
    assert synced.on_hand >= 0
