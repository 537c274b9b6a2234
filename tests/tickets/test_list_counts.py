"""A ticket list's total from the group counts equals ``COUNT(*)`` over its rows, for every caller and filter.

``tickets.list_counts`` answers the total of ``GET /tickets`` when the filters are ones the maintained group counts
decide; any other filter keeps ``COUNT(*)``. Checked against the filterset's own queryset for every combination of
the counted filters and several client scopes, after writes of several kinds and inside a transaction that just
wrote; and through the API, where the count query must be the group sum.
"""

from __future__ import annotations

import itertools
import random
import uuid

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psa.access import restrict
from tests.factories import api_for, make_client, make_key, make_user
from tests.tickets.factories import _request, make_board, make_ticket
from tests.tickets.test_stats_counts import new_row, raw_insert
from tickets import services
from tickets.filtersets import TicketFilterSet
from tickets.list_counts import COUNTABLE, ticket_list_count
from tickets.models import Priority, Status, Ticket

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def world():
    rng = random.Random(14)
    clients = [make_client(f"Listed {i}") for i in range(3)]
    users = [make_user(["ticket.read"], name=f"Lister {i}") for i in range(2)]
    make_board("Listed", statuses=(("Open", False), ("Waiting", False), ("Done", True)))
    statuses = list(Status.objects.order_by("board__name", "order"))
    priorities = list(Priority.objects.order_by("order"))
    for i in range(24):
        status = statuses[i % len(statuses)]
        make_ticket(
            clients[i % 3], board=status.board, status=status, priority=priorities[i % len(priorities)],
            assigned_to=[*users, None][i % 3],
        )  # fmt: skip
    # The filterset reads as a caller who sees every field (one request: its nodes are resolved once).
    reader = _request(make_user(["*"]))
    ids = [client.pk for client in clients]  # kept: a deleted client's instance forgets its pk
    return {"rng": rng, "clients": clients, "client_ids": ids, "users": users, "statuses": statuses,
            "priorities": priorities, "reader": reader}  # fmt: skip


def _scopes(world) -> list[frozenset | None]:
    a, b, _ = world["client_ids"]
    return [None, frozenset({a}), frozenset({a, b})]  # no client at all: the API test's callers


def _value(name: str, world) -> str:
    """A value for filter ``name``: mostly one that matches something, sometimes one that matches nothing."""
    rng = world["rng"]
    statuses = world["statuses"]
    ids = {
        "board_id": [s.board_id for s in statuses],
        "status_id": [s.pk for s in statuses],
        "priority_id": [p.pk for p in world["priorities"]],
        "client_id": world["client_ids"],
    }
    if name in ids:
        return str(rng.choice([*ids[name], uuid.uuid4()]))
    if name == "status_name":
        return rng.choice(["open", " Waiting ", "DONE", "none such"])  # case-insensitive, on every board
    if name == "priority_name":
        return rng.choice([p.name.upper() for p in world["priorities"]] + ["none such"])
    if name == "status_ids":
        return ",".join(str(s.pk) for s in rng.sample(statuses, rng.randint(1, 3)))
    return rng.choice(["true", "false", " TRUE", "False"])


def _counted(world, params: dict, scope) -> int:
    """What the list counts: the filterset's queryset over the scope's tickets, COUNT(*)."""
    tickets = Ticket.objects.all() if scope is None else Ticket.objects.filter(client_id__in=scope)
    filterset = TicketFilterSet(QueryDict(mutable=True) | params, queryset=tickets, request=world["reader"])
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def check_every_combination(world) -> None:
    """Every subset of up to three of the counted filters, and all of them, with a value each, for every scope:
    the sum equals the count. (All 1,024 subsets would take a minute; every pair and triple is here.)"""
    names = sorted(COUNTABLE)
    for size in (0, 1, 2, 3, len(names)):
        for chosen in itertools.combinations(names, size):
            params = {name: _value(name, world) for name in chosen}
            for scope in _scopes(world):
                query = QueryDict(mutable=True)
                query.update(params)
                assert ticket_list_count(query, scope) == _counted(world, params, scope), (params, scope)


