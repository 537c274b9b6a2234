"""``/tickets``: create, read, update, delete, board/status consistency, field selection, agents and watchers."""

from __future__ import annotations

import uuid

import pytest

from psa.models import AuditEvent
from tests.factories import api_for, make_client, make_contact, make_user
from tests.psa.helpers import data_of, error_of, error_paths
from tests.tickets.factories import (
    default_board,
    make_board,
    make_category,
    make_tag,
    make_ticket,
    priority_named,
    status_named,
)
from tickets.models import Status, Tag, Ticket, TicketAgent, TicketWatcher

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"


@pytest.fixture
def api():
    client, user, _ = api_for(["ticket.*", "obj.*"])
    client.user = user
    return client


def create(api, **body):
    return api.post(TICKETS, body, format="json")


# --- create ------------------------------------------------------------------------------------------------------


def test_create_with_defaults(api, client_a):
    data = data_of(create(api, title="Mail down", client_id=str(client_a.pk)), 201)

    assert data["ticket_number"].startswith("TIC")
    assert data["board_name"] == "Service Desk"
    assert data["status_name"] == "New"
    assert data["priority_name"] == "Medium"
    assert data["is_closed"] is False and data["status_is_closed"] is False
    assert data["entered_by"] == str(api.user.pk)
    assert data["source"] == "api"
    assert data["client_name"] == "Client A"
    ticket = Ticket.objects.get(pk=data["id"])
    assert ticket.entered_by == api.user
    assert AuditEvent.objects.filter(action="create", object_id=str(ticket.pk), client=client_a).exists()


def test_numbers_increase_and_are_unique(api, client_a):
    numbers = [data_of(create(api, title=f"T{i}", client_id=str(client_a.pk)), 201)["ticket_number"] for i in range(3)]

    sequences = [int(n.removeprefix("TIC")) for n in numbers]
    assert sequences == [sequences[0], sequences[0] + 1, sequences[0] + 2]
    assert sequences[0] > 1000


def test_create_with_everything(api, client_a):
    board = make_board("Projects", statuses=(("Planned", False), ("Delivered", True)))
    network = make_category(board, "Network")
    wifi = make_category(board, "Wi-Fi", parent=network)
    contact = make_contact(client_a)
    tech = make_user(["ticket.read"], name="Tess Tech")
    data = data_of(
        create(
            api,
            title="Office move",
            description="**Move** the rack",
            client_id=str(client_a.pk),
            contact_id=str(contact.pk),
            board_id=str(board.pk),
            status_id=str(Status.objects.get(board=board, name="Planned").pk),
            priority_id=str(priority_named("High").pk),
            subcategory_id=str(wifi.pk),
            assigned_to=str(tech.pk),
            due_date="2030-01-01T10:00:00Z",
            tags=["Move", "vip"],
            watchers=[{"user_id": str(tech.pk)}, {"email": "boss@client.example", "name": "Boss"}],
        ),
        201,
    )

    assert data["category_name"] == "Network", "the subcategory's parent becomes the category"
    assert data["subcategory_name"] == "Wi-Fi"
    assert data["assigned_to_name"] == "Tess Tech"
    assert data["description_html"] == "<p><strong>Move</strong> the rack</p>"
    assert [t["tag_text"] for t in data["tags"]] == ["Move", "vip"]
    assert {(w["user_id"], w["email"]) for w in data["watchers"]} == {
        (str(tech.pk), tech.email),
        (None, "boss@client.example"),
    }
    assert data["due_date"].startswith("2030-01-01T10:00:00")


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "ok", "client_id": None}, "client_id"),
        ({"title": "ok", "client_id": "not-a-uuid"}, "client_id"),
        ({"title": "ok", "client_id": str(uuid.uuid4())}, "client_id"),
        ({"title": "ok", "board_id": str(uuid.uuid4())}, "board_id"),
        ({"title": "ok", "priority_id": "zzz"}, "priority_id"),
        ({"title": "ok", "assigned_to": str(uuid.uuid4())}, "assigned_to"),
        ({"title": "ok", "due_date": "someday"}, "due_date"),
        ({"title": "ok", "source": "fax"}, "source"),
        ({"title": "ok", "tags": "vip"}, "tags"),
        ({"title": "ok", "watchers": [{"email": "not-an-email"}]}, "watchers"),
        ({"title": "ok", "ticket_number": "TIC1"}, "ticket_number"),
        ({"title": "ok", "is_closed": True}, "is_closed"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_create_validation_names_the_field(api, client_a, body, path):
    body = {"client_id": str(client_a.pk), **body} if "client_id" not in body else body
    if body.get("client_id") is None:
        body.pop("client_id")
    response = create(api, **body)
    assert path in {p[0] for p in error_paths(response)}, response.json()
    assert not Ticket.objects.exists()


def test_status_must_belong_to_the_board(api, client_a):
    other = make_board("Other")
    response = create(
        api, title="x", client_id=str(client_a.pk), board_id=str(default_board().pk),
        status_id=str(Status.objects.get(board=other, name="Open").pk),
    )  # fmt: skip
    assert error_paths(response) == [["status_id"]]


def test_category_must_belong_to_the_board_and_subcategory_to_the_category(api, client_a):
    other = make_board("Other")
    foreign = make_category(other, "Foreign")
    mine = make_category(default_board(), "Mine")
    sub_of_other = make_category(default_board(), "Sub", parent=make_category(default_board(), "Parent"))
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), category_id=str(foreign.pk))) == [
        ["category_id"]
    ]
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), category_id=str(sub_of_other.pk))) == [
        ["category_id"]
    ]
    response = create(
        api, title="x", client_id=str(client_a.pk), category_id=str(mine.pk), subcategory_id=str(sub_of_other.pk)
    )
    assert error_paths(response) == [["subcategory_id"]]


