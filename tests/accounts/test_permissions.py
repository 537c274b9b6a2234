"""``/permissions``, ``/permissions/nodes`` and ``/permissions/{category}`` serve the node registry."""

from __future__ import annotations

import pytest

from psa.nodes import all_nodes, categories
from tests.factories import api_for
from tests.psa.helpers import data_of, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client, _, _ = api_for(["role.read"])
    return client


def test_permissions_are_served_by_category(api):
    data = data_of(api.get("/api/v1/permissions"))

    assert set(data) == set(categories())
    assert {"global", "user", "role", "api_key", "client", "contact", "audit"} <= set(data)
    assert data["global"]["name"] == "Global Permissions"
    assert [p["node"] for p in data["global"]["permissions"]] == ["*"]
    user_nodes = {p["node"] for p in data["user"]["permissions"]}
    assert {
        "user.read",
        "user.read.other",
        "user.list.other",
        "user.roles.other",
        "user.permissions.other",
    } <= user_nodes
    for key, category in data.items():
        assert category["key"] == key
        assert category["name"] and category["description"]
        assert all(p["category"] == key for p in category["permissions"])


def test_permission_nodes_are_served_flat(api):
    data = data_of(api.get("/api/v1/permissions/nodes"))

    nodes = [entry["node"] for entry in data]
    assert sorted(nodes) == sorted(all_nodes())
    assert len(nodes) == len(set(nodes))
    entry = next(e for e in data if e["node"] == "user.list.other")
    assert entry == {
        "node": "user.list.other",
        "description": all_nodes()["user.list.other"].description,
        "category": "user",
        "dependencies": ["user.read.other"],
    }
    assert "obj.client.name" in nodes


def test_one_category(api):
    data = data_of(api.get("/api/v1/permissions/client"))

    assert data["key"] == "client"
    assert {p["node"] for p in data["permissions"]} == set(categories()["client"].nodes)
    assert {"client.read", "client.create", "client.update", "client.delete"} <= {
        p["node"] for p in data["permissions"]
    }


def test_a_field_gating_category(api):
    data = data_of(api.get("/api/v1/permissions/obj.client"))

    assert "obj.client.*" in {p["node"] for p in data["permissions"]}


@pytest.mark.parametrize("category", ["invalidCategory", "clients", "CLIENT", "*"])
def test_an_unknown_category_is_a_404_envelope(api, category):
    error = error_of(api.get(f"/api/v1/permissions/{category}"), 404, "NOT_FOUND")

    assert category in error["message"]


@pytest.mark.parametrize("path", ["/api/v1/permissions", "/api/v1/permissions/nodes", "/api/v1/permissions/client"])
def test_the_registry_needs_role_read(path):
    client, _, _ = api_for(["user.read", "client.read"])

    error_of(client.get(path), 403, "FORBIDDEN")
