"""Seed 001, the mobile API contract, replayed as written: every route, query parameter and body under /api/v1.

The mobile app sends ``x-api-key`` and ``x-tenant-id`` headers, asks for ``fields=mobile_list``, reads
``{data, pagination}`` and updates due date and watchers through ``PUT /tickets/{id}`` with ``attributes``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_contact, make_key, make_user
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import make_comment, make_tag, make_ticket, priority_named, status_named
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MOBILE_LIST = {
    "ticket_id", "ticket_number", "title", "status_id", "status_name", "status_is_closed", "priority_name",
    "assigned_to_name", "client_name", "contact_name", "updated_at", "entered_at", "closed_at", "tags",
}  # fmt: skip


@pytest.fixture
def mobile(db):
    """The mobile app: a technician's short-lived session key, sent as x-api-key with an x-tenant-id."""
    from rest_framework.test import APIClient

    user = make_user(["ticket.*", "obj.*"], name="Mo Bile")
    _, plaintext = make_key(user, purpose="mobile_session")
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext, HTTP_X_TENANT_ID="tenant-1")
    return api, user


@pytest.fixture
def desk(client_a, mobile):
    _, me = mobile
    other = make_user(["ticket.read"], name="Other Tech")
    contact = make_contact(client_a, first_name="Cat", last_name="Requester")
    vip = make_tag("vip", background_color="#FF0000", text_color="#FFFFFF")
    mine = make_ticket(client_a, title="Printer jammed", contact=contact, assigned_to=me, tags=["vip"])
    theirs = make_ticket(client_a, title="VPN down", assigned_to=other, priority=priority_named("High"))
    nobody = make_ticket(client_a, title="New laptop", priority=priority_named("Low"))
    done = make_ticket(client_a, title="Old issue", status=status_named("Closed"), assigned_to=me)
    return {"me": me, "other": other, "mine": mine, "theirs": theirs, "nobody": nobody, "done": done, "vip": vip}


def titles(response) -> set[str]:
    return {row["title"] for row in data_of(response)}


def test_list_with_mobile_list_fields_and_the_envelope(mobile, desk):
    api, _ = mobile
    response = api.get(
        "/api/v1/tickets", {"page": 1, "limit": 25, "fields": "mobile_list", "sort": "updated_at", "order": "desc"}
    )
    body = response.json()

    assert response.status_code == 200
    assert set(body["pagination"]) == {"page", "limit", "total", "totalPages", "hasNext", "hasPrev"}
    assert body["pagination"]["total"] == 4
    assert body["pagination"]["hasPrev"] is False
    for row in body["data"]:
        assert set(row) == MOBILE_LIST
    row = next(r for r in body["data"] if r["title"] == "Printer jammed")
    ticket = desk["mine"]
    assert row["ticket_id"] == str(ticket.pk)
    assert row["ticket_number"] == ticket.ticket_number
    assert row["status_name"] == "New" and row["status_is_closed"] is False
    assert row["priority_name"] == "Medium"
    assert row["assigned_to_name"] == "Mo Bile"
    assert row["client_name"] == "Client A"
    assert row["contact_name"] == "Cat Requester"
    assert row["closed_at"] is None
    assert row["tags"] == [
        {"tag_id": str(desk["vip"].pk), "tag_text": "vip", "background_color": "#FF0000", "text_color": "#FFFFFF"}
    ]
    updated = [r["updated_at"] for r in body["data"]]
    assert updated == sorted(updated, reverse=True)


def test_list_pagination_page_and_limit(mobile, desk):
    api, _ = mobile
    body = api.get("/api/v1/tickets", {"page": 2, "limit": 3, "fields": "mobile_list"}).json()

    assert len(body["data"]) == 1
    assert body["pagination"] == {"page": 2, "limit": 3, "total": 4, "totalPages": 2, "hasNext": False, "hasPrev": True}


