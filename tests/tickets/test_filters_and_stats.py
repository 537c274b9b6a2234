"""Truth tables for the list filters, and ``/tickets/stats`` checked against brute-force counts on generated data."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from psa.search.text import words
from tests.factories import api_for, make_client, make_contact, make_user
from tests.psa.helpers import data_of, error_paths
from tests.tickets.factories import make_board, make_category, make_tag, make_ticket
from tickets.models import Priority, Status, Ticket
from tickets.search_index import document
from tickets.stats import period_starts

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def world(db):
    """~70 tickets with every combination that matters, with stamps spread over two months."""
    rng = random.Random(4)
    clients = [make_client(f"Gen {i}") for i in range(3)]
    contacts = {c.pk: make_contact(c) for c in clients}
    users = [make_user(["ticket.read"], name=f"Tech {i}") for i in range(3)]
    boards = [
        Status.objects.first().board,
        make_board("Second", statuses=(("Open", False), ("Parked", False), ("Done", True))),
    ]
    categories = [make_category(board, f"Cat {board.name}") for board in boards]
    tags = [make_tag(t) for t in ("vip", "network", "printer")]
    priorities = list(Priority.objects.all())
    tickets = []
    for i in range(70):
        board = boards[i % 2]
        status = rng.choice(list(board.statuses.all()))
        client = clients[i % 3]
        ticket = make_ticket(
            client,
            title=f"Generated {i}",
            board=board,
            status=status,
            priority=rng.choice(priorities),
            assigned_to=rng.choice([*users, None]),
            contact=contacts[client.pk] if i % 4 == 0 else None,
            category=categories[i % 2] if i % 3 == 0 else None,
            due_date=rng.choice(
                [None, NOW - timedelta(days=rng.randint(1, 30)), NOW + timedelta(days=rng.randint(1, 30))]
            ),
            tags=rng.sample([t.text for t in tags], rng.randint(0, 2)),
        )
        entered = NOW - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        updated = entered + timedelta(hours=rng.randint(0, 48))
        closed = updated if ticket.is_closed else None
        Ticket.objects.filter(pk=ticket.pk).update(entered_at=entered, updated_at=updated, closed_at=closed)
        tickets.append(ticket)
    api, me, _ = api_for(["ticket.*", "obj.*"])
    return {"api": api, "me": me, "users": users, "clients": clients, "boards": boards, "tags": tags,
            "contacts": contacts, "categories": categories}  # fmt: skip


def all_tickets():
    return list(Ticket.objects.select_related("status", "priority").prefetch_related("tags"))


def api_ids(api, **params) -> set[str]:
    ids, page = set(), 1
    while True:
        body = api.get("/api/v1/tickets", {**params, "limit": 100, "page": page, "fields": "ticket_id"}).json()
        assert "data" in body, body
        ids |= {row["ticket_id"] for row in body["data"]}
        if not body["pagination"]["hasNext"]:
            return ids
        page += 1


def brute(predicate) -> set[str]:
    return {str(t.pk) for t in all_tickets() if predicate(t)}


BOOLEAN_FILTERS = {
    "is_open": lambda t, v: (not t.is_closed) == v,
    "is_closed": lambda t, v: t.is_closed == v,
    "has_assignment": lambda t, v: (t.assigned_to_id is not None) == v,
    "overdue": lambda t, v: (not t.is_closed and t.due_date is not None and t.due_date < timezone.now()) == v,
}


@pytest.mark.parametrize(
    "first, second", list(itertools.combinations(BOOLEAN_FILTERS, 2)) + [(n, None) for n in BOOLEAN_FILTERS]
)
def test_boolean_filter_truth_table(world, first, second):
    api = world["api"]
    names = [n for n in (first, second) if n]
    for values in itertools.product([True, False, None], repeat=len(names)):
        params = {n: str(v).lower() for n, v in zip(names, values, strict=True) if v is not None}
        expected = brute(
            lambda t, names=names, values=values: all(
                BOOLEAN_FILTERS[n](t, v) for n, v in zip(names, values, strict=True) if v is not None
            )
        )
        assert api_ids(api, **params) == expected, params


def test_value_filters(world):
    api, users = world["api"], world["users"]
    tickets = all_tickets()
    some = tickets[5]
    board = world["boards"][1]
    statuses = list(board.statuses.all())[:2]
    checks = [
        ({"assigned_to": str(users[0].pk)}, lambda t: t.assigned_to_id == users[0].pk),
        ({"priority_name": some.priority.name.upper()}, lambda t: t.priority_id == some.priority_id),
        ({"status_name": "open"}, lambda t: t.status.name == "Open"),
        ({"status_ids": ",".join(str(s.pk) for s in statuses)}, lambda t: t.status_id in {s.pk for s in statuses}),
        ({"priority_id": str(some.priority_id)}, lambda t: t.priority_id == some.priority_id),
        ({"board_id": str(board.pk)}, lambda t: t.board_id == board.pk),
        ({"client_id": str(world["clients"][1].pk)}, lambda t: t.client_id == world["clients"][1].pk),
        (
            {"contact_id": str(world["contacts"][world["clients"][0].pk].pk)},
            lambda t: t.contact_id is not None and t.client_id == world["clients"][0].pk,
        ),
        ({"category_id": str(world["categories"][0].pk)}, lambda t: t.category_id == world["categories"][0].pk),
        ({"tags": "VIP,printer"}, lambda t: bool({x.text for x in t.tags.all()} & {"vip", "printer"})),
        ({"tags": '["network"]'}, lambda t: "network" in {x.text for x in t.tags.all()}),
        ({"search": "generated 1"}, lambda t: {"generated", "1"} <= set(words(" ".join(document(t).texts.values())))),
    ]
    for params, predicate in checks:
        assert api_ids(api, **params) == brute(predicate), params


def test_date_range_filters(world):
    api = world["api"]
    mid = NOW - timedelta(days=30)
    day = mid.date().isoformat()
    start_of_day = datetime.combine(mid.date(), datetime.min.time(), tzinfo=UTC)
    checks = [
        ({"updated_from": mid.isoformat()}, lambda t: t.updated_at >= mid),
        ({"updated_to": mid.isoformat()}, lambda t: t.updated_at <= mid),
        ({"entered_from": mid.isoformat()}, lambda t: t.entered_at >= mid),
        ({"entered_to": day}, lambda t: t.entered_at < start_of_day + timedelta(days=1)),
        (
            {"entered_from": day, "entered_to": day},
            lambda t: start_of_day <= t.entered_at < start_of_day + timedelta(days=1),
        ),
        ({"closed_from": mid.isoformat()}, lambda t: t.closed_at is not None and t.closed_at >= mid),
        ({"closed_to": mid.isoformat()}, lambda t: t.closed_at is not None and t.closed_at <= mid),
        ({"due_before": NOW.isoformat()}, lambda t: t.due_date is not None and t.due_date < NOW),
        ({"due_before": day}, lambda t: t.due_date is not None and t.due_date < start_of_day + timedelta(days=1)),
    ]
    for params, predicate in checks:
        for ticket in Ticket.objects.all():
            ticket.refresh_from_db()
        assert api_ids(api, **params) == brute(predicate), params


def test_assigned_to_me(world):
    api, me = world["api"], world["me"]
    ticket = Ticket.objects.first()
    Ticket.objects.filter(pk=ticket.pk).update(assigned_to=me)
    assert api_ids(api, assigned_to="me") == {str(ticket.pk)}


@pytest.mark.parametrize(
    "params",
    [{"is_open": "TRUE "}, {"overdue": "1"}, {"entered_to": "31/01/2025"}, {"due_before": "tomorrow"}, {"tags": "[1"}],
)
def test_malformed_filter_values_are_400(world, params):
    if params == {"is_open": "TRUE "}:
        assert world["api"].get("/api/v1/tickets", params).status_code == 200  # case and spaces are forgiven
        return
    assert error_paths(world["api"].get("/api/v1/tickets", params)) == [[next(iter(params))]]


# --- stats -----------------------------------------------------------------------------------------------------------


def expected_stats(tickets) -> dict:
    now = timezone.now()
    starts = period_starts(now)
    closed = [t for t in tickets if t.is_closed and t.closed_at]
    hours = [(t.closed_at - t.entered_at).total_seconds() / 3600 for t in closed]
    by_status, by_priority, by_board = {}, {}, {}
    for t in tickets:
        by_status[str(t.status_id)] = by_status.get(str(t.status_id), 0) + 1
        by_priority[str(t.priority_id)] = by_priority.get(str(t.priority_id), 0) + 1
        by_board[str(t.board_id)] = by_board.get(str(t.board_id), 0) + 1
    return {
        "total_tickets": len(tickets),
        "open_tickets": sum(not t.is_closed for t in tickets),
        "closed_tickets": sum(t.is_closed for t in tickets),
        "unassigned_tickets": sum(not t.is_closed and t.assigned_to_id is None for t in tickets),
        "overdue_tickets": sum(not t.is_closed and t.due_date is not None and t.due_date < now for t in tickets),
        "tickets_created_today": sum(t.entered_at >= starts["today"] for t in tickets),
        "tickets_created_this_week": sum(t.entered_at >= starts["week"] for t in tickets),
        "tickets_created_this_month": sum(t.entered_at >= starts["month"] for t in tickets),
        "average_resolution_time": round(sum(hours) / len(hours), 2) if hours else None,
        "by_status": by_status,
        "by_priority": by_priority,
        "by_board": by_board,
    }


def actual_stats(data: dict) -> dict:
    result = {k: v for k, v in data.items() if not k.startswith("tickets_by_")}
    result["by_status"] = {r["status_id"]: r["count"] for r in data["tickets_by_status"]}
    result["by_priority"] = {r["priority_id"]: r["count"] for r in data["tickets_by_priority"]}
    result["by_board"] = {r["board_id"]: r["count"] for r in data["tickets_by_board"]}
    return result


def test_stats_match_brute_force(world):
    data = data_of(world["api"].get("/api/v1/tickets/stats"))
    expected = expected_stats(all_tickets())
    actual = actual_stats(data)
    assert actual["average_resolution_time"] == pytest.approx(expected.pop("average_resolution_time"), abs=0.01)
    actual.pop("average_resolution_time")
    assert actual == expected
    assert all(r["status_name"] for r in data["tickets_by_status"])


@pytest.mark.parametrize(
    "params, predicate",
    [
        ({"is_open": "true"}, lambda t: not t.is_closed),
        ({"board_id": "second"}, None),
        ({"tags": "vip"}, lambda t: "vip" in {x.text for x in t.tags.all()}),
    ],
)
def test_stats_honour_the_list_filters(world, params, predicate):
    if params.get("board_id") == "second":
        board = world["boards"][1]
        params, predicate = {"board_id": str(board.pk)}, lambda t: t.board_id == board.pk
    data = data_of(world["api"].get("/api/v1/tickets/stats", params))
    expected = expected_stats([t for t in all_tickets() if predicate(t)])
    actual = actual_stats(data)
    actual.pop("average_resolution_time")
    expected.pop("average_resolution_time")
    assert actual == expected


def test_stats_honour_client_scope(world):
    client = world["clients"][2]
    api, _, _ = api_for(["ticket.read", "obj.*"], key_clients=[client])
    data = data_of(api.get("/api/v1/tickets/stats"))
    assert data["total_tickets"] == Ticket.objects.filter(client=client).count()
    assert sum(r["count"] for r in data["tickets_by_board"]) == data["total_tickets"]


def test_stats_reject_bad_filters(world):
    assert error_paths(world["api"].get("/api/v1/tickets/stats", {"is_open": "perhaps"})) == [["is_open"]]
