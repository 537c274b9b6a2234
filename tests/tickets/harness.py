"""Route-harness objects for ticketing: tickets, comments, agents, watchers and the ticket settings."""

from __future__ import annotations

from tests.factories import make_user
from tests.tickets.factories import make_board, make_category, make_comment, make_tag, make_ticket
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


def _status(w, name: str) -> str:
    return str(Status.objects.get(board=w.ticket_board, name=name).pk)


def _own_comment(w) -> dict:
    """Only a comment's author may edit it: make the caller the author of the comment being edited."""
    if w.caller_key is not None:
        Comment.objects.filter(pk=w.objects[Comment].pk).update(author_user=w.caller_key.owner)
    return {"comment_text": "Edited by its author"}


BODIES = {
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
