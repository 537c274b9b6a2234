"""``GET /api/v1/assets/{asset_id}/hudu``: an asset's Hudu custom fields, behind ``asset.read``, client-scoped, and
the values gated by ``obj.hudu_asset.fields``; a password field's value is never there to give."""

from __future__ import annotations

import pytest

from assets.models import Asset
from tests.assets.factories import make_asset
from tests.factories import api_client, api_for, make_client
from tests.hudu.conftest import sync_all

pytestmark = pytest.mark.django_db

SHOWN = ["asset.read", "obj.*"]


@pytest.fixture
def synced(source, sim, hudu):
    sync_all(source, hudu)
    hudu_asset = sim.data["assets"][1001]  # a Computer, whose "Local admin password" is a Password field
    return hudu_asset, Asset.objects.get(serial=hudu_asset["primary_serial"])


def _url(asset) -> str:
    return f"/api/v1/assets/{asset.pk}/hudu"


def test_the_layout_fields_in_order_with_the_password_withheld(synced):
    hudu_asset, asset = synced
    response = api_for(SHOWN)[0].get(_url(asset))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["asset_id"] == str(asset.pk) and data["hudu_id"] == 1001
    assert data["layout_name"] == "Computer"
    assert [f["label"] for f in data["fields"]] == [f["label"] for f in hudu_asset["fields"]]
    secret = next(f["value"] for f in hudu_asset["fields"] if f["label"] == "Local admin password")
    withheld = next(f for f in data["fields"] if f["label"] == "Local admin password")
    assert withheld == {"label": "Local admin password", "value": None, "withheld": True, "field_type": "password"}
    assert secret not in response.content.decode()


def test_the_values_need_their_field_node(synced):
    _, asset = synced
    data = api_for(["asset.read", "obj.hudu_asset.layout_name"])[0].get(_url(asset)).json()["data"]
    assert data == {"layout_name": "Computer"}
    data = api_for(["asset.read", "obj.hudu_asset.fields"])[0].get(_url(asset)).json()["data"]
    assert set(data) == {"fields"} and data["fields"]


def test_no_key_is_401_and_no_asset_read_is_403(synced):
    _, asset = synced
    assert api_client(None).get(_url(asset)).status_code == 401
    response = api_for(["client.read", "obj.*"])[0].get(_url(asset))
    assert response.status_code == 403


def test_another_clients_asset_and_an_asset_hudu_never_saw_are_404(synced):
    _, asset = synced
    other = make_client("Elsewhere")
    scoped = api_for(SHOWN, clients=[other])[0]
    assert scoped.get(_url(asset)).status_code == 404
    local = make_asset(asset.client, name="Local only")
    assert api_for(SHOWN)[0].get(_url(local)).status_code == 404
    assert api_for(SHOWN)[0].get("/api/v1/assets/not-a-uuid/hudu").status_code == 404
