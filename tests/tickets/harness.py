"""Route-harness objects for ticketing: tickets, comments, agents, watchers and the ticket settings."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset
from tests.assets.factories import make_asset
from tests.factories import make_user
from tests.harness_bodies import Multipart, Query
from tests.tickets.factories import make_board, make_category, make_comment, make_tag, make_ticket
from tests.tickets.link_factories import link_asset, make_bundle, make_document
from tickets.bundle_models import TicketBundle
from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket, TicketAgent, TicketWatcher


def build(world) -> None:
    board = make_board("Harness board", statuses=(("Open", False), ("Working", False), ("Done", True)))
    world.ticket_board = board
    world.ticket_user = make_user(["ticket.read"], login="harness-agent")
    world.spare_user = make_user(["ticket.read"], login="harness-spare")
    ticket_a = make_ticket(world.client_a, board=board, title="Harness ticket A", assigned_to=world.ticket_user)
    ticket_b = make_ticket(world.client_b, board=board, title="Harness ticket B", assigned_to=world.ticket_user)
    world.add(Ticket, ticket_a, ticket_b)
    comment_a = make_comment(ticket_a, world.ticket_user, "Comment A")
    comment_b = make_comment(ticket_b, world.ticket_user, "Comment B")
    world.add(Comment, comment_a, comment_b)
    world.add_kwarg("comment_id", comment_a, comment_b)
    agent_a, agent_b = make_user(["ticket.read"]), make_user(["ticket.read"])
    TicketAgent.objects.create(ticket=ticket_a, user=agent_a)
    TicketAgent.objects.create(ticket=ticket_b, user=agent_b)
    world.add_kwarg("agent_user_id", agent_a, agent_b)
    world.ticket_agent = agent_a
    watcher_a = make_user(["ticket.read"])
    TicketWatcher.objects.create(ticket=ticket_a, user=watcher_a)
    TicketWatcher.objects.create(ticket=ticket_b, user=make_user(["ticket.read"]))
    world.ticket_watcher = watcher_a
    # Settings objects that no ticket uses, so deleting them succeeds.
    spare_board = make_board("Spare board")
    world.add(Board, spare_board)
    world.add(Status, Status.objects.create(board=board, name="Spare", order=99))
    world.add(Priority, Priority.objects.create(name="Spare priority", order=99))
    world.add(Category, make_category(board, "Spare category"))
    world.add(Tag, make_tag("spare"))
    _build_links(world, ticket_a, ticket_b)


def _build_links(world, ticket_a: Ticket, ticket_b: Ticket) -> None:
    """Documents, a bundle and an asset link on each side of the scope line."""
    asset_a, asset_b = world.objects[Asset], world.hidden[Asset]
    # One document attached to a ticket, a client and an asset, so `document_id` fits all three holders.
    document_a = make_document(ticket_a, world.client_a, asset_a)
    document_b = make_document(ticket_b, world.client_b, asset_b)
    world.add_kwarg("document_id", document_a, document_b)
    child_a = make_ticket(world.client_a, board=world.ticket_board, title="Harness child A")
    child_b = make_ticket(world.client_b, board=world.ticket_board, title="Harness child B")
    make_bundle(ticket_a, child_a)
    make_bundle(ticket_b, child_b)
    world.add_kwarg("child_id", child_a, child_b)
    world.bundle_child = child_a
    link_asset(ticket_a, asset_a)
    link_asset(ticket_b, asset_b)
    world.add_kwarg("ticket_id", ticket_a, ticket_b)
    # Bodies must not write (the scope check counts audit rows): the tickets they name exist beforehand.
    world.spare_ticket = make_ticket(world.client_a, board=world.ticket_board, title="Harness spare")


def _status(w, name: str) -> str:
    return str(Status.objects.get(board=w.ticket_board, name=name).pk)


def _own_comment(w) -> dict:
    """Only a comment's author may edit it: make the caller the author of the comment being edited."""
    if w.caller_key is not None:
        Comment.objects.filter(pk=w.objects[Comment].pk).update(author_user=w.caller_key.owner)
    return {"comment_text": "Edited by its author"}


def _upload(w) -> Multipart:
    return Multipart(file=SimpleUploadedFile("report.txt", b"Harness upload\n", content_type="text/plain"))


def _new_ticket(w) -> str:
    return str(w.spare_ticket.pk)


