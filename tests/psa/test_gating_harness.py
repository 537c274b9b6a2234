"""The gating harness: for every gated field of every model, a caller without its node never finds its value.

Like the route harness (tests/test_route_harness.py, whose world of objects it reuses), it walks registries rather
than a hand-kept list: every ``obj.<scope>.<field>`` node (``psa.nodes``) whose serializer field shows a text column
of a model (``psa.gating``) gets a case. A sentinel is written into that column of the world's in-scope object (as an
admin's PATCH through the API where the field is writable, so the audit log and the history record it; directly with
an audit row otherwise), and a caller holding every other node, each by name, must find the sentinel in:

- no response of any ``GET /api/v1`` route (lists, details, history, audit events, reveals),
- no page of the technician UI (lists, detail and edit pages, the client page's tabs, the audit log),
- no search result (each list's ``search``, ticket search, the top bar's search), and every filter on the field is a
  403.

New models and fields are picked up by themselves. An app whose objects need more than a column write to carry a
sentinel adds ``GATING_WRITERS = {Model: writer(world, obj, field_name, sentinel)}`` to ``tests/<app>/harness.py``,
and pages the harness cannot find itself as ``GATING_PAGES = [lambda world: url]`` (with
``GATING_PAGES_NOT_APPLICABLE = {node: [page]}`` for pages that show a column under another scope's node).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.test import Client as BrowserClient
from django.urls import reverse

from psa import audit, gating
from psa.nodes import all_nodes
from tests.factories import api_client, make_key, make_user
from tests.test_route_harness import EXTENSIONS, ROUTES, Route, World, build_url

# Values that are the permission registry's own data: each credential type's reveal node is named after its scope
# and described by its name, and a caller must be able to read the nodes it may be granted.
REGISTRY_ROUTES = {
    "permission-categories", "permission-nodes", "permission-category", "user-me", "user-search", "user-list", "user-detail",
    "role-list", "role-detail", "role-permissions",
}  # fmt: skip
# The procurement routes show the catalog's products as catalog items (a proxy model: the same rows): a column they
# share is gated by obj.catalogItem.* on the procurement routes and by obj.product.* on the products routes.
PRODUCT_ROUTES = {"product-list", "product-detail"}
PROCUREMENT_ROUTES = {
    "procurement-item-list",
    "procurement-item-detail",
    "procurement-item-linked",
    "procurement-filters",
}
SHARED_PRODUCT_COLUMNS = {"name": "product_name", "identifier": "sku", "description": "description",
                          "manufacturer": "manufacturer", "cw_catalog_id": "external_id"}  # fmt: skip
NOT_APPLICABLE = {
    "obj.credentialType.name": REGISTRY_ROUTES,
    "obj.credentialType.permission_scope": REGISTRY_ROUTES,
    **{f"obj.catalogItem.{field}": PRODUCT_ROUTES for field in SHARED_PRODUCT_COLUMNS},
    **{f"obj.product.{field}": PROCUREMENT_ROUTES for field in SHARED_PRODUCT_COLUMNS.values()},
}
# The role and user pages' permission pickers list every registered node by name and description, as
# /permission-nodes does: they are that registry on a page.
REGISTRY_PAGES = ("accounts:user_detail", "accounts:role_detail")
NOT_APPLICABLE_PAGES = {node: REGISTRY_PAGES for node in NOT_APPLICABLE}
# The ticket page's materials picker lists products under their own nodes (obj.product.*); the procurement scope's
# nodes name the same rows and columns on the procurement routes only.
NOT_APPLICABLE_PAGES.update(
    {f"obj.catalogItem.{field}": (*REGISTRY_PAGES, "tickets:ticket_detail") for field in SHARED_PRODUCT_COLUMNS}
)

TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField, URLField, SlugField are CharFields
_numbers = itertools.count(1)


@dataclass(frozen=True)
class GatedField:
    node: str  # obj.<scope>.<serializer field>
    model: type[models.Model]
    column: str  # the model field holding the value

    @property
    def id(self) -> str:
        return self.node


SENTINEL_LENGTH = len("snt0000zq")  # the plain sentinel; e-mail and URL columns are long enough for theirs


def _sentinel_column(model: type[models.Model], name: str) -> bool:
    field = model._meta.get_field(name)
    # A column too short for a sentinel (a 3-letter currency) cannot hold one; PostgreSQL refuses the write.
    too_short = getattr(field, "max_length", None) is not None and field.max_length < SENTINEL_LENGTH
    return isinstance(field, TEXT_FIELDS) and not field.choices and field.editable and not too_short


def gated_fields() -> list[GatedField]:
    found = []
    nodes = all_nodes()
    for model, entry in gating.gated_models().items():
        for column, shown_by in sorted(entry.shown_by.items()):
            if not _sentinel_column(model, column):
                continue
            for name in sorted(shown_by):
                if f"obj.{entry.scope}.{name}" in nodes:
                    found.append(GatedField(f"obj.{entry.scope}.{name}", model, column))
    return found


GATED_FIELDS = gated_fields()
# Fields that show the same column (a field and its alias, e.g. obj.client.name and obj.client.client_name) are one
# case: the caller withholds all of them either way (withheld_nodes), so the checks would be the same.
GATED_COLUMNS = list({(case.model, case.column): case for case in reversed(GATED_FIELDS)}.values())[::-1]


def sentinel_for(model: type[models.Model], column: str) -> str:
    token = f"snt{next(_numbers):04d}zq"
    field = model._meta.get_field(column)
    if isinstance(field, models.EmailField):
        return f"{token}@example.com"
    if isinstance(field, models.URLField):
        return f"https://{token}.example.com"
    return token


def _writers() -> dict[type, Callable]:
    writers: dict[type, Callable] = {}
    for extension in EXTENSIONS:
        writers.update(getattr(extension, "GATING_WRITERS", {}))
    return writers


def _patch_route(model: type) -> Route | None:
    return next((r for r in ROUTES if r.model is model and r.action == "partial_update"), None)


def write_sentinel(world: World, case: GatedField, sentinel: str) -> Any:
    """Put ``sentinel`` into the world's in-scope object: through the API when it can, as a user would."""
    obj = world.objects[case.model]
    writer = _writers().get(case.model)
    if writer is not None:
        return writer(world, obj, case.column, sentinel)
    route = _patch_route(case.model)
    name = case.node.rsplit(".", 1)[1]
    if route is not None:
        admin_user = make_user(["*"])
        _, plaintext = make_key(admin_user)
        response = api_client(plaintext).patch(
            build_url(route, world), json.dumps({name: sentinel}), content_type="application/json"
        )
        if response.status_code == 200:
            return obj
    before = getattr(obj, case.column)
    case.model.objects.filter(pk=obj.pk).update(**{case.column: sentinel})
    obj.refresh_from_db()
    audit.record(None, "update", obj, changes={case.column: {"old": before, "new": sentinel}})
    return obj