def test_contact_and_location_must_belong_to_the_client(api, client_a, client_b):
    from clients.models import Location

    contact_b = make_contact(client_b)
    site_b = Location.objects.create(client=client_b, name="B HQ")
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), contact_id=str(contact_b.pk))) == [
        ["contact_id"]
    ]
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), location_id=str(site_b.pk))) == [
        ["location_id"]
    ]


def test_inactive_board_refuses_new_tickets(api, client_a):
    board = make_board("Old", is_active=False)
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), board_id=str(board.pk))) == [["board_id"]]


def test_assignee_must_be_active_and_see_the_client(api, client_a, client_b):
    gone = make_user(["ticket.read"], is_active=False)
    scoped = make_user(["ticket.read"], clients=[client_b])
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), assigned_to=str(gone.pk))) == [
        ["assigned_to"]
    ]
    assert error_paths(create(api, title="x", client_id=str(client_a.pk), assigned_to=str(scoped.pk))) == [
        ["assigned_to"]
    ]


# --- read ------------------------------------------------------------------------------------------------------------


def test_default_list_fields_and_the_fields_parameter(api, client_a):
    ticket = make_ticket(client_a, tags=["vip"])
    row = data_of(api.get(TICKETS))[0]
    assert "tags" not in row and "description_html" not in row and "watchers" not in row
    assert row["ticket_id"] == str(ticket.pk)

    with_tags = data_of(api.get(TICKETS, {"fields": "tags"}))[0]
    assert set(with_tags) == set(row) | {"tags"}
    assert with_tags["tags"][0]["tag_text"] == "vip"

    sparse = data_of(api.get(TICKETS, {"fields": "ticket_number,title"}))[0]
    assert sparse == {"ticket_number": ticket.ticket_number, "title": ticket.title}

    response = api.get(TICKETS, {"fields": "title,password"})
    assert error_paths(response) == [["fields"]]
    assert "password" in response.json()["error"]["message"]

    detail = data_of(api.get(f"{TICKETS}/{ticket.pk}"))
    assert {"tags", "watchers", "additional_agents", "attributes", "description_html"} <= set(detail)
    assert set(data_of(api.get(f"{TICKETS}/{ticket.pk}", {"fields": "mobile_list"}))) == {
        "ticket_id", "ticket_number", "title", "status_id", "status_name", "status_is_closed", "priority_name",
        "assigned_to_name", "client_name", "contact_name", "updated_at", "entered_at", "closed_at", "tags",
    }  # fmt: skip


