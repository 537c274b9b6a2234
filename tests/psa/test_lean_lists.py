"""The lean path (psa/api/lean.py) answers every list and detail route byte for byte as the serializer path does.

For each ``GET`` list route of the route harness, with its objects and a few more rows, each kind of caller asks
twice, once with ``PSA_LEAN_LISTS`` on and once off: every node, the route's nodes with every field, no field node at all, every other field
node of every gated model, and a key scoped to client A. The bodies must be identical (keys, their order, nulls,
formats of dates, decimals and ids, nested summaries, the envelope).
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from psa import gating
from psa.api import lean, lean_sql
from tests import test_route_harness as harness
from tests.factories import make_contact, make_user
from tests.tickets.factories import make_category, make_ticket
from tickets.api.views import ALL_FIELDS
from tickets.models import Ticket

LIST_ROUTES = [r for r in harness.GUARDED_ROUTES if r.method == "GET" and r.action == "list"]
DETAIL_ROUTES = [r for r in harness.GUARDED_ROUTES if r.method == "GET" and r.action == "retrieve"]
# Lists the lean path must serve (a regression that silently sends them back to DRF's path fails here).
LEAN_ROUTES = {"client-list", "contact-list", "ticket-list", "asset-list", "location-list", "tag-list"}
EXTRA_QUERIES = {
    "ticket-detail": [{"fields": "mobile_list"}, {"fields": "tags"}],
    "ticket-list": [
        {"fields": "mobile_list"},
        {"fields": "tags"},
        {"fields": ",".join(ALL_FIELDS)},  # method fields and nested lists: the request's own serializer
        {"fields": "mobile_list", "sort": "client_name", "order": "asc"},
    ],
}


def _add_ticket_relations(world) -> None:
    """Tickets whose nullable relations are all set (contact, site, categories, people), and one with a contact
    whose last name is empty, so the column fetch's joined rows are compared with values, not only nulls."""
    from clients.models import Location

    board = world.ticket_board
    category = make_category(board, "Hardware")
    people = {name: make_user(["ticket.read"], name=f"{name} person") for name in ("entered", "closer")}
    for last_name in ("Lovelace", ""):
        contact = make_contact(world.client_a, first_name="Ada", last_name=last_name)
        ticket = make_ticket(
            world.client_a, people["entered"], board=board, contact=contact, assigned_to=people["closer"],
            location=Location.objects.create(client=world.client_a, name=f"Site {last_name}"), category=category,
            subcategory=make_category(board, f"Disks {last_name}", parent=category), tags=["vip", "Alpha"],
        )  # fmt: skip
        Ticket.objects.filter(pk=ticket.pk).update(closed_by=people["closer"], updated_by=people["entered"])


def _add_client_and_contact_variety(world) -> None:
    """An archived client, and contacts with no last name, with only a mobile, with no number and inactive, so the
    declared values of clients.api.list_rows are compared on each branch."""
    from django.utils import timezone

    from clients.models import Client

    Client.objects.create(name="Archived Ltd", archived_at=timezone.now())
    make_contact(world.client_a, first_name="Grace", last_name="", phone="", mobile="+1 555 0100")
    make_contact(world.client_a, first_name="", last_name="Hopper", phone="", mobile="", is_active=False)


def _every_other_field_node() -> list[str]:
    nodes = []
    for entry in gating.gated_models().values():
        nodes += [f"obj.{entry.scope}.{name}" for name in sorted(entry.fields)[::2]]
    return nodes


def _callers(route, world) -> dict[str, tuple]:
    required = route.required_nodes or []
    return {
        "every node": harness.caller(["*"]),
        "every field": harness.caller([*required, "obj.*"]),
        "no field node": harness.caller(required),
        "every other field": harness.caller(required + _every_other_field_node()),
        "scoped to client A": harness.caller(["*"], key_clients=[world.client_a]),
    }


def _both_paths(client, url: str, params: dict) -> tuple:
    with override_settings(LEAN_LISTS=False):
        slow = client.get(url, params)
    with override_settings(LEAN_LISTS=True):
        fast = client.get(url, params)
    return slow, fast


