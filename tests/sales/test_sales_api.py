"""Seed 004's sales routes against the simulator: hydration, refresh, products and reorder, notes, contacts, faults."""

from __future__ import annotations

import pytest

from clients.models import Client
from psa.models import AuditEvent
from sales.models import Opportunity
from tests.factories import api_client, api_for, make_client
from tests.integrations.live_sim import live_world

pytestmark = pytest.mark.django_db
READ = ["sales.opportunity.read", "obj.opportunity.*"]


@pytest.fixture
def world():
    with live_world() as world:
        yield world


def _get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content[:400]
    return response.json()


def _open(world) -> Opportunity:
    return Opportunity.objects.filter(is_closed=False).order_by("cw_opportunity_id").first()


def test_list_is_hydrated_with_company_contacts_and_activities_in_one_live_call(world):
    api, *_ = api_for([*READ, "obj.client.*", "obj.contact.*"])
    body = _get(api, "/api/v1/sales/opportunities")
    assert {row["closed_flag"] for row in body["data"]} == {False}
    row = body["data"][0]
    company = row["company"]
    assert company["cw_company_id"] and company["cw_data"]["address"]["line1"]
    assert company["cw_data"]["all_contacts"][0]["cw_id"] and row["company_id"] == company["id"]
    assert row["activities"][0]["opportunity"]["id"] == row["cw_opportunity_id"]
    assert body["meta"]["connectwise"]["status"] == "live"
    assert len(world.sim.log("sales/activities")) == 1
    again = _get(api, "/api/v1/sales/opportunities")
    assert again["meta"]["connectwise"]["cached"] is True and len(world.sim.log("sales/activities")) == 1
    closed = _get(api, "/api/v1/sales/opportunities", include_closed="true")
    assert closed["pagination"]["total"] == Opportunity.objects.count() > body["pagination"]["total"]
    count = _get(api, "/api/v1/sales/opportunities/count")
    assert count["data"]["count"] == body["pagination"]["total"]


def test_the_hydrated_company_follows_the_client_and_contact_field_gates(world):
    api, *_ = api_for(READ)  # the opportunity's own fields, none of the client's or its contacts'
    company = _get(api, "/api/v1/sales/opportunities")["data"][0]["company"]
    assert "name" not in company and "cw_company_id" not in company and "address" not in company["cw_data"]
    person = company["cw_data"]["all_contacts"][0]
    assert "email" not in person and "first_name" not in person and person["cw_id"]


def test_when_connectwise_is_down_lists_and_details_serve_local_data_with_meta(world):
    opportunity = _open(world)
    api, *_ = api_for(READ)
    world.sim.fail_next(503, times=1)
    body = _get(api, "/api/v1/sales/opportunities")
    assert body["data"] and body["data"][0]["activities"] is None
    assert body["meta"]["connectwise"]["status"] == "unavailable"
    assert body["meta"]["connectwise"]["code"] == "UPSTREAM_UNAVAILABLE"
    world.sim.fail_next(500, times=1)
    detail = _get(api, f"/api/v1/sales/opportunities/{opportunity.cw_opportunity_id}")
    assert detail["data"]["name"] == opportunity.name and detail["meta"]["connectwise"]["status"] == "unavailable"


def test_detail_by_either_id_has_the_site_and_live_address(world):
    opportunity = _open(world)
    world.sim.touch("companies", opportunity.company_ref["id"], addressLine1="1 New Street")
    api, *_ = api_for([*READ, "obj.client.*", "obj.contact.*"])
    for identifier in (opportunity.pk, opportunity.cw_opportunity_id):
        data = _get(api, f"/api/v1/sales/opportunities/{identifier}")["data"]
        assert data["id"] == str(opportunity.pk)
    assert data["site"]["address"]["line1"] and "primary_address_flag" in data["site"]
    assert data["company"]["cw_data"]["address"]["line1"] == "1 New Street"
    assert api.get("/api/v1/sales/opportunities/999999").status_code == 404


def test_field_gating(world):
    opportunity = _open(world)
    api, *_ = api_for(["sales.opportunity.read", "obj.opportunity.name"])
    data = _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}")["data"]
    assert set(data) == {"id", "name"}
    assert api.get("/api/v1/sales/opportunities", {"client_id": str(opportunity.client_id)}).status_code == 403


def test_refresh_reads_connectwise_and_stores(world):
    opportunity = _open(world)
    world.sim.touch("opportunities", opportunity.cw_opportunity_id, name="Renamed upstream")
    api, *_ = api_for(["sales.opportunity.refresh", *READ])
    response = api.post(f"/api/v1/sales/opportunities/{opportunity.pk}/refresh")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["name"] == "Renamed upstream"
    assert Opportunity.objects.get(pk=opportunity.pk).name == "Renamed upstream"
    world.sim.fail_next(502)
    assert api.post(f"/api/v1/sales/opportunities/{opportunity.pk}/refresh").status_code == 503


