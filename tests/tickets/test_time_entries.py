"""Time entries: logging, validation, own-versus-others rules, filters, ticket totals, scope and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psa.models import AuditEvent
from tests.catalog.factories import make_service
from tests.factories import api_client, api_for, make_client, make_user
from tests.tickets.factories import make_ticket
from tests.tickets.time_factories import make_entry
from tickets.time_models import TimeEntry

pytestmark = pytest.mark.django_db

TECH = ["ticket.read", "time_entry.read", "time_entry.create", "time_entry.update", "time_entry.delete", "obj.*"]
LEAD = [*TECH, "time_entry.read.other", "time_entry.update.other"]


@pytest.fixture
def ticket(client_a):
    return make_ticket(client_a, title="Printer jam")


def _log(api, ticket, **body):
    payload = {"work_item_type": "ticket", "work_item_id": str(ticket.pk), **body}
    return api.post("/api/v1/time-entries", payload, format="json")


def test_log_time_with_start_and_end(ticket):
    api, user, _ = api_for(TECH)
    service = make_service("Remote support", is_billable=True)
    response = _log(api, ticket, service_id=str(service.pk), start_time="2026-03-02T09:00:00Z",
                    end_time="2026-03-02T10:30:00Z", notes="Cleared the jam")  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["entry_id"] == data["id"] and data["user_id"] == str(user.pk)
    assert data["duration_minutes"] == 90 and data["billable_duration"] == 90 and data["duration_hours"] == 1.5
    assert data["is_billable"] is True and data["service_name"] == "Remote support"
    assert data["work_date"] == "2026-03-02" and data["work_item_title"] == "Printer jam"
    assert data["client_id"] == str(ticket.client_id) and data["approval_status"] == "DRAFT"
    assert AuditEvent.objects.filter(object_type="tickets.timeentry", action="create", client=ticket.client).exists()


def test_duration_alone_ends_now_and_billable_follows_the_service(ticket):
    api, _, _ = api_for(TECH)
    service = make_service("Internal", is_billable=False)
    data = _log(api, ticket, duration_minutes=25, service_id=str(service.pk)).json()["data"]
    end = datetime.datetime.fromisoformat(data["end_time"])
    assert abs((timezone.now() - end).total_seconds()) < 120
    assert data["duration_minutes"] == 25 and data["is_billable"] is False and data["billable_duration"] == 0
    # An explicit flag wins over the service's default.
    assert _log(api, ticket, duration_minutes=5, service_id=str(service.pk), is_billable=True).json()["data"][
        "is_billable"
    ]


def test_start_plus_duration_gives_the_end(ticket):
    api, _, _ = api_for(TECH)
    data = _log(api, ticket, start_time="2026-03-02T09:00:00Z", duration_minutes=45).json()["data"]
    assert data["end_time"].startswith("2026-03-02T09:45:00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_time": "2026-03-02T10:00:00Z", "end_time": "2026-03-02T10:00:00Z"}, "end_time"),
        ({"start_time": "2026-03-02T10:00:00Z", "end_time": "2026-03-02T09:00:00Z"}, "end_time"),
        ({"start_time": "2026-03-02T10:00:00Z"}, "end_time"),
        ({}, "end_time"),
        ({"start_time": "2026-03-02T09:00:00Z", "end_time": "2026-03-02T10:00:00Z", "duration_minutes": 30},
         "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"start_time": "2026-03-01T00:00:00Z", "end_time": "2026-03-03T00:00:00Z"}, "end_time"),
        ({"start_time": "yesterday", "end_time": "2026-03-03T00:00:00Z"}, "start_time"),
        ({"duration_minutes": 5, "work_item_type": "project_task"}, "work_item_type"),
        ({"duration_minutes": 5, "service_id": "nope"}, "service_id"),
        ({"duration_minutes": 5, "billable": True}, "billable"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field(ticket, body, field):
    api, _, _ = api_for(TECH)
    response = _log(api, ticket, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["path"] == [field]


def test_inactive_service_and_other_clients_ticket_are_refused(ticket, client_b):
    api, _, _ = api_for(TECH, key_clients=[ticket.client])
    inactive = make_service("Old", is_active=False)
    response = _log(api, ticket, duration_minutes=5, service_id=str(inactive.pk))
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["service_id"]
    response = _log(api, make_ticket(client_b), duration_minutes=5)
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["work_item_id"]


def test_a_user_sees_and_edits_own_entries_only(ticket):
    api, me, _ = api_for(TECH)
    other = make_user(["ticket.read"])
    mine, theirs = make_entry(ticket, me), make_entry(ticket, other)
    ids = {row["id"] for row in api.get("/api/v1/time-entries").json()["data"]}
    assert ids == {str(mine.pk)}
    assert api.get(f"/api/v1/time-entries/{theirs.pk}").status_code == 404
    assert api.patch(f"/api/v1/time-entries/{mine.pk}", {"notes": "mine"}, format="json").status_code == 200
    response = _log(api, ticket, duration_minutes=5, user_id=str(other.pk))
    assert response.status_code == 403 and "time_entry.update.other" in response.json()["error"]["message"]


def test_others_entries_need_the_other_nodes(ticket):
    reader, _, _ = api_for([*TECH, "time_entry.read.other"])
    lead, _, _ = api_for(LEAD)
    theirs = make_entry(ticket, make_user(["ticket.read"]), minutes=30)
    assert reader.get(f"/api/v1/time-entries/{theirs.pk}").status_code == 200
    assert reader.patch(f"/api/v1/time-entries/{theirs.pk}", {"notes": "x"}, format="json").status_code == 403
    assert reader.delete(f"/api/v1/time-entries/{theirs.pk}").status_code == 403
    changed = lead.patch(f"/api/v1/time-entries/{theirs.pk}", {"duration_minutes": 50}, format="json")
    assert changed.status_code == 200 and changed.json()["data"]["duration_minutes"] == 50
    theirs.refresh_from_db()
    assert theirs.end_time - theirs.start_time == datetime.timedelta(minutes=50)
    event = AuditEvent.objects.get(action="update", object_id=str(theirs.pk))
    assert set(event.changes) == {"duration_minutes", "end_time"}
    assert lead.delete(f"/api/v1/time-entries/{theirs.pk}").status_code == 204
    assert not TimeEntry.objects.filter(pk=theirs.pk).exists()


def test_update_validation_keeps_the_entry(ticket):
    api, me, _ = api_for(TECH)
    entry = make_entry(ticket, me, minutes=30)
    response = api.patch(f"/api/v1/time-entries/{entry.pk}", {"end_time": entry.start_time.isoformat()}, format="json")
    assert response.status_code == 400 and response.json()["error"]["details"][0]["path"] == ["end_time"]
    entry.refresh_from_db()
    assert entry.duration_minutes == 30


def test_filters_and_list_totals(client_a, client_b):
    api, me, _ = api_for(LEAD)
    ticket_a, ticket_b = make_ticket(client_a), make_ticket(client_b)
    service = make_service("Onsite")
    monday = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    make_entry(ticket_a, me, minutes=60, start=monday, service=service)
    make_entry(ticket_a, me, minutes=30, start=monday + datetime.timedelta(days=1), is_billable=False)
    make_entry(ticket_b, make_user(), minutes=15, start=monday + datetime.timedelta(days=2))

    def totals(**params):
        body = api.get("/api/v1/time-entries", {"totals": "true", **params}).json()
        return body["pagination"]["total"], body["meta"]["total_minutes"], body["meta"]["billable_minutes"]

    assert totals() == (3, 105, 75)
    assert totals(user_id="me") == (2, 90, 60)
    assert totals(client_id=str(client_b.pk)) == (1, 15, 15)
    assert totals(work_item_id=str(ticket_a.pk), is_billable="false") == (1, 30, 0)
    assert totals(service_id=str(service.pk)) == (1, 60, 60)
    assert totals(date_from="2026-03-03", date_to="2026-03-03") == (1, 30, 0)
    assert totals(start_time_from="2026-03-03T00:00:00Z") == (2, 45, 15)
    assert totals(duration_min=30, duration_max=59) == (1, 30, 0)
    rows = api.get("/api/v1/time-entries", {"sort": "start_time", "order": "asc"}).json()["data"]
    assert [row["duration_minutes"] for row in rows] == [60, 30, 15]
    assert api.get("/api/v1/time-entries").json()["meta"] == {}
    for bad in ({"date_from": "March"}, {"user_id": "someone"}, {"is_billable": "maybe"}, {"sort": "notes"},
                {"totals": "yes please"}, {"colour": "red"}):  # fmt: skip
        assert api.get("/api/v1/time-entries", bad).status_code == 400, bad


def test_ticket_time_entries_have_the_mobile_totals(ticket):
    api, me, _ = api_for(TECH)
    other = make_user(["ticket.read"])
    make_entry(ticket, me, minutes=5, is_billable=False)
    make_entry(ticket, me, minutes=20)
    make_entry(ticket, other, minutes=30)
    data = api.get(f"/api/v1/tickets/{ticket.pk}/time-entries").json()["data"]
    assert {key: value for key, value in data.items() if key != "entries"} == {
        "ownTotalMinutes": 25, "ownEntryCount": 2, "othersTotalMinutes": 30, "othersEntryCount": 1,
        "othersVisibleMinutes": 0, "othersVisibleCount": 0, "othersHiddenMinutes": 30, "othersHiddenCount": 1,
        "totalMinutes": 55, "billableMinutes": 50, "entriesTruncated": False,
    }  # fmt: skip
    assert [entry["is_own"] for entry in data["entries"]] == [True, True]
    entry = data["entries"][0]
    assert set(entry) >= {"entry_id", "user_id", "user_name", "start_time", "end_time", "work_date",
                          "billable_duration", "notes", "approval_status", "service_id", "service_name"}  # fmt: skip
    lead, _, _ = api_for(LEAD)
    data = lead.get(f"/api/v1/tickets/{ticket.pk}/time-entries").json()["data"]
    assert data["othersVisibleCount"] == 3 and data["othersHiddenCount"] == 0 and len(data["entries"]) == 3


def test_ticket_time_entries_show_only_the_entry_fields_the_caller_may_see(ticket):
    nodes = [n for n in TECH if n != "obj.*"] + ["obj.time_entry.work_date", "obj.time_entry.duration_minutes"]
    api, me, _ = api_for(nodes)
    make_entry(ticket, me, minutes=20, notes="Replaced the fuser")
    response = api.get(f"/api/v1/tickets/{ticket.pk}/time-entries")
    assert response.status_code == 200 and "Replaced the fuser" not in response.content.decode()
    (entry,) = response.json()["data"]["entries"]
    assert set(entry) == {"entry_id", "work_date", "duration_minutes"}  # is_own goes with user_id
    assert response.json()["data"]["ownTotalMinutes"] == 20  # totals are counts, not fields of an entry


def test_ticket_time_entries_list_is_capped_but_totals_are_not(ticket, settings):
    settings.TICKET_TIME_ENTRIES_MAX = 2
    api, me, _ = api_for(TECH)
    for _ in range(3):
        make_entry(ticket, me, minutes=10)
    data = api.get(f"/api/v1/tickets/{ticket.pk}/time-entries").json()["data"]
    assert len(data["entries"]) == 2 and data["entriesTruncated"] is True and data["ownTotalMinutes"] == 30


def test_ticket_time_entries_access(ticket, client_b):
    assert api_client().get(f"/api/v1/tickets/{ticket.pk}/time-entries").status_code == 401
    api, _, _ = api_for(["ticket.read"])
    assert api.get(f"/api/v1/tickets/{ticket.pk}/time-entries").status_code == 403
    scoped, _, _ = api_for(TECH, key_clients=[ticket.client])
    hidden = make_ticket(client_b)
    assert scoped.get(f"/api/v1/tickets/{hidden.pk}/time-entries").status_code == 404
    assert scoped.get(f"/api/v1/tickets/{ticket.pk}/time-entries").status_code == 200


def test_scoped_callers_never_see_other_clients_entries(ticket, client_b):
    api, me, _ = api_for(LEAD, clients=[ticket.client])
    mine, hidden = make_entry(ticket, me), make_entry(make_ticket(client_b), me)
    body = api.get("/api/v1/time-entries", {"totals": "true"}).json()
    assert [row["id"] for row in body["data"]] == [str(mine.pk)] and body["meta"]["total_minutes"] == 30
    assert api.get(f"/api/v1/time-entries/{hidden.pk}").status_code == 404
    assert api.delete(f"/api/v1/time-entries/{hidden.pk}").status_code == 404


def _queries(api, path):
    params = {"limit": 100} if path.endswith("/time-entries") and path.count("/") == 3 else {}
    api.get(path, params)  # the first request after a change to users resolves its caller again: not counted
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, params).status_code == 200
    # Without Redis the rate limiter counts hits in a table; those queries are not the endpoint's.
    return len([query for query in captured if "ratelimitcounter" not in query["sql"].lower()])


def test_query_counts_are_pinned(ticket):
    api, me, _ = api_for(LEAD)
    api.get("/api/v1/time-entries")  # the key's first use records it
    service = make_service("Remote")
    make_entry(ticket, me, service=service)
    counts = (_queries(api, "/api/v1/time-entries"), _queries(api, f"/api/v1/tickets/{ticket.pk}/time-entries"))
    for _ in range(20):
        make_entry(make_ticket(make_client()), make_user(), service=make_service())
        make_entry(ticket, make_user(), service=make_service())
    assert (_queries(api, "/api/v1/time-entries"), _queries(api, f"/api/v1/tickets/{ticket.pk}/time-entries")) == counts
    # The caller comes from the caller cache; then count and page; or ticket, totals and rows.
    assert counts == (2, 3)