def _new_bundle(w) -> dict:
    """POST /bundle makes the URL's ticket a master: it must not be one already."""
    TicketBundle.objects.filter(master=w.objects[Ticket]).delete()
    return {"child_ticket_ids": [_new_ticket(w)], "mode": "sync_updates"}


BODIES = {
    ("ticket-documents-list", "POST"): _upload,
    ("client-documents-list", "POST"): _upload,
    ("asset-documents-list", "POST"): _upload,
    ("ticket-bundle-detail", "POST"): _new_bundle,
    ("ticket-bundle-children", "POST"): lambda w: {"child_ticket_ids": [_new_ticket(w)]},
    ("ticket-bundle-promote", "POST"): lambda w: {"new_master_ticket_id": str(w.bundle_child.pk)},
    ("ticket-bundle-settings", "PUT"): lambda w: {"mode": "link_only", "reopen_on_child_reply": True},
    ("ticket-assets-list", "POST"): lambda w: {"asset_id": str(make_asset(w.client_a).pk), "notes": "harness"},
    ("asset-tickets-list", "POST"): lambda w: {"ticket_id": _new_ticket(w), "relationship_type": "related"},
    ("ticket-from-asset-list", "GET"): lambda w: Query(asset_id=str(w.objects[Asset].pk)),
    ("ticket-from-asset-list", "POST"): lambda w: {
        "asset_id": str(w.objects[Asset].pk),
        "title": "Printer jams",
        "board_id": str(w.ticket_board.pk),
        "status_id": _status(w, "Open"),
    },
    ("ticket-list", "POST"): lambda w: {
        "title": "Created by the harness",
        "client_id": str(w.client_a.pk),
        "board_id": str(w.ticket_board.pk),
        "status_id": _status(w, "Open"),
    },
    ("ticket-detail", "PUT"): lambda w: {"title": "Renamed", "priority_id": str(Priority.objects.get(name="High").pk)},
    ("ticket-detail", "PATCH"): lambda w: {"due_date": "2030-01-01T09:00:00Z"},
    ("ticket-set-status", "PUT"): lambda w: {"status_id": _status(w, "Working")},
    ("ticket-set-assignment", "PUT"): lambda w: {"assigned_to": str(w.spare_user.pk)},
    ("ticket-agents", "POST"): lambda w: {"user_id": str(w.spare_user.pk)},
    ("ticket-agents", "DELETE"): lambda w: {"user_id": str(w.ticket_agent.pk)},
    ("ticket-watchers", "POST"): lambda w: {"email": "watcher@example.com", "name": "Watcher"},
    ("ticket-watchers", "DELETE"): lambda w: {"user_id": str(w.ticket_watcher.pk)},
    ("ticket-comments", "POST"): lambda w: {"comment_text": "From the harness", "is_internal": False},
    ("ticket-comment-detail", "PUT"): _own_comment,
    ("ticket-comment-reactions", "POST"): lambda w: {"emoji": "👍"},
    ("ticket-entity-tags", "POST"): lambda w: {
        "entity_id": str(w.objects[Ticket].pk),
        "entity_type": "ticket",
        "tags": ["harness-tag"],
    },
    ("ticket-entity-tags", "DELETE"): lambda w: {
        "entity_id": str(w.objects[Ticket].pk),
        "entity_type": "ticket",
        "tag_ids": [str(w.objects[Tag].pk)],
    },
    ("board-list", "POST"): lambda w: {"board_name": "New board"},
    ("board-detail", "PUT"): lambda w: {"description": "Changed"},
    ("board-detail", "PATCH"): lambda w: {"display_order": 5},
    ("status-list", "POST"): lambda w: {"board_id": str(w.ticket_board.pk), "name": "Waiting"},
    ("status-detail", "PUT"): lambda w: {"color": "#000000"},
    ("status-detail", "PATCH"): lambda w: {"order_number": 7},
    ("priority-list", "POST"): lambda w: {"priority_name": "Urgent", "order_number": 0},
    ("priority-detail", "PUT"): lambda w: {"color": "#111111"},
    ("priority-detail", "PATCH"): lambda w: {"order_number": 9},
    ("category-list", "POST"): lambda w: {"board_id": str(w.ticket_board.pk), "category_name": "Network"},
    ("category-detail", "PUT"): lambda w: {"category_name": "Renamed"},
    ("category-detail", "PATCH"): lambda w: {"description": "Changed"},
    ("tag-list", "POST"): lambda w: {"tag_text": "vip"},
    ("tag-detail", "PUT"): lambda w: {"background_color": "#FF0000"},
    ("tag-detail", "PATCH"): lambda w: {"text_color": "#FFFFFF"},
}