def test_products_carry_cancellation_and_local_stock(world):
    opportunity = Opportunity.objects.get(cw_opportunity_id=5002)  # even: its third line is cancelled
    api, *_ = api_for(READ)
    lines = _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}/products")["data"]
    assert [line["sequence_number"] for line in lines] == [1, 2, 3]
    assert lines[2]["cancelled"] is True and lines[2]["cancellation_type"] == "full"
    assert lines[2]["cancelled_reason"] and lines[0]["cancelled"] is False
    synced = [line for line in lines if line["on_hand"] is not None]
    assert synced and all(line["in_stock"] == (line["on_hand"] > 0) for line in synced)
    assert isinstance(lines[0]["revenue"], int)


def test_products_when_connectwise_is_down_are_503(world):
    opportunity = _open(world)
    world.sim.fail_next(500)
    api, *_ = api_for(READ)
    response = api.get(f"/api/v1/sales/opportunities/{opportunity.pk}/products")
    assert response.status_code == 503 and response.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"


def test_reorder_patches_each_moved_line_and_comes_back_on_refresh(world):
    opportunity = _open(world)
    api, *_ = api_for(["sales.opportunity.product.update", *READ])
    ids = [line["id"] for line in _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}/products")["data"]]
    order = [ids[2], ids[0], ids[1]]
    response = api.patch(f"/api/v1/sales/opportunities/{opportunity.pk}/products/sequence", {"ordered_ids": order},
                         format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert [line["id"] for line in response.json()["data"]["products"]] == order
    assert response.json()["data"]["id_map"] == {str(i): i for i in order}
    assert {world.sim.data["forecast"][i]["sequenceNumber"] for i in order} == {1, 2, 3}
    assert [line["id"] for line in _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}/products")["data"]] == order
    assert AuditEvent.objects.filter(object_id=str(opportunity.pk), action="update").exists()


def test_a_failed_reorder_puts_the_old_order_back_and_names_the_line(world):
    opportunity = _open(world)
    api, *_ = api_for(["sales.opportunity.product.update", *READ])
    ids = [line["id"] for line in _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}/products")["data"]]
    world.sim.fail_next(500, match=f"forecast/{ids[0]}")  # the second PATCH (line ids[0] moves to position 2)
    response = api.patch(f"/api/v1/sales/opportunities/{opportunity.pk}/products/sequence",
                         {"ordered_ids": [ids[2], ids[0], ids[1]]}, format="json")  # fmt: skip
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["details"]["failed_lines"][0]["id"] == ids[0] and error["details"]["not_restored_lines"] == []
    assert [world.sim.data["forecast"][i]["sequenceNumber"] for i in ids] == [1, 2, 3]


@pytest.mark.parametrize(
    "body", [{}, {"ordered_ids": []}, {"ordered_ids": [1, 1]}, {"ordered_ids": ["a"]}, {"ordered_ids": [1, 2, 3]}]
)
def test_reorder_validation(world, body):
    opportunity = _open(world)
    api, *_ = api_for(["sales.opportunity.product.update", *READ])
    response = api.patch(f"/api/v1/sales/opportunities/{opportunity.pk}/products/sequence", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"][0] == "ordered_ids"


def test_notes_crud_is_written_through_to_connectwise(world):
    opportunity = _open(world)
    nodes = ["sales.opportunity.note.create", "sales.opportunity.note.update", "sales.opportunity.note.delete", *READ]
    api, *_ = api_for(nodes)
    url = f"/api/v1/sales/opportunities/{opportunity.pk}/notes"
    before = _get(api, url)["data"]
    assert len(before) == 2 and before[0]["entered_by"]["identifier"]
    created = api.post(url, {"text": "Call back Tuesday", "flagged": True}, format="json")
    assert created.status_code == 201, created.content
    note_id = created.json()["data"]["id"]
    assert world.sim.data["notes"][note_id]["text"] == "Call back Tuesday"
    assert len(_get(api, url)["data"]) == 3  # the cached list was forgotten
    changed = api.patch(f"{url}/{note_id}", {"text": "Call back Wednesday"}, format="json")
    assert changed.status_code == 200 and changed.json()["data"]["text"] == "Call back Wednesday"
    assert _get(api, f"{url}/{note_id}")["data"]["flagged"] is True
    assert api.delete(f"{url}/{note_id}").status_code == 204
    assert note_id not in world.sim.data["notes"]
    assert api.get(f"{url}/{note_id}").status_code == 404
    actions = set(AuditEvent.objects.filter(object_type="sales.opportunitynote").values_list("action", flat=True))
    assert actions == {"create", "update", "delete"}


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [("post", {}, "text"), ("post", {"text": ""}, "text"), ("post", {"text": "x", "color": 1}, "color"),
     ("post", {"text": "x", "flagged": "yes"}, "flagged"), ("patch", {}, "text")],
)  # fmt: skip
def test_note_validation(world, method, body, field):
    opportunity = _open(world)
    api, *_ = api_for(["sales.opportunity.note.create", "sales.opportunity.note.update", *READ])
    url = f"/api/v1/sales/opportunities/{opportunity.pk}/notes"
    note_id = _get(api, url)["data"][0]["id"]
    target = url if method == "post" else f"{url}/{note_id}"
    response = getattr(api, method)(target, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["path"][0] == field


def test_contacts_and_types(world):
    opportunity = _open(world)
    api, *_ = api_for(READ)
    contacts = _get(api, f"/api/v1/sales/opportunities/{opportunity.pk}/contacts")["data"]
    assert contacts[0]["role"]["name"] == "Decision Maker" and contacts[0]["contact"]["id"]
    types = _get(api, "/api/v1/sales/opportunity-types")["data"]
    won = next(t for t in types if t["name"] == "03. Won")
    assert won["won_flag"] is True and won["closed_flag"] is True and won["id"] == 26


def test_client_scope_hides_other_clients_opportunities(world):
    opportunity = _open(world)
    other = make_client("Elsewhere")
    api, *_ = api_for(["*"], key_clients=[other])
    assert _get(api, "/api/v1/sales/opportunities")["pagination"]["total"] == 0
    assert _get(api, "/api/v1/sales/opportunities/count")["data"]["count"] == 0
    for suffix in ("", "/products", "/notes", "/contacts"):
        assert api.get(f"/api/v1/sales/opportunities/{opportunity.pk}{suffix}").status_code == 404
    assert (
        api.post(f"/api/v1/sales/opportunities/{opportunity.pk}/notes", {"text": "x"}, format="json").status_code == 404
    )
    own, *_ = api_for(["*"], key_clients=[Client.objects.get(pk=opportunity.client_id)])
    assert _get(own, f"/api/v1/sales/opportunities/{opportunity.pk}")["data"]["id"] == str(opportunity.pk)


def test_unauthenticated_and_forbidden(world):
    opportunity = _open(world)
    assert api_client().get("/api/v1/sales/opportunities").status_code == 401
    api, *_ = api_for(["sales.opportunity.read", "obj.*"])
    url = f"/api/v1/sales/opportunities/{opportunity.pk}"
    assert api.post(f"{url}/refresh").status_code == 403
    assert api.post(f"{url}/notes", {"text": "x"}, format="json").status_code == 403
    assert api.patch(f"{url}/products/sequence", {"ordered_ids": [1]}, format="json").status_code == 403


def test_an_archived_opportunitys_live_parts_answer_409_without_asking_connectwise(world):
    from django.test import Client as BrowserClient
    from django.utils import timezone

    from tests.factories import make_user

    opportunity = _open(world)
    cw_id = opportunity.cw_opportunity_id
    api, *_ = api_for([*READ, "sales.opportunity.note.create", "sales.opportunity.product.update"])
    base = f"/api/v1/sales/opportunities/{opportunity.pk}"
    assert api.get(f"{base}/products").status_code == 200  # cached now: the archive must refuse the cache too
    Opportunity.objects.filter(pk=opportunity.pk).update(archived_at=timezone.now())
    asked = len(world.sim.log(f"opportunities/{cw_id}"))
    for method, path, body in [
        ("get", "products", None), ("get", "notes", None), ("get", "contacts", None), ("get", "notes/1", None),
        ("post", "notes", {"text": "Too late"}), ("patch", "products/sequence", {"ordered_ids": [1]}),
    ]:  # fmt: skip
        response = getattr(api, method)(f"{base}/{path}", body, format="json")
        assert response.status_code == 409, (path, response.content[:300])
        assert response.json()["error"]["code"] == "ARCHIVED" and "deleted in ConnectWise" in response.content.decode()
    browser = BrowserClient()
    browser.force_login(make_user([*READ, "obj.client.*"]))
    page = browser.get(f"/sales/{opportunity.pk}/").content.decode()
    assert "deleted in ConnectWise" in page and 'id="products"' not in page and 'id="notes"' not in page
    assert len(world.sim.log(f"opportunities/{cw_id}")) == asked  # neither the API nor the page asked ConnectWise