def _split_meta(body: bytes) -> tuple[bytes, dict]:
    """The body up to its ``meta`` (data and pagination, compared byte for byte), and the meta without the state of
    a live upstream call (``connectwise``: the second request reads what the first one cached)."""
    at = body.rfind(b',"meta":')
    if at < 0:
        return body, {}
    meta = json.loads(body[at + len(b',"meta":') : -1])
    meta.pop("connectwise", None)
    return body[:at], meta


def _first_difference(lean_body: bytes, serializer_body: bytes) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(lean_body, serializer_body, strict=False)) if a != b),
        min(map(len, (lean_body, serializer_body))),
    )
    return f"at byte {at}:\nlean       ...{lean_body[at - 150 : at + 150]!r}\nserializer ...{serializer_body[at - 150 : at + 150]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", LIST_ROUTES, ids=harness._id)
def test_the_lean_path_answers_exactly_as_the_serializer_path(route, harness_world):
    world = harness_world
    if route.model in harness.ROW_FACTORIES:
        harness._add_rows(route, world, 3)
    if route.name == "ticket-list":
        _add_ticket_relations(world)
    if route.name in ("client-list", "contact-list"):
        _add_client_and_contact_variety(world)
    url = harness.build_url(route, world)
    for kind, (client, key) in _callers(route, world).items():
        world.caller_key = key
        for params in [{"limit": 100}, *({"limit": 100, **q} for q in EXTRA_QUERIES.get(route.name, []))]:
            slow, fast = _both_paths(client, url, params)
            assert slow.status_code == fast.status_code == 200, (kind, params, slow.content[:300])
            (fast_body, fast_meta), (slow_body, slow_meta) = _split_meta(fast.content), _split_meta(slow.content)
            assert fast_body == slow_body, f"{kind} {params}: {_first_difference(fast_body, slow_body)}"
            assert fast_meta == slow_meta, (kind, params)
            if kind == "every node":
                assert slow.json()["data"], f"{kind} {params}: an empty page proves nothing"


@pytest.mark.django_db
@pytest.mark.parametrize("route", DETAIL_ROUTES, ids=harness._id)
def test_the_lean_path_answers_a_detail_exactly_as_the_serializer_path(route, harness_world):
    world = harness_world
    url = harness.build_url(route, world)
    answered = set()
    for kind, (client, key) in _callers(route, world).items():
        world.caller_key = key
        for params in [{}, *EXTRA_QUERIES.get(route.name, [])]:
            slow, fast = _both_paths(client, url, params)
            assert slow.status_code == fast.status_code, (kind, params, slow.content[:300])
            (fast_body, fast_meta), (slow_body, slow_meta) = _split_meta(fast.content), _split_meta(slow.content)
            assert fast_body == slow_body, f"{kind} {params}: {_first_difference(fast_body, slow_body)}"
            assert fast_meta == slow_meta, (kind, params)
            if slow.status_code == 200:
                answered.add(kind)
    # A caller's own objects (API keys, time entries) are the other users' 404 here; someone must see the object.
    assert answered, "no caller saw the object: nothing was compared"


def test_the_lean_path_serves_the_common_lists():
    served = {r.name for r in LIST_ROUTES if lean.plan_for(r.view_cls.serializer_class, None) is not None}
    assert served >= LEAN_ROUTES, sorted(LEAN_ROUTES - served)


def test_a_serializer_with_its_own_representation_keeps_the_serializer_path():
    from clients.api.serializers import ClientSerializer

    assert lean.plan_for(ClientSerializer, None) is not None
    overriding = type("Overriding", (ClientSerializer,), {"to_representation": lambda self, obj: {"x": 1}})
    assert lean.plan_for(overriding, None) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "queries"),
    [("mobile_list", 3), (None, 2)],  # count, page (the clients' names joined), (the tags)
)
def test_a_ticket_list_reads_only_the_columns_its_fields_need(fields, queries, harness_world):
    world = harness_world  # this module's shared world: a second build would clash with its unique names
    _add_ticket_relations(world)
    client, world.caller_key = harness.caller(["*"])
    params = {"limit": 100, **({"fields": fields} if fields else {})}
    client.get("/api/v1/tickets", params)  # the first use of a key writes last_used_at
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/tickets", params)
    assert response.status_code == 200
    sql = [q["sql"] for q in captured if "ratelimitcounter" not in q["sql"].lower()]
    assert len(sql) == queries, sql
    # Only the columns the fields read: no user's password or client's address comes along with a name.
    assert not any('"accounts_user"."password"' in q or '"clients_client"."address' in q for q in sql), sql
    if fields == "mobile_list":
        assert not any('"tickets_ticket"."description"' in q for q in sql), sql
    assert len(response.json()["data"]) == Ticket.objects.count() > 2