ROW_FACTORIES = {
    Ticket: lambda w, i: make_ticket(w.client_a, board=w.ticket_board, title=f"Row {i}", tags=[f"t{i}"]),
    Board: lambda w, i: make_board(f"Row board {i}"),
    Status: lambda w, i: Status.objects.create(board=w.ticket_board, name=f"Row status {i}", order=100 + i),
    Priority: lambda w, i: Priority.objects.create(name=f"Row priority {i}", order=100 + i),
    Category: lambda w, i: make_category(w.ticket_board, f"Row category {i}"),
    Tag: lambda w, i: make_tag(f"row{i}"),
}


# ---- time entries, the timer and materials (tests/tickets/time_factories.py) --------------------------------------
from tests.catalog.factories import make_product, make_service  # noqa: E402
from tests.tickets.time_factories import make_entry, make_material, make_session  # noqa: E402
from tickets.time_models import TicketMaterial, TimeEntry  # noqa: E402

_build_tickets = build  # the ticket objects above; build() below adds the time and material ones


def build(world) -> None:
    _build_tickets(world)
    ticket_a, ticket_b = world.objects[Ticket], world.hidden[Ticket]
    world.add_kwarg("ticket_id", ticket_a, ticket_b)
    world.time_service = make_service("Harness labour")
    world.add(TimeEntry, make_entry(ticket_a, world.ticket_user), make_entry(ticket_b, world.ticket_user))
    world.add_kwarg("session_id", make_session(ticket_a, world.ticket_user), make_session(ticket_b, world.spare_user))
    world.material_product = make_product("Harness SSD", on_hand=100)
    world.add(
        TicketMaterial,
        make_material(ticket_a, world.material_product),
        make_material(ticket_b, world.material_product),
    )


def _own_entry(w) -> dict:
    """Changing another user's entry needs time_entry.update.other: make the caller the entry's owner."""
    if w.caller_key is not None:
        TimeEntry.objects.filter(pk=w.objects[TimeEntry].pk).update(user=w.caller_key.owner)
    return {"notes": "Changed by its owner", "duration_minutes": 45}


def _own_session(w, body: dict) -> dict:
    """Only the timer's owner stops or discards it: make the caller the owner of the running timer."""
    if w.caller_key is not None:
        session = w.kwargs["session_id"][0]
        type(session).objects.filter(pk=session.pk).update(user=w.caller_key.owner)
    return body


BODIES.update(
    {
        ("timeentry-list", "POST"): lambda w: {
            "work_item_type": "ticket",
            "work_item_id": str(w.objects[Ticket].pk),
            "service_id": str(w.time_service.pk),
            "start_time": "2030-01-01T09:00:00Z",
            "end_time": "2030-01-01T09:30:00Z",
            "notes": "From the harness",
        },
        ("timeentry-detail", "PUT"): _own_entry,
        ("timeentry-detail", "PATCH"): _own_entry,
        # Reading or deleting another user's entry needs more nodes: these "bodies" only make the caller its owner.
        ("timeentry-detail", "GET"): lambda w: _own_entry(w) and {},
        ("timeentry-detail", "DELETE"): lambda w: _own_entry(w) and {},
        ("timeentry-start-tracking", "POST"): lambda w: {
            "work_item_type": "ticket",
            "work_item_id": str(w.objects[Ticket].pk),
            "service_id": str(w.time_service.pk),
        },
        ("timeentry-stop-tracking", "POST"): lambda w: _own_session(w, {"notes": "Stopped by the harness"}),
        ("timeentry-active-session", "DELETE"): lambda w: _own_session(w, {}),
        ("ticket-material-list", "POST"): lambda w: {"product_id": str(w.material_product.pk), "quantity": 2},
    }
)

ROW_FACTORIES.update(
    {
        TimeEntry: lambda w, i: make_entry(w.objects[Ticket], make_user(["ticket.read"])),
        TicketMaterial: lambda w, i: make_material(w.objects[Ticket], make_product(f"Row SSD {i}")),
    }
)
