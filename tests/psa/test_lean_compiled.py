"""The lean lists' compiled statements (psa/api/lean_sql.py) and the pieces written out once per shape.

Every list whose view declares ``list_columns`` is fetched as columns by statements compiled once per shape: the
count, the subquery finding the page's ids and the page fetch. Each must send the ORM's very SQL and parameters
(on PostgreSQL, the page fetch's ``= ANY(ARRAY(...))`` aside) and answer the same bytes, on both engines.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from types import SimpleNamespace

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import JSONField
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import SkipField

from assets.models import Asset
from clients.models import Client, Contact, Vendor
from psa.api import lean, lean_retrieve, lean_sql
from tests import test_route_harness as harness
from tests.psa.test_lean_lists import _as_the_orm_writes_it, _NothingCompiled

DECLARED = [
    r for r in harness.GUARDED_ROUTES
    if r.method == "GET" and r.action == "list" and getattr(r.view_cls, "list_columns", None) is not None
]  # fmt: skip


def test_the_common_lists_declare_their_columns():
    names = {route.name for route in DECLARED}
    expected = {"client-list", "contact-list", "location-list", "vendor-list", "asset-list", "network-list",
                "domain-list", "certificate-list", "ticket-list"}  # fmt: skip
    assert names >= expected, sorted(expected - names)


def _queries(route) -> list[dict]:
    filters = route.view_cls.filterset_class.base_filters
    sort = next(iter(route.view_cls.sort_fields), None)
    return [
        {},
        {"limit": 2, "page": 2},
        *([{"sort": sort, "order": "desc"}] if sort else []),
        *([{"search": "e"}] if "search" in filters else []),
    ]


def _run(client, url: str, params: dict) -> tuple[list[str], bytes]:
    client.get(url, params)  # the first run of a shape compiles and checks it
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    sql = [q["sql"] for q in captured if "ratelimitcounter" not in q["sql"].lower()]
    if connection.vendor == "postgresql":
        sql = [_as_the_orm_writes_it(q) for q in sql]
    return sql, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("route", DECLARED, ids=harness._id)
def test_a_declared_list_runs_the_sql_the_orm_writes(route, harness_world, monkeypatch):
    """The compiled count, page ids and page fetch send what the ORM sends, for every caller and query, and each
    of them was checked and kept (a shape the check refused would be ``None``)."""
    world = harness_world
    if route.model in harness.ROW_FACTORIES:
        harness._add_rows(route, world, 3)
    url = harness.build_url(route, world)
    callers = {"every client": harness.caller(["*"]), "client A": harness.caller(["*"], key_clients=[world.client_a])}
    paged = 0
    for kind, (client, key) in callers.items():
        world.caller_key = key
        for params in _queries(route):
            runs = []
            for cache in (_NothingCompiled(), {}):
                monkeypatch.setattr(lean_sql, "_compiled", cache)
                runs.append(_run(client, url, params))
            assert runs[0] == runs[1], (kind, params)
            rows = len(json.loads(runs[1][1])["data"])
            kept = {key[0] for key, compiled in lean_sql._compiled.items() if compiled is not None}
            counted = set() if getattr(route.view_cls, "list_count_source", None) else {"count"}  # else the groups'
            assert kept >= ({"ids", "page"} if rows else set()) | counted, (kind, params, lean_sql._compiled)
            assert None not in lean_sql._compiled.values(), (kind, params, lean_sql._compiled)
            paged += bool(rows)
    assert paged >= 2, "no page was fetched: the page's statements were not compared"


def _executed(run) -> tuple[object, list[tuple[str, tuple]]]:
    executed = []

    def record(execute, sql, params, many, context):
        executed.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = run()
    return result, executed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "build",
    [
        lambda: Client.objects.all(),
        lambda: Client.objects.filter(name__icontains="a", archived_at__isnull=True),
        lambda: Contact.objects.filter(client__name="Acme"),  # a join the WHERE needs
        lambda: Vendor.objects.filter(client__isnull=True) | Vendor.objects.filter(name__startswith="B"),
    ],
    ids=["plain", "filtered", "joined", "or"],
)
def test_the_compiled_count_sends_the_orms_count(build, monkeypatch):
    monkeypatch.setattr(lean_sql, "_compiled", {})
    acme = Client.objects.create(name="Acme")
    Contact.objects.create(client=acme, first_name="Ada", last_name="L")
    Vendor.objects.create(name="Bolt")
    expected, orm = _executed(lambda: build().count())
    first, _ = _executed(lambda: lean_sql.count(build()))  # the first sight is the ORM's count itself
    compiled, sent = _executed(lambda: lean_sql.count(build()))
    assert first == compiled == expected > 0
    assert sent == orm
    assert [key[0] for key, kept in lean_sql._compiled.items() if kept is not None] == ["count"]


@pytest.mark.django_db
def test_a_count_or_page_matching_nothing_runs_no_query(monkeypatch):
    monkeypatch.setattr(lean_sql, "_compiled", {})
    Client.objects.create(name="Acme")
    for _ in range(2):
        total, executed = _executed(lambda: lean_sql.count(Client.objects.filter(pk__in=[])))
        assert (total, executed) == (0, [])
    with pytest.raises(EmptyResultSet):
        lean_sql.page_ids(Client.objects.filter(pk__in=[]).order_by("name"), slice(0, 25))


def test_a_query_with_parts_beyond_a_shape_is_not_compiled():
    from django.db.models import Count

    assert lean_sql.query_shape(Client.objects.all().query) is not None
    assert lean_sql.query_shape(Client.objects.annotate(n=Count("contacts")).query) is None
    assert lean_sql.query_shape(Client.objects.distinct().query) is None
    assert lean_sql.query_shape(Client.objects.all()[:3].query) is None
    assert lean_sql.ordering_key(("name", "-pk")) == ("name", "-pk")
    assert lean_sql.ordering_key((Client.objects.none().query,)) is None


def test_one_parser_reads_the_column_grammar_for_lists_and_retrieves():
    columns = lean.Columns(
        Contact, ("first_name", "client", "client__name", "location__name", "first_name", "credentials__name")
    )
    assert columns.own == ["id", "first_name", "client_id", "location_id"]
    assert {name: cols for name, (_field, cols) in columns.forward.items()} == {
        "client": ["name"],
        "location": ["name"],
    }
    assert {name: cols for name, (_field, cols) in columns.sets.items()} == {"credentials": ["name"]}
    for bad in ("client__name__x", "first_name__x"):
        with pytest.raises(ValueError, match=bad):
            lean.Columns(Contact, (bad,))
    # The retrieve reads the same grammar: the set's rows apart, the row's own columns as the list does.
    reading = lean_retrieve.Reading(Asset, ("name", "client", "interfaces__name", "interfaces__mac"))
    assert reading.shape.own == lean.Columns(Asset, ("name", "client")).own
    assert [(name, shape.names) for name, (_f, shape) in reading.sets.items()] == [
        ("interfaces", ["id", "name", "mac"])
    ]
    with pytest.raises(ValueError, match="in a set's rows"):
        lean_retrieve.Reading(Client, ("contacts__credentials__name",))


class _Row:
    def __init__(self, **values):
        self.__dict__.update(values)


def _skip_when_none(obj):
    if obj.__dict__.get("skip") is None:
        raise SkipField()
    return obj.skip


def test_a_written_out_row_equals_the_generic_row():
    readers = [
        ("title", lean._column("title"), lean._text),
        ("maybe", _skip_when_none, str),
        ("method", lean._same, lambda obj: f"m-{obj.title}"),
        ("count", lean._column("count"), int),
        ("missing", lean._column("gone"), str),
    ]
    row = lean.row_function(readers)
    objects = [
        _Row(title="a", skip=1, count="2", gone=None),
        _Row(title=7, skip=None, count=3, gone="x"),  # skipped: last, as null
        _Row(title="b", skip=2, count=1),  # a column not held: the attribute is read as _row reads it
    ]
    for obj in objects[:2]:
        assert list(row(obj).items()) == list(lean._row(obj, readers).items())
    with pytest.raises(AttributeError):
        lean._row(objects[2], readers)
    with pytest.raises(AttributeError):
        row(objects[2])
    assert lean.row_function([])(objects[0]) == {}


def test_the_faster_converters_equal_djangos():
    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: operations alone is circular

    zone = dt.timezone(dt.timedelta(hours=2))
    for timezone in (dt.UTC, zone):
        fake = SimpleNamespace(timezone=timezone)
        fake.ops = DatabaseOperations(fake)
        slow = DatabaseOperations.convert_datetimefield_value
        assert lean_sql._faster(fake.ops.convert_datetimefield_value) is lean_sql._naive_to_aware
        for value in (dt.datetime(2026, 1, 2, 3, 4, 5, 6), "2026-01-02 03:04:05", None):
            fast, want = lean_sql._naive_to_aware(value, None, fake), slow(fake.ops, value, None, fake)
            assert (fast, type(fast), getattr(fast, "tzinfo", None)) == (
                want,
                type(want),
                getattr(want, "tzinfo", None),
            )
    original = JSONField().from_db_value
    fast = lean_sql._faster(original)
    assert fast is not original
    texts = ['[1, "a", null, true]', '{"a": 1, "a": 2}', "NaN", "[1e400]", '"\\ud800"', "123456789012345678901234", "-0", "1E5", "[9223372036854775807, -9223372036854775808]",
             '{"x": [1.5, -0.0, {}]}', "not json", None]  # fmt: skip
    for text in texts:
        got, want = fast(text, None, None), original(text, None, None)
        assert json.dumps(got) == json.dumps(want) and type(got) is type(want), text
    assert math.isnan(fast("NaN", None, None))
    assert lean_sql._faster(JSONField(decoder=json.JSONDecoder).from_db_value).__func__ is JSONField.from_db_value