def test_the_total_equals_count_for_every_filter_combination_after_writes(world):
    rng = world["rng"]
    clients, users, statuses, priorities = (world[k] for k in ("clients", "users", "statuses", "priorities"))
    check_every_combination(world)
    # A service update (closes, reassigns), a QuerySet.update, a bulk_create, raw rows, a delete and a cascade.
    ticket = Ticket.objects.order_by("number_sequence").first()
    services.update_ticket(_request(), ticket, {"status": statuses[-1], "assigned_to": None})
    Ticket.objects.filter(priority=priorities[0]).update(assigned_to=users[0], is_closed=True)
    Ticket.objects.bulk_create([Ticket(**new_row(rng, clients, statuses, priorities, users)) for _ in range(4)])
    raw_insert([new_row(rng, clients, statuses, priorities, users) for _ in range(3)])
    Ticket.objects.filter(status=statuses[1]).order_by("number_sequence").first().delete()
    clients[2].delete()
    check_every_combination(world)


def test_the_total_is_exact_inside_a_transaction_that_just_wrote(world):
    clients, statuses = world["clients"], world["statuses"]
    with transaction.atomic():
        make_ticket(clients[0], board=statuses[0].board, status=statuses[0])
        Ticket.objects.filter(client=clients[1]).update(is_closed=True)
        for params in ({}, {"is_open": "true"}, {"is_closed": "true", "has_assignment": "false"}):
            for scope in _scopes(world):
                query = QueryDict(mutable=True)
                query.update(params)
                assert ticket_list_count(query, scope) == _counted(world, params, scope), (params, scope)


@pytest.mark.parametrize(
    "params",
    [
        {"search": "Ticket"},
        {"is_open": "true", "tags": "x"},
        {"overdue": "false"},
        {"updated_from": "2020-01-01"},
        {"assigned_to": "me"},
        {"source": "api"},
        {"is_open": ["true", "false"]},  # given twice: the filterset reads one of them, we do not guess which
    ],
)
def test_a_filter_the_groups_do_not_decide_is_not_answered(params):
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    assert ticket_list_count(query, None) is None
    assert ticket_list_count(query, frozenset({uuid.uuid4()})) is None


def _list(api, params: dict) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/tickets", params)
    assert response.status_code == 200, response.content[:300]
    return response.json()["pagination"], [q["sql"] for q in captured if "ratelimitcounter" not in q["sql"].lower()]


def _callers(world):
    """Callers of every kind: all clients, a technician limited to two clients, a key narrowed to one of them, a
    key whose scope and its user's meet in no client."""
    a, b, c = world["clients"]
    nodes = ["*"]  # every field visible, so every filter is allowed; the scope is what differs
    everyone, _, _ = api_for(nodes)
    technician, user, _ = api_for(nodes, clients=[a, b])
    narrowed, _, _ = api_for(nodes, clients=[a, b], key_clients=[b])
    _, disjoint_key = make_key(user, [c])
    disjoint = type(everyone)()
    disjoint.credentials(HTTP_X_API_KEY=disjoint_key)
    return {
        "all clients": (everyone, None),
        "technician": (technician, {a.pk, b.pk}),
        "narrowed key": (narrowed, {b.pk}),
        "no client": (disjoint, set()),
    }