def withheld_nodes(case: GatedField) -> set[str]:
    """The field's node and those of every serializer field showing the same column (an alias shows it too)."""
    entry = gating.gated_model(case.model)
    return {case.node} | {f"obj.{entry.scope}.{name}" for name in entry.shown_by.get(case.column, ())}


def blind_caller(case: GatedField):
    """A user holding every registered node by name except the field's own (so no wildcard covers it)."""
    withheld = withheld_nodes(case)
    nodes = [n for n in all_nodes() if not n.endswith("*") and n not in withheld]
    user = make_user(nodes)
    _, plaintext = make_key(user)
    browser = BrowserClient()
    browser.force_login(user)
    return api_client(plaintext), browser


def _api_get_routes() -> list[Route]:
    return [r for r in ROUTES if r.method == "GET" and r.name != "schema"]


def _ui_pages(world: World) -> list[str]:
    from clients.views import KINDS
    from psa.tabs import registered as client_tabs

    client = world.client_a
    pages = [
        reverse(name)
        for name in (
            "dashboard", "audit_list", "clients:client_list", "assets:asset_list", "tickets:ticket_list",
            "credentials:credential_list", "credentials:credential_trash", "credentials:type_list",
            "accounts:user_list", "accounts:role_list", "accounts:profile",
        )
    ]  # fmt: skip
    pages += [reverse("clients:client_detail", args=[client.pk]), reverse("clients:client_edit", args=[client.pk])]
    pages += [tab.url(client) for tab in client_tabs()]
    for kind in KINDS.values():
        obj = world.objects.get(kind.model)
        if obj is not None and not kind.own_pages:
            for name in ("clients:doc_detail", "clients:doc_edit"):
                pages.append(reverse(name, kwargs={"pk": client.pk, "kind": kind.key, "obj_pk": obj.pk}))
    for model_name, names in (
        ("Asset", ("assets:asset_detail", "assets:asset_edit")),
        ("Ticket", ("tickets:ticket_detail",)),
        ("Credential", ("credentials:credential_detail", "credentials:credential_edit")),
        ("CredentialType", ("credentials:type_edit",)),
        ("User", ("accounts:user_detail",)),
        ("Role", ("accounts:role_detail",)),
    ):
        obj = next((o for m, o in world.objects.items() if m.__name__ == model_name), None)
        pages += [reverse(name, args=[obj.pk]) for name in names] if obj is not None else []
    pages.append(reverse("credentials:client_credentials", args=[client.pk]))
    for extension in EXTENSIONS:
        pages += [page(world) for page in getattr(extension, "GATING_PAGES", [])]
    return pages


