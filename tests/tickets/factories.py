"""Ticket test objects: plain functions on top of tests/factories.py."""

from __future__ import annotations

import itertools

from django.test import RequestFactory

from tickets import services
from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket

_seq = itertools.count(1)


def default_board() -> Board:
    return Board.objects.get(is_default=True)


def status_named(name: str, board: Board | None = None) -> Status:
    return Status.objects.get(board=board or default_board(), name=name)


def priority_named(name: str) -> Priority:
    return Priority.objects.get(name=name)


def make_board(name: str | None = None, statuses=(("Open", False), ("Done", True)), **fields) -> Board:
    board = Board.objects.create(name=name or f"Board {next(_seq)}", **fields)
    for order, (status_name, closed) in enumerate(statuses):
        Status.objects.create(board=board, name=status_name, is_closed=closed, order=order, is_default=order == 0)
    return board


def make_category(board: Board, name: str | None = None, parent: Category | None = None) -> Category:
    return Category.objects.create(board=board, parent=parent, name=name or f"Category {next(_seq)}")


def make_tag(text: str | None = None, **fields) -> Tag:
    return Tag.objects.create(text=text or f"tag{next(_seq)}", **fields)


def _request(user=None):
    request = RequestFactory().post("/")
    request.user = user
    return request


def make_ticket(client, user=None, **fields) -> Ticket:
    """A ticket created through the service layer (number, history, audit), as the API would."""
    board = fields.pop("board", None) or default_board()
    data = {
        "title": fields.pop("title", f"Ticket {next(_seq)}"),
        "client": client,
        "board": board,
        "status": fields.pop("status", None) or board.statuses.order_by("-is_default", "order").first(),
        "priority": fields.pop("priority", None) or Priority.objects.order_by("-is_default", "order").first(),
    }
    tags = fields.pop("tags", None)
    data.update(fields)
    if tags:
        data["tags"] = tags
    return services.create_ticket(_request(user), data)


def make_comment(ticket: Ticket, user=None, text: str = "A comment", **fields) -> Comment:
    return services.add_comment(_request(user), ticket, text, **fields)