def test_list_meta_echoes_sort_order_and_filters(api, client_a):
    make_ticket(client_a)
    meta = api.get(TICKETS, {"sort": "due_date", "order": "asc", "is_open": "true"}).json()["meta"]
    assert meta["sort"] == "due_date" and meta["order"] == "asc"
    assert meta["filters"] == {"is_open": "true"}


def test_sorting_by_ticket_number_is_numeric(api, client_a):
    first = make_ticket(client_a, title="first")
    Ticket.objects.filter(pk=first.pk).update(ticket_number="TIC999", number_sequence=999)
    make_ticket(client_a, title="second")
    rows = data_of(api.get(TICKETS, {"sort": "ticket_number", "order": "asc"}))
    assert [r["title"] for r in rows] == ["first", "second"]


def test_sorting_by_priority_follows_the_rank(api, client_a):
    for name in ("Low", "Critical", "Medium", "High"):
        make_ticket(client_a, title=name, priority=priority_named(name))
    rows = data_of(api.get(TICKETS, {"sort": "priority_name", "order": "asc"}))
    assert [r["title"] for r in rows] == ["Critical", "High", "Medium", "Low"]


def test_field_gating_hides_and_refuses_fields(client_a):
    api, _, _ = api_for(["ticket.*", "obj.ticket.title", "obj.ticket.ticket_number"])
    ticket = make_ticket(client_a)
    assert data_of(api.get(f"{TICKETS}/{ticket.pk}")) == {
        "id": str(ticket.pk),
        "ticket_number": ticket.ticket_number,
        "title": ticket.title,
    }
    error_of(api.put(f"{TICKETS}/{ticket.pk}", {"due_date": None}, format="json"), 403, "FORBIDDEN")


def test_client_scope(client_a, client_b):
    api, _, _ = api_for(["ticket.*", "obj.*"], key_clients=[client_a])
    mine, theirs = make_ticket(client_a), make_ticket(client_b)
    assert [r["id"] for r in data_of(api.get(TICKETS))] == [str(mine.pk)]
    error_of(api.get(f"{TICKETS}/{theirs.pk}"), 404, "NOT_FOUND")
    error_of(api.put(f"{TICKETS}/{theirs.pk}/status", {"status_id": str(status_named("Closed").pk)}), 404, "NOT_FOUND")
    assert error_paths(create(api, title="x", client_id=str(client_b.pk))) == [["client_id"]]
    assert data_of(api.get(f"{TICKETS}/stats"))["total_tickets"] == 1


# --- update ----------------------------------------------------------------------------------------------------------


def test_put_changes_only_the_fields_sent(api, client_a):
    ticket = make_ticket(client_a, title="Keep", description="Keep me too", due_date=None)
    data = data_of(api.put(f"{TICKETS}/{ticket.pk}", {"priority_id": str(priority_named("Low").pk)}, format="json"))
    assert data["priority_name"] == "Low"
    assert data["title"] == "Keep" and data["description"] == "Keep me too"
    assert data["updated_by"] == str(api.user.pk)


def test_board_change_needs_a_status_of_the_new_board(api, client_a):
    ticket = make_ticket(client_a, category=make_category(default_board(), "Email"))
    other = make_board("Projects")
    response = api.put(f"{TICKETS}/{ticket.pk}", {"board_id": str(other.pk)}, format="json")
    assert error_paths(response) == [["status_id"]]
    response = api.put(
        f"{TICKETS}/{ticket.pk}",
        {"board_id": str(other.pk), "status_id": str(status_named("New").pk)},
        format="json",
    )
    assert error_paths(response) == [["status_id"]]
    data = data_of(
        api.put(
            f"{TICKETS}/{ticket.pk}",
            {"board_id": str(other.pk), "status_id": str(Status.objects.get(board=other, name="Done").pk)},
            format="json",
        )
    )
    assert data["board_name"] == "Projects" and data["status_name"] == "Done"
    assert data["is_closed"] is True and data["closed_at"] is not None
    assert data["category_id"] is None, "the old board's category was dropped"


