"""Ticket history (who changed what, from what to what), the ticket settings API, and pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import api_for, make_user
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import (
    default_board,
    make_board,
    make_category,
    make_comment,
    make_tag,
    make_ticket,
    priority_named,
    status_named,
)
from tickets.models import Board, Priority, Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech():
    api, user, _ = api_for(["ticket.*", "obj.*"])
    api.user = user
    return api


@pytest.fixture
def admin():
    api, _, _ = api_for(["ticket.*", "ticket_settings.*", "obj.*"])
    return api


# --- history ---------------------------------------------------------------------------------------------------------


def test_history_lists_every_change_with_who_when_old_and_new(tech, client_a):
    ticket = make_ticket(client_a, title="Before")
    tess = make_user(["ticket.read"], name="Tess")
    base = f"/api/v1/tickets/{ticket.pk}"
    tech.put(f"{base}/status", {"status_id": str(status_named("In Progress").pk)})
    tech.put(f"{base}/assignment", {"assigned_to": str(tess.pk)})
    tech.put(base, {"priority_id": str(priority_named("High").pk), "title": "After", "tags": ["vip"]}, format="json")
    tech.put(base, {"due_date": "2030-01-01T00:00:00Z"}, format="json")
    tech.post(f"{base}/comments", {"comment_text": "Note", "is_internal": True})
    tech.post(f"{base}/watchers", {"email": "boss@example.com"})

    rows = data_of(tech.get(f"{base}/history", {"order": "asc", "limit": 100}))
    changes = {(r["action"], r["field"]): r for r in rows}
    assert rows[0]["action"] == "created" and rows[0]["new_display"] == ticket.ticket_number
    status = changes[("updated", "status")]
    assert (status["old_display"], status["new_display"]) == ("New", "In Progress")
    assert status["old_value"] == str(status_named("New").pk)
    assert status["actor_id"] == str(tech.user.pk) and status["actor_name"] == str(tech.user)
    assert status["created_at"]
    assert (changes[("updated", "assigned_to")]["old_display"], changes[("updated", "assigned_to")]["new_display"]) == (
        "",
        "Tess",
    )
    assert changes[("updated", "priority")]["new_display"] == "High"
    assert (changes[("updated", "title")]["old_value"], changes[("updated", "title")]["new_value"]) == (
        "Before",
        "After",
    )
    assert changes[("updated", "tags")]["new_value"] == ["vip"]
    assert changes[("updated", "due_date")]["new_value"].startswith("2030-01-01")
    assert changes[("commented", "comments")]["new_display"] == "internal note"
    assert changes[("watcher_added", "watchers")]["new_display"] == "boss@example.com"
    # Newest first by default, and a field filter.
    assert data_of(tech.get(f"{base}/history"))[0]["action"] == "watcher_added"
    assert [r["field"] for r in data_of(tech.get(f"{base}/history", {"field": "status"}))] == ["status"]


def test_history_keeps_names_as_they_were(tech, client_a):
    ticket = make_ticket(client_a)
    tech.put(f"/api/v1/tickets/{ticket.pk}/status", {"status_id": str(status_named("Scheduled").pk)})
    Status.objects.filter(name="Scheduled").update(name="Booked")
    row = data_of(tech.get(f"/api/v1/tickets/{ticket.pk}/history", {"field": "status"}))[0]
    assert row["new_display"] == "Scheduled"


def test_a_put_that_changes_nothing_leaves_no_history(tech, client_a):
    ticket = make_ticket(client_a, title="Same")
    count = ticket.changes.count()
    data_of(tech.put(f"/api/v1/tickets/{ticket.pk}", {"title": "Same"}, format="json"))
    assert ticket.changes.count() == count


# --- settings API ----------------------------------------------------------------------------------------------------


def test_technicians_read_settings_but_only_admins_change_them(tech, admin):
    assert data_of(tech.get("/api/v1/boards"))[0]["board_name"] == "Service Desk"
    error_of(tech.post("/api/v1/boards", {"board_name": "Nope"}), 403, "FORBIDDEN")
    data = data_of(admin.post("/api/v1/boards", {"board_name": "Projects", "is_default": True}), 201)
    assert data["is_default"] is True
    assert Board.objects.get(name="Service Desk").is_default is False, "one default board"


def test_status_crud_and_one_default_per_board(admin):
    board = default_board()
    data = data_of(
        admin.post(
            "/api/v1/statuses", {"board_id": str(board.pk), "name": "Triage", "is_default": True, "order_number": 5}
        ),
        201,
    )
    assert data["order_number"] == 5
    assert list(Status.objects.filter(board=board, is_default=True).values_list("name", flat=True)) == ["Triage"]
    assert error_paths(admin.post("/api/v1/statuses", {"board_id": str(board.pk), "name": "triage"})) == [["name"]]
    assert error_paths(admin.post("/api/v1/statuses", {"board_id": str(board.pk), "name": "X", "color": "red"})) == [
        ["color"]
    ]
    other = make_board("Other")
    assert error_paths(admin.patch(f"/api/v1/statuses/{data['id']}", {"board_id": str(other.pk)})) == [["board_id"]]
    assert [s["name"] for s in data_of(admin.get("/api/v1/statuses", {"board_id": str(other.pk)}))] == ["Open", "Done"]


def test_changing_a_status_to_closed_closes_its_tickets(admin, client_a):
    waiting = status_named("Waiting on Client")
    ticket = make_ticket(client_a, status=waiting)
    data_of(admin.patch(f"/api/v1/statuses/{waiting.pk}", {"is_closed": True}))
    ticket.refresh_from_db()
    assert ticket.is_closed is True and ticket.closed_at is not None
    data_of(admin.patch(f"/api/v1/statuses/{waiting.pk}", {"is_closed": False}))
    ticket.refresh_from_db()
    assert ticket.is_closed is False and ticket.closed_at is None


def test_statuses_priorities_and_boards_in_use_cannot_be_deleted(admin, client_a):
    ticket = make_ticket(client_a)
    error_of(admin.delete(f"/api/v1/statuses/{ticket.status_id}"), 409, "CONFLICT")
    error_of(admin.delete(f"/api/v1/priorities/{ticket.priority_id}"), 409, "CONFLICT")
    error_of(admin.delete(f"/api/v1/boards/{ticket.board_id}"), 409, "CONFLICT")
    assert admin.delete(f"/api/v1/statuses/{status_named('Scheduled').pk}").status_code == 204


def test_priorities(admin):
    data = data_of(
        admin.post("/api/v1/priorities", {"priority_name": "P0", "order_number": 0, "is_default": True}), 201
    )
    assert Priority.objects.get(is_default=True).name == "P0"
    assert error_paths(admin.post("/api/v1/priorities", {"priority_name": "p0"})) == [["priority_name"]]
    assert data_of(admin.get("/api/v1/priorities"))[0]["priority_id"] == data["id"]


def test_categories_two_levels_on_one_board(admin):
    board, other = default_board(), make_board("Other")
    top = data_of(admin.post("/api/v1/categories", {"board_id": str(board.pk), "category_name": "Network"}), 201)
    sub = data_of(
        admin.post(
            "/api/v1/categories", {"board_id": str(board.pk), "category_name": "Wi-Fi", "parent_category": top["id"]}
        ),
        201,
    )
    assert error_paths(
        admin.post(
            "/api/v1/categories", {"board_id": str(board.pk), "category_name": "Deep", "parent_category": sub["id"]}
        )
    ) == [["parent_category"]]
    assert error_paths(
        admin.post(
            "/api/v1/categories", {"board_id": str(other.pk), "category_name": "X", "parent_category": top["id"]}
        )
    ) == [["parent_category"]]
    assert error_paths(admin.post("/api/v1/categories", {"board_id": str(board.pk), "category_name": "network"})) == [
        ["category_name"]
    ]
    assert [c["category_name"] for c in data_of(admin.get("/api/v1/categories", {"parent_category": top["id"]}))] == [
        "Wi-Fi"
    ]


def test_tags(admin):
    data_of(admin.post("/api/v1/tags", {"tag_text": "VIP", "background_color": "#FF0000"}), 201)
    assert error_paths(admin.post("/api/v1/tags", {"tag_text": "vip"})) == [["tag_text"]]
    assert error_paths(admin.post("/api/v1/tags", {"tag_text": "x", "text_color": "#GGGGGG"})) == [["text_color"]]


def test_ticket_statuses_lookup_for_one_board(tech):
    other = make_board("Other")
    names = [s["name"] for s in data_of(tech.get("/api/v1/tickets/statuses", {"board_id": str(other.pk)}))]
    assert names == ["Open", "Done"]
    assert error_paths(tech.get("/api/v1/tickets/statuses", {"board_id": "x"})) == [["board_id"]]
    everything = data_of(tech.get("/api/v1/tickets/statuses"))
    assert {s["board_name"] for s in everything} == {"Service Desk", "Other"}


# --- query counts ----------------------------------------------------------------------------------------------------


def _queries(api, url, params=None) -> int:
    # The first request after a change to users or reference tables (boards, statuses, priorities) loads them again.
    api.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    # Without Redis the rate limiter counts hits in a table; that query is the limiter's, not the route's.
    return len([query for query in captured if "ratelimitcounter" not in query["sql"].lower()])


@pytest.mark.parametrize(
    ("params", "pinned"),
    [
        # count, page with the clients' names joined (boards, statuses and priorities come from the reference
        # cache); then tags; the model fetch (method fields, watchers) keeps its clients query and prefetches
        ({}, 2),
        ({"fields": "mobile_list"}, 3),
        ({"fields": "tags"}, 3),
        ({"fields": ",".join(["watchers", "additional_agents", "attributes"])}, 4),
    ],
)
def test_ticket_list_queries_do_not_grow(tech, client_a, params, pinned):
    tech.get("/api/v1/tickets")
    make_ticket(client_a, tags=["a"], contact=None)
    one = _queries(tech, "/api/v1/tickets", params)
    for i in range(15):
        make_ticket(client_a, tags=[f"t{i}", "a"], assigned_to=make_user(["ticket.read"]))
    assert _queries(tech, "/api/v1/tickets", params) == one
    assert one == pinned


def test_sub_resource_queries_do_not_grow(tech, client_a):
    ticket = make_ticket(client_a)
    tech.get("/api/v1/tickets")
    urls = [
        f"/api/v1/tickets/{ticket.pk}/comments",
        f"/api/v1/tickets/{ticket.pk}/history",
        f"/api/v1/tickets/{ticket.pk}",
        "/api/v1/tickets/statuses",
        "/api/v1/tickets/priorities",
        "/api/v1/tickets/stats",
    ]
    make_comment(ticket, tech.user, "first")
    before = {url: _queries(tech, url) for url in urls}
    search_before = _queries(tech, "/api/v1/tickets/search", {"query": "ticket"})
    for i in range(10):
        comment = make_comment(ticket, make_user(["ticket.read"]), f"comment {i}")
        comment.reactions.create(user=tech.user, emoji="👍")
        make_board(f"Board {i}")
        make_category(default_board(), f"Cat {i}")
        make_tag(f"tag {i}")
        Priority.objects.create(name=f"P{i}", order=60 + i)
        make_ticket(client_a, title=f"ticket {i}")
    ticket.tags.set([make_tag("x"), make_tag("y")])
    assert {url: _queries(tech, url) for url in urls} == before
    assert _queries(tech, "/api/v1/tickets/search", {"query": "ticket"}) == search_before
    assert Ticket.objects.count() == 11


def test_stats_take_one_query_unfiltered_and_two_filtered_whatever_the_rows(tech, client_a):
    make_ticket(client_a)
    one = _queries(tech, "/api/v1/tickets/stats")
    filtered = _queries(tech, "/api/v1/tickets/stats", {"is_open": "true"})
    for i in range(5):
        make_ticket(client_a, tags=[f"s{i}"], assigned_to=make_user(["ticket.read"]))
    # Unfiltered: the maintained group counts and the clock's counts in one statement. Filtered: the totals in one
    # aggregate and the breakdowns in one group-by. Names come from the reference cache.
    assert _queries(tech, "/api/v1/tickets/stats") == one == 1
    assert _queries(tech, "/api/v1/tickets/stats", {"is_open": "true"}) == filtered == 2