@pytest.mark.parametrize("sort", ["updated_at", "entered_at", "priority_name", "status_name", "client_name"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_mobile_sort(mobile, desk, sort, order):
    api, _ = mobile
    response = api.get("/api/v1/tickets", {"fields": "mobile_list", "sort": sort, "order": order})
    assert response.status_code == 200
    assert len(response.json()["data"]) == 4


def test_search(mobile, desk):
    api, _ = mobile
    assert titles(api.get("/api/v1/tickets", {"search": "printer", "fields": "mobile_list"})) == {"Printer jammed"}
    number = desk["theirs"].ticket_number
    assert titles(api.get("/api/v1/tickets", {"search": number, "fields": "mobile_list"})) == {"VPN down"}


def test_every_mobile_filter(mobile, desk):
    api, me = mobile

    def only(**params):
        return titles(api.get("/api/v1/tickets", {"fields": "mobile_list", **params}))

    assert only(is_open="true") == {"Printer jammed", "VPN down", "New laptop"}
    assert only(is_open="false") == {"Old issue"}
    assert only(is_closed="true") == {"Old issue"}
    assert only(is_closed="false") == {"Printer jammed", "VPN down", "New laptop"}
    assert only(assigned_to=str(me.pk)) == {"Printer jammed", "Old issue"}
    assert only(assigned_to=str(me.pk), is_open="true") == {"Printer jammed"}
    assert only(has_assignment="true") == {"Printer jammed", "VPN down", "Old issue"}
    assert only(has_assignment="false") == {"New laptop"}
    assert only(priority_name="High") == {"VPN down"}
    assert only(priority_name="high") == {"VPN down"}
    assert only(status_name="closed") == {"Old issue"}
    assert only(status_ids=f"{status_named('New').pk},{status_named('Closed').pk}") == {
        "Printer jammed", "VPN down", "New laptop", "Old issue",
    }  # fmt: skip
    Ticket.objects.filter(pk=desk["theirs"].pk).update(updated_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert only(updated_from=since) == {"Printer jammed", "New laptop", "Old issue"}
    assert only(updated_to=since) == {"VPN down"}


def test_bad_filter_values_are_400s_naming_the_parameter(mobile, desk):
    api, _ = mobile
    for params, name in [
        ({"is_open": "yes"}, "is_open"),
        ({"has_assignment": "1"}, "has_assignment"),
        ({"assigned_to": "someone"}, "assigned_to"),
        ({"updated_from": "last tuesday"}, "updated_from"),
        ({"status_ids": "a,b"}, "status_ids"),
        ({"fields": "mobile_list,secret"}, "fields"),
        ({"sort": "password"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"limit": "101"}, "limit"),
    ]:
        assert error_paths(api.get("/api/v1/tickets", params)) == [[name]], params


def test_stats_for_the_header(mobile, desk):
    api, _ = mobile
    Ticket.objects.filter(pk=desk["nobody"].pk).update(due_date=timezone.now() - timedelta(hours=1))
    data = data_of(api.get("/api/v1/tickets/stats"))

    assert data["total_tickets"] == 4
    assert data["open_tickets"] == 3
    assert data["closed_tickets"] == 1
    assert data["unassigned_tickets"] == 1
    assert data["overdue_tickets"] == 1


def test_ticket_detail(mobile, desk):
    api, me = mobile
    ticket = desk["mine"]
    data = data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))

    assert data["ticket_id"] == str(ticket.pk)
    assert data["ticket_number"] == ticket.ticket_number
    assert data["title"] == "Printer jammed"
    assert data["assigned_to"] == str(me.pk)
    assert data["client_name"] == "Client A"
    assert data["contact_name"] == "Cat Requester"
    assert data["status_is_closed"] is False
    assert isinstance(data["attributes"], dict)


def test_comments_list_and_add(mobile, desk):
    api, _ = mobile
    ticket = desk["mine"]
    make_comment(ticket, desk["other"], "First reply")

    created = data_of(
        api.post(f"/api/v1/tickets/{ticket.pk}/comments", {"comment_text": "On my way", "is_internal": True}), 201
    )
    assert created["comment_text"] == "On my way"
    assert created["is_internal"] is True
    assert created["created_by_name"] == "Mo Bile"
    assert created["comment_id"] == created["id"]

    comments = data_of(api.get(f"/api/v1/tickets/{ticket.pk}/comments"))
    assert [c["comment_text"] for c in comments] == ["First reply", "On my way"]
    for comment in comments:
        assert {"comment_id", "comment_text", "is_internal", "created_by_name", "created_at"} <= set(comment)


def test_comments_page_on_the_server_too(mobile, desk):
    api, _ = mobile
    ticket = desk["mine"]
    for i in range(30):
        make_comment(ticket, desk["other"], f"Reply {i}")
    whole = api.get(f"/api/v1/tickets/{ticket.pk}/comments").json()
    assert len(whole["data"]) == 30, "without limit the whole thread comes back, as the mobile app pages locally"
    page = api.get(f"/api/v1/tickets/{ticket.pk}/comments", {"page": 2, "limit": 20}).json()
    assert [c["comment_text"] for c in page["data"]] == [f"Reply {i}" for i in range(20, 30)]
    assert page["pagination"]["total"] == 30


def test_statuses_and_status_update(mobile, desk):
    api, me = mobile
    statuses = data_of(api.get("/api/v1/tickets/statuses"))
    for status in statuses:
        assert {"status_id", "name", "is_closed"} <= set(status)
    closed = next(s for s in statuses if s["name"] == "Resolved")
    ticket = desk["mine"]

    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}/status", {"status_id": closed["status_id"]}))
    assert data["status_name"] == "Resolved"
    assert data["status_is_closed"] is True
    assert data["closed_at"] is not None
    assert data["closed_by"] == str(me.pk)