def test_status_of_another_board_is_refused_on_update(api, client_a):
    ticket = make_ticket(client_a)
    other = make_board("Other")
    for url, body in [
        (f"{TICKETS}/{ticket.pk}", {"status_id": str(Status.objects.get(board=other, name="Done").pk)}),
        (f"{TICKETS}/{ticket.pk}/status", {"status_id": str(Status.objects.get(board=other, name="Done").pk)}),
    ]:
        assert error_paths(api.put(url, body, format="json")) == [["status_id"]]
    assert Ticket.objects.get(pk=ticket.pk).status.name == "New"


def test_closing_and_reopening_stamp_and_clear_closed_fields(api, client_a):
    ticket = make_ticket(client_a)
    closed = data_of(api.put(f"{TICKETS}/{ticket.pk}/status", {"status_id": str(status_named("Resolved").pk)}))
    assert closed["is_closed"] is True and closed["closed_by"] == str(api.user.pk) and closed["closed_at"]
    still = data_of(api.put(f"{TICKETS}/{ticket.pk}/status", {"status_id": str(status_named("Closed").pk)}))
    assert still["closed_at"] == closed["closed_at"], "moving between closed statuses keeps the close time"
    reopened = data_of(
        api.put(f"{TICKETS}/{ticket.pk}", {"status_id": str(status_named("In Progress").pk)}, format="json")
    )
    assert reopened["is_closed"] is False
    assert reopened["closed_at"] is None and reopened["closed_by"] is None


def test_status_body_errors(api, client_a):
    ticket = make_ticket(client_a)
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}/status", {})) == [["status_id"]]
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}/status", {"status_id": "nope"})) == [["status_id"]]
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}/status", {"status_id": str(uuid.uuid4())})) == [["status_id"]]
    assert ["x"] in error_paths(
        api.put(f"{TICKETS}/{ticket.pk}/status", {"status_id": str(status_named("New").pk), "x": 1})
    )


def test_client_change_drops_the_old_clients_contact(api, client_a, client_b):
    ticket = make_ticket(client_a, contact=make_contact(client_a))
    data = data_of(api.put(f"{TICKETS}/{ticket.pk}", {"client_id": str(client_b.pk)}, format="json"))
    assert data["client_id"] == str(client_b.pk) and data["contact_id"] is None


def test_tags_and_watchers_through_put(api, client_a):
    make_tag("vip")
    ticket = make_ticket(client_a, tags=["vip"])
    user = make_user(["ticket.read"])
    data = data_of(
        api.put(
            f"{TICKETS}/{ticket.pk}",
            {"tags": ["VIP", "network"], "watchers": [{"user_id": str(user.pk)}, {"email": "A@Example.com"}]},
            format="json",
        )
    )
    assert [t["tag_text"] for t in data["tags"]] == ["network", "vip"], "VIP matched the existing tag"
    assert Tag.objects.filter(text__iexact="vip").count() == 1
    assert {w["email"] for w in data["watchers"]} == {user.email, "a@example.com"}
    data = data_of(api.put(f"{TICKETS}/{ticket.pk}", {"tags": [], "watchers": []}, format="json"))
    assert data["tags"] == [] and data["watchers"] == []


def test_attributes_and_top_level_fields_cannot_both_be_sent(api, client_a):
    ticket = make_ticket(client_a)
    response = api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {}, "due_date": None}, format="json")
    assert error_paths(response) == [["attributes"]]
    response = api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {"watcher_user_ids": ["nobody"]}}, format="json")
    assert error_paths(response) == [["attributes", "watcher_user_ids"]]
    response = api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {"due_date": "soon"}}, format="json")
    assert error_paths(response) == [["attributes", "due_date"]]


def test_free_form_attributes_are_kept(api, client_a):
    ticket = make_ticket(client_a, description="Text")
    data = data_of(
        api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {"description": "Text", "asset_tag": "A-17"}}, format="json")
    )
    assert data["attributes"] == {"description": "Text", "asset_tag": "A-17"}
    assert data["description"] == "Text"


def test_source_cannot_change(api, client_a):
    ticket = make_ticket(client_a)
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}", {"source": "email"}, format="json")) == [["source"]]