def _pages_named(world: World, names: tuple[str, ...]) -> set[str]:
    """The URLs of the world's object pages with these URL names (``accounts:user_detail``...)."""
    pages = set()
    for name in names:
        model_name = {
            "accounts:user_detail": "User",
            "accounts:role_detail": "Role",
            "tickets:ticket_detail": "Ticket",
        }[name]
        obj = next((o for m, o in world.objects.items() if m.__name__ == model_name), None)
        if obj is not None:
            pages.add(reverse(name, args=[obj.pk]))
    return pages


def _extension_pages_not_applicable(world: World, node: str) -> set[str]:
    """Pages an app declares a node does not govern (``GATING_PAGES_NOT_APPLICABLE = {node: [page(world)]}``)."""
    pages = set()
    for extension in EXTENSIONS:
        pages.update(page(world) for page in getattr(extension, "GATING_PAGES_NOT_APPLICABLE", {}).get(node, ()))
    return pages


def _filters_on(route: Route, case: GatedField) -> list[str]:
    """The filter parameters of a list route that match on the gated column."""
    filterset = getattr(route.view_cls, "filterset_class", None)
    if filterset is None or route.model is not case.model:
        return []
    name = case.node.rsplit(".", 1)[1]
    return [
        param
        for param, flt in filterset.base_filters.items()
        if param != "search" and (param == name or (flt.field_name or "").split("__")[0] == case.column)
    ]


def _assert_absent(sentinel: str, where: str, response) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content  # file downloads stream
    assert sentinel not in body.decode(errors="replace"), f"{where} shows the gated value"


@pytest.fixture
def world(harness_world):
    """One world for the module (tests/conftest.py), built once: each test runs in a savepoint inside it, so a case's
    sentinel is gone before the next case writes its own."""
    return harness_world


def _case_id(case: GatedField) -> str:
    return "+".join(sorted(withheld_nodes(case) & set(all_nodes()))) or case.node


@pytest.mark.parametrize("case", GATED_COLUMNS, ids=_case_id)
def test_a_caller_without_the_fields_node_never_sees_its_value(case, world):
    sentinel = sentinel_for(case.model, case.column)
    write_sentinel(world, case, sentinel)
    api, browser = blind_caller(case)

    exempt = NOT_APPLICABLE.get(case.node, set())
    for route in _api_get_routes():
        if route.name in exempt:
            continue
        url = build_url(route, world)
        response = api.get(url, {"limit": 100} if route.action == "list" else {})
        _assert_absent(sentinel, f"GET {url}", response)
        filterset = getattr(route.view_cls, "filterset_class", None)
        if route.action == "list" and filterset is not None and "search" in filterset.base_filters:
            found = api.get(url, {"search": sentinel})  # its meta echoes the query: only the rows count
            assert found.json().get("data") == [], f"GET {url}?search= matches on the gated value"
        for param in _filters_on(route, case) if route.action == "list" else []:
            assert api.get(url, {param: sentinel}).status_code == 403, f"GET {url}?{param}= is not refused"

    found = api.get("/api/v1/tickets/search", {"query": sentinel})
    assert found.json()["data"] == [], "ticket search matches on the gated value"
    found = api.get("/api/v1/search", {"q": sentinel})
    assert found.json()["data"] == [], "GET /search matches on the gated value"
    registry_pages = _pages_named(world, NOT_APPLICABLE_PAGES.get(case.node, ()))
    registry_pages |= _extension_pages_not_applicable(world, case.node)
    for url in _ui_pages(world):
        response = browser.get(url, follow=True)
        assert response.status_code in (200, 403), f"{url}: {response.status_code}"  # 403: a form it may not edit
        if url not in registry_pages:
            _assert_absent(sentinel, url, response)
    response = browser.get(reverse("search"), {"q": sentinel})  # the page echoes the query: only the results count
    assert sentinel not in json.dumps(response.context["groups"], default=str), "a search result shows the value"
    assert response.context["total"] == 0, "the top bar's search matches on the gated value"


def test_the_harness_sees_the_sentinel_with_the_node(world):
    """Positive control: with every node, the sentinel is found, so the checks above can fail."""
    case = next(c for c in GATED_FIELDS if c.node == "obj.client.email")
    sentinel = sentinel_for(case.model, case.column)
    write_sentinel(world, case, sentinel)
    user = make_user([n for n in all_nodes() if not n.endswith("*")])
    _, plaintext = make_key(user)
    api = api_client(plaintext)
    assert sentinel in api.get(f"/api/v1/clients/{world.client_a.pk}").content.decode()
    assert sentinel in api.get("/api/v1/audit-events", {"limit": 100}).content.decode()
    assert len(api.get("/api/v1/clients", {"search": sentinel}).json()["data"]) == 1


def test_every_gated_model_has_cases():
    models_with_cases = {case.model for case in GATED_FIELDS}
    assert {m.__name__ for m in models_with_cases} >= {"Client", "Contact", "Ticket", "Asset", "Credential"}