class _NothingCompiled(dict):
    """A stand-in for the compiled-fetch cache that holds nothing: every fetch goes through the ORM."""

    def __getitem__(self, key):
        return None

    def get(self, key, default=None):
        return None

    def __setitem__(self, key, value):
        pass


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
@pytest.mark.parametrize(
    ("rows", "kinds"),
    [(True, {"page", "ids", "ticket tags"}), (False, {"page", "ids", "apart", "many"})],
    ids=["column by column", "light instances"],
)
@pytest.mark.parametrize(
    "params",
    [
        {"fields": "mobile_list"},
        {"fields": "mobile_list", "is_open": "true", "sort": "client_name", "order": "asc"},
        {"fields": "tags", "limit": 2, "page": 2},
    ],
)
def test_the_column_fetch_runs_the_sql_the_orm_writes(params, rows, kinds, zone, harness_world, monkeypatch, settings):
    """The compiled fetches (compiled once per shape, psa.api.lean_sql._Compiled) send the ORM's very SQL and
    parameters and answer the same bytes; each shape was checked and cached on this engine, not left to the ORM.
    Both ways of building a page: column by column (psa.api.lean_rows, the ids or date-times read as text) and
    the light instances it leaves a field it cannot convert to (psa.api.lean.ColumnPage)."""
    from psa.api import lean_rows

    if not rows:
        monkeypatch.setattr(lean_rows, "row_page", lambda *args: None)
    settings.TIME_ZONE = zone
    _add_ticket_relations(harness_world)
    client, harness_world.caller_key = harness.caller(["*"])
    client.get("/api/v1/tickets", params)
    runs = []
    for cache in (_NothingCompiled(), {}):
        monkeypatch.setattr(lean_sql, "_compiled", cache)
        client.get("/api/v1/tickets", params)  # the first run of a shape compiles and checks it
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/tickets", params)
        assert response.status_code == 200
        sql = [(q["sql"]) for q in captured if "ratelimitcounter" not in q["sql"].lower()]
        runs.append((sql, response.content))
    if connection.vendor == "postgresql":
        runs[1] = ([_as_the_orm_writes_it(q) for q in runs[1][0]], runs[1][1])
    assert runs[0] == runs[1]
    # the count only where the ticket counts cannot answer the filters
    kept = {key[0] for key, compiled in lean_sql._compiled.items() if compiled is not None}
    assert kept - {"count"} == kinds, lean_sql._compiled
    assert None not in lean_sql._compiled.values()


_IN_ORDER = "SET LOCAL join_collapse_limit = 1; "
_RESTORED = "; SET LOCAL join_collapse_limit = DEFAULT"  # inside a transaction (every test runs in one)


def _query_alone(sql: str) -> str:
    return sql.removeprefix(_IN_ORDER).removesuffix(_RESTORED)


def _as_the_orm_writes_it(sql: str) -> str:
    """A PostgreSQL page fetch as the ORM writes it: ``IN (subquery)`` for ``= ANY(ARRAY(subquery))``, no setting."""
    if not sql.startswith(_IN_ORDER):
        return sql
    sql = _query_alone(sql)
    start = sql.index("= ANY(ARRAY(")
    depth, end = 0, start + len("= ANY(ARRAY")
    while True:
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
        end += 1
    return f"{sql[:start]}IN {sql[start + len('= ANY(ARRAY') : end + 1]}{sql[end + 2 :]}"