def test_assignment_assign_and_unassign(mobile, desk):
    api, me = mobile
    ticket = desk["nobody"]

    assert data_of(api.put(f"/api/v1/tickets/{ticket.pk}/assignment", {"assigned_to": str(me.pk)}))[
        "assigned_to"
    ] == str(me.pk)
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}/assignment", {"assigned_to": None}))
    assert data["assigned_to"] is None
    assert data["assigned_to_name"] is None


def test_priorities_and_priority_update(mobile, desk):
    api, _ = mobile
    priorities = data_of(api.get("/api/v1/tickets/priorities"))
    for priority in priorities:
        assert {"priority_id", "priority_name"} <= set(priority)
    high = next(p for p in priorities if p["priority_name"] == "High")
    ticket = desk["nobody"]

    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"priority_id": high["priority_id"]}))
    assert data["priority_name"] == "High"
    assert Ticket.objects.get(pk=ticket.pk).priority.name == "High"


def test_partial_update_of_attributes_due_date_and_watchers(mobile, desk):
    """The mobile app reads ``attributes``, changes one key and sends the whole object back."""
    api, me = mobile
    ticket = desk["mine"]
    detail = data_of(api.get(f"/api/v1/tickets/{ticket.pk}"))

    # Set a due date the way the app does.
    attributes = {**detail["attributes"], "due_date": "2030-05-01T00:00:00.000Z"}
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"attributes": attributes}))
    assert data["due_date"].startswith("2030-05-01T00:00:00")
    assert data["attributes"]["due_date"].startswith("2030-05-01")

    # Watch: add my id to watcher_user_ids.
    attributes = {**data["attributes"], "watcher_user_ids": [str(me.pk)]}
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"attributes": attributes}))
    assert data["attributes"]["watcher_user_ids"] == [str(me.pk)]
    assert [w["user_id"] for w in data["watchers"]] == [str(me.pk)]
    assert data["due_date"].startswith("2030-05-01"), "the due date survived the watch toggle"

    # Unwatch and clear the due date: the app deletes the keys, and sends null when nothing is left.
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"attributes": None}))
    assert data["due_date"] is None
    assert data["watchers"] == []
    assert data["title"] == "Printer jammed"

    # The plain fields work too.
    data = data_of(api.put(f"/api/v1/tickets/{ticket.pk}", {"due_date": "2031-01-02T03:04:05Z"}))
    assert data["due_date"].startswith("2031-01-02T03:04:05")