def test_delete(api, client_a):
    ticket = make_ticket(client_a)
    assert api.delete(f"{TICKETS}/{ticket.pk}").status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(ticket.pk)).exists()


# --- assignment, agents, watchers ----------------------------------------------------------------------------------


def test_assignment_validation(api, client_a, client_b):
    ticket = make_ticket(client_a)
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}/assignment", {})) == [["assigned_to"]]
    assert error_paths(api.put(f"{TICKETS}/{ticket.pk}/assignment", {"assigned_to": "bob"})) == [["assigned_to"]]
    scoped = make_user(["ticket.read"], clients=[client_b])
    assert error_paths(
        api.put(f"{TICKETS}/{ticket.pk}/assignment", {"assigned_to": str(scoped.pk)}, format="json")
    ) == [["assigned_to"]]


def test_agents(api, client_a):
    ticket = make_ticket(client_a)
    first, second = make_user(["ticket.read"], name="First"), make_user(["ticket.read"], name="Second")
    url = f"{TICKETS}/{ticket.pk}/agents"

    data = data_of(api.post(url, {"user_id": str(first.pk)}), 201)
    assert data["primary_agent"]["user_id"] == str(first.pk), "an unassigned ticket's first agent becomes primary"
    data = data_of(api.post(url, {"user_id": str(second.pk), "role": "network"}), 201)
    assert [(a["user_id"], a["role"]) for a in data["additional_agents"]] == [(str(second.pk), "network")]
    error_of(api.post(url, {"user_id": str(second.pk)}), 409, "CONFLICT")
    error_of(api.post(url, {"user_id": str(first.pk)}), 409, "CONFLICT")
    assert error_paths(api.post(url, {})) == [["user_id"]]

    # Making an additional agent the primary removes them from the additional list.
    data_of(api.put(f"{TICKETS}/{ticket.pk}/assignment", {"assigned_to": str(second.pk)}))
    assert data_of(api.get(url))["additional_agents"] == []

    data_of(api.post(url, {"user_id": str(first.pk)}), 201)
    assert api.delete(f"{url}/{first.pk}").status_code == 204
    error_of(api.delete(f"{url}/{first.pk}"), 404, "NOT_FOUND")
    data_of(api.post(url, {"user_id": str(first.pk)}), 201)
    assert api.delete(url, {"user_id": str(first.pk)}, format="json").status_code == 204
    assert not TicketAgent.objects.filter(ticket=ticket).exists()


def test_watchers(api, client_a):
    ticket = make_ticket(client_a)
    user = make_user(["ticket.read"], name="Watcher")
    url = f"{TICKETS}/{ticket.pk}/watchers"

    assert data_of(api.post(url, {"user_id": str(user.pk)}), 201)["name"] == "Watcher"
    assert (
        data_of(api.post(url, {"email": "Client@Example.com", "name": "Client"}), 201)["email"] == "client@example.com"
    )
    error_of(api.post(url, {"email": "client@example.com"}), 409, "CONFLICT")
    assert error_paths(api.post(url, {})) == [[]]
    assert error_paths(api.post(url, {"user_id": str(user.pk), "email": "x@example.com"})) == [[]]
    assert len(data_of(api.get(url))) == 2
    assert api.delete(url, {"email": "CLIENT@example.com"}, format="json").status_code == 204
    assert api.delete(url, {"user_id": str(user.pk)}, format="json").status_code == 204
    error_of(api.delete(url, {"user_id": str(user.pk)}, format="json"), 404, "NOT_FOUND")
    assert not TicketWatcher.objects.exists()


def test_another_client_cannot_be_reached_through_any_writer(client_a):
    api, _, _ = api_for(["ticket.*", "obj.*"], key_clients=[make_client()])
    ticket = make_ticket(client_a)
    for method, url in [
        ("put", f"{TICKETS}/{ticket.pk}"),
        ("delete", f"{TICKETS}/{ticket.pk}"),
        ("post", f"{TICKETS}/{ticket.pk}/comments"),
        ("get", f"{TICKETS}/{ticket.pk}/history"),
    ]:
        assert getattr(api, method)(url, {}, format="json").status_code == 404