@pytest.mark.django_db
def test_a_page_fetch_applies_the_page_before_its_joins(harness_world):
    """Past join_collapse_limit relations, PostgreSQL kept ``id IN (page)`` (a semi-join) after every LEFT JOIN and
    joined all tickets first (1 s on 250,000). There the page is an array filled first, the joins are planned in
    the order written, and the plan finds the page's rows by key, with no semi-join. SQLite keeps the ORM's SQL."""
    _add_ticket_relations(harness_world)
    client, harness_world.caller_key = harness.caller(["*"])
    client.get("/api/v1/tickets", {"limit": 2})
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/tickets", {"limit": 2})
    assert response.status_code == 200 and len(response.json()["data"]) == 2
    [page] = [q["sql"] for q in captured if '"tickets_ticket"."title"' in q["sql"]]
    if connection.vendor != "postgresql":
        assert '"tickets_ticket"."id" IN (SELECT' in page and "join_collapse_limit" not in page, page
        return
    assert page.startswith(_IN_ORDER) and page.endswith(_RESTORED) and "= ANY(ARRAY(SELECT" in page, page
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")  # set back for the rest of the transaction
        assert cursor.fetchone() == ("8",)
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table's seq scan would hide the plan's shape
        cursor.execute(f"EXPLAIN (FORMAT JSON) {_query_alone(page)}")
        plan = cursor.fetchone()[0][0]["Plan"]
    # The page's ids are applied where the tickets are read (an index condition or a filter, as the planner likes
    # for a few rows), not by a join after the others.
    [scan] = [node for node in _plan_nodes(plan) if node.get("Alias") == "tickets_ticket"]
    conditions = " ".join(str(scan.get(key, "")) for key in ("Index Cond", "Filter", "Recheck Cond"))
    assert "id = ANY (" in conditions, scan
    assert all(node.get("Join Type") != "Semi" for node in _plan_nodes(plan)), plan


def _plan_nodes(node: dict) -> list[dict]:
    return [node, *(found for child in node.get("Plans", ()) for found in _plan_nodes(child))]


def test_the_fast_uuid_converter_equals_sqlites():
    import uuid

    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: operations alone is circular

    for value in [uuid.uuid4() for _ in range(200)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]:
        for text in (value.hex, value.hex.upper()):
            fast = lean_sql._uuid_from_hex(text, None, None)
            slow = DatabaseOperations.convert_uuidfield_value(None, text, None, None)
            assert (fast, str(fast), repr(fast), hash(fast), fast.is_safe) == (
                slow, str(slow), repr(slow), hash(slow), slow.is_safe,
            )  # fmt: skip
    assert lean_sql._uuid_from_hex(None, None, None) is None
    assert lean_sql._faster(DatabaseOperations.convert_uuidfield_value) is lean_sql._uuid_from_hex  # the swap applies
    with pytest.raises(ValueError):
        lean_sql._uuid_from_hex("not a uuid", None, None)


# Every list declaring its columns is built column by column (psa.api.lean_rows), none left to the light instances.
ROW_ROUTES = {
    "client-list", "contact-list", "location-list", "vendor-list", "asset-list", "network-list", "domain-list",
    "certificate-list", "ticket-list",
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_every_declared_list_is_built_column_by_column(zone, harness_world, monkeypatch):
    from psa.api import lean_rows

    built, light = [], []
    monkeypatch.setattr(lean_rows, "RowPage", _recording(lean_rows.RowPage, built))
    monkeypatch.setattr(lean, "ColumnPage", _recording(lean.ColumnPage, light))
    client, harness_world.caller_key = harness.caller(["*"])
    declared = [r for r in LIST_ROUTES if getattr(r.view_cls, "list_columns", None) is not None]
    with override_settings(TIME_ZONE=zone):
        for route in declared:
            before = len(built)
            response = client.get(harness.build_url(route, harness_world), {"limit": 100})
            assert response.status_code == 200, route.name
            assert len(built) == before + 1, route.name
    assert {r.name for r in declared} == ROW_ROUTES
    assert not light


def _recording(cls, made: list):
    class Recording(cls):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    return Recording