def test_time_entry_create_as_the_app_sends_it(desk):
    """``POST /time-entries`` with the app's body; the time-entry work owns the details, this pins the contract."""
    from rest_framework.test import APIClient

    from tests.catalog.factories import make_service

    user = make_user(["ticket.*", "time_entry.*", "obj.*"], name="Time Keeper")
    _, plaintext = make_key(user, purpose="mobile_session")
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext, HTTP_X_TENANT_ID="default")
    service = make_service("Remote support")
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    body = {
        "work_item_type": "ticket", "work_item_id": str(desk["mine"].pk), "service_id": str(service.pk),
        "start_time": start.isoformat(), "end_time": (start + timedelta(minutes=30)).isoformat(),
        "notes": "Replaced the toner", "is_billable": True,
    }  # fmt: skip
    response = api.post("/api/v1/time-entries", body, format="json")
    assert response.status_code == 201, response.content[:300]


def test_the_mobile_time_calls_as_the_app_makes_them(mobile, desk):
    """The app's time screen: services picker, POST /time-entries, its list query, the timer and the ticket totals."""
    from tests.catalog.factories import make_service

    api, me = mobile
    me.permissions = [*me.permissions, "time_entry.read", "time_entry.create", "catalog.service.read"]
    me.save(update_fields=["permissions"])
    service = make_service("Remote support")
    make_service("Retired", is_active=False)
    services = data_of(api.get("/api/v1/services", {"is_active": "true", "limit": 100}))
    assert [(row["service_id"], row["service_name"]) for row in services] == [(str(service.pk), "Remote support")]

    ticket = desk["mine"]
    body = {
        "work_item_type": "ticket", "work_item_id": str(ticket.pk), "service_id": str(service.pk),
        "start_time": "2026-03-02T09:00:00.000Z", "end_time": "2026-03-02T09:45:00.000Z", "notes": "Fixed",
        "is_billable": True,
    }  # fmt: skip
    entry = data_of(api.post("/api/v1/time-entries", body, format="json"), 201)
    assert {entry["entry_id"], entry["work_item_id"], entry["billable_duration"]} == {entry["id"], str(ticket.pk), 45}
    listed = api.get(
        "/api/v1/time-entries",
        {"page": 1, "limit": 25, "sort": "start_time", "order": "desc", "user_id": str(me.pk),
         "date_from": "2026-03-01", "date_to": "2026-03-07"},
    ).json()  # fmt: skip
    assert [row["entry_id"] for row in listed["data"]] == [entry["id"]] and listed["pagination"]["total"] == 1

    start = {
        "work_item_type": "ticket",
        "work_item_id": str(ticket.pk),
        "service_id": str(service.pk),
        "notes": None,
    }
    started = data_of(api.post("/api/v1/time-entries/start-tracking", start, format="json"), 201)
    assert set(started) >= {"session_id", "work_item_id", "work_item_type", "start_time", "notes", "service_id",
                            "user_id", "elapsed_minutes", "work_item_title", "service_name"}  # fmt: skip
    assert data_of(api.get("/api/v1/time-entries/active-session"))["session_id"] == started["session_id"]
    stopped = api.post(
        f"/api/v1/time-entries/stop-tracking/{started['session_id']}", {"notes": "Done", "is_billable": True},
        format="json",
    )  # fmt: skip
    assert data_of(stopped)["notes"] == "Done"

    summary = data_of(api.get(f"/api/v1/tickets/{ticket.pk}/time-entries"))
    assert summary["ownEntryCount"] == 2 and summary["ownTotalMinutes"] == 46 and summary["totalMinutes"] == 46


def test_ticket_created_with_a_mobile_key_has_source_mobile(mobile, client_a):
    api, _ = mobile
    data = data_of(api.post("/api/v1/tickets", {"title": "From the phone", "client_id": str(client_a.pk)}), 201)
    assert data["source"] == "mobile"


def test_a_bad_key_is_401(desk):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_X_API_KEY="psa_nope")
    error_of(api.get("/api/v1/tickets", {"fields": "mobile_list"}), 401, "UNAUTHORIZED")