@pytest.mark.parametrize(
    "params",
    [
        {"fields": "mobile_list", "is_open": "true"},
        {"limit": "50"},
        {"is_closed": "true", "has_assignment": "false", "sort": "updated_at", "order": "asc"},
        {"board_id": "BOARD", "status_ids": "STATUS", "priority_id": "PRIORITY", "page": "2", "limit": "2"},
        {"status_name": "open", "priority_name": "PNAME", "is_open": "true"},
        {"client_id": "CLIENT", "has_assignment": "true"},
    ],
)
def test_the_api_total_comes_from_the_group_counts(world, params):
    status = world["statuses"][0]
    names = {"BOARD": status.board_id, "STATUS": status.pk, "PRIORITY": world["priorities"][0].pk}
    names["CLIENT"], names["PNAME"] = world["clients"][1].pk, world["priorities"][0].name.lower()
    params = {name: str(names.get(value, value)) for name, value in params.items()}
    filters = {k: v for k, v in params.items() if k not in ("fields", "limit", "page", "sort", "order")}
    for kind, (api, scope) in _callers(world).items():
        api.get("/api/v1/tickets", {"limit": 1})  # the first use of a key writes last_used_at
        pagination, sql = _list(api, params)
        assert pagination["total"] == _counted(world, filters, scope), kind
        tickets_counted = [q for q in sql if "COUNT(" in q.upper() and '"tickets_ticket"' in q]
        assert not tickets_counted, (kind, tickets_counted)
        summed = [q for q in sql if "ticketgroupcount" in q.lower()]
        assert len(summed) == (0 if scope == set() else 1), (kind, sql)  # no client: no ticket, no query


def test_the_api_counts_rows_for_other_filters(world):
    api, _, _ = api_for(["ticket.read"], clients=world["clients"][:2])
    api.get("/api/v1/tickets", {"limit": 1})
    pagination, sql = _list(api, {"is_open": "true", "overdue": "false", "fields": "mobile_list"})
    assert pagination["total"] == Ticket.objects.filter(client__in=world["clients"][:2], is_closed=False).count()
    assert not any("ticketgroupcount" in q.lower() for q in sql), sql
    assert any("COUNT(" in q.upper() and '"tickets_ticket"' in q for q in sql), sql


def test_a_list_takes_as_many_queries_with_the_counted_total(world):
    """The group sum replaces the COUNT(*): a ticket list keeps its number of queries (count, page, lookups). A
    caller who may see neither the clients' names nor the tags has them not read (count and page alone)."""
    for nodes, queries in ((["ticket.read", "obj.*"], 3), (["ticket.read"], 2)):
        api, _, _ = api_for(nodes)
        api.get("/api/v1/tickets", {"limit": 1})
        _, counted = _list(api, {"fields": "mobile_list", "is_open": "true"})
        _, summed_elsewhere = _list(api, {"fields": "mobile_list", "is_open": "true", "overdue": "false"})
        assert len(counted) == len(summed_elsewhere) == queries, (nodes, counted, summed_elsewhere)


def test_restrict_is_the_scope_the_counts_assume():
    """The list's queryset is the scope's tickets (``client__in``): the per-client rows select the same tickets."""
    client = make_client()
    user = make_user(["ticket.read"], clients=[client])
    request = _request(user)
    request.auth = None
    sql = str(restrict(Ticket.objects.all(), request).query)
    assert '"tickets_ticket"."client_id" IN' in sql, sql


@pytest.mark.parametrize(
    "params, summed",
    [
        ({"is_open": "true"}, True),
        ({"is_closed": "true", "has_assignment": "false", "sort": "updated_at", "order": "asc"}, True),
        ({"is_open": "true", "overdue": "false"}, False),  # a filter the groups do not decide: rows are counted
    ],
)
def test_the_ticket_page_takes_its_total_from_the_counts_too(world, params, summed):
    """The UI's ticket list uses the API's filters, so it takes the same count source: the same total, summed."""
    from django.test import Client as BrowserClient

    a, b, _ = world["clients"]
    browser = BrowserClient()
    browser.force_login(make_user(["ticket.read", "obj.*"], [a, b]))
    with CaptureQueriesContext(connection) as captured:
        response = browser.get("/tickets/", params)
    assert response.status_code == 200
    filters = {k: v for k, v in params.items() if k not in ("sort", "order")}
    assert response.context["page"].paginator.count == _counted(world, filters, {a.pk, b.pk})
    sql = [q["sql"] for q in captured]
    assert any(q.startswith('SELECT SUM("tickets_clientticketgroupcount"."tickets")') for q in sql) is summed, sql
    # Counted rows: the page's total unless summed, and the header's "my open tickets" on every page.
    counted = [q for q in sql if q.startswith('SELECT COUNT(*) AS "__count" FROM "tickets_ticket"')]
    assert len(counted) == (1 if summed else 2), counted
