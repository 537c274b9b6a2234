"""What tickets make searchable (``psa.search``): number and title, names and description, and their comments.

Comments are folded into their ticket's document, newest first up to ``PSA_SEARCH_COMMENT_CHARS`` characters:
public ones in group c, internal ones in group d (searched only with ``ticket.comment.internal``).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from psa.search import Document, Searchable, SearchField, register
from tickets.models import Comment, Ticket


def _comments(ticket: Ticket, internal: bool) -> str:
    budget, parts = settings.SEARCH_COMMENT_CHARS, []
    for comment in sorted(ticket.comments.all(), key=lambda c: (c.created_at, c.pk), reverse=True):
        if comment.is_internal != internal or comment.is_system:
            continue
        if budget <= 0:
            break
        parts.append(comment.text[:budget])
        budget -= len(comment.text)
    return "\n".join(parts)


def document(ticket: Ticket) -> Document:
    contact = ticket.contact
    return Document(
        title=f"{ticket.ticket_number} {ticket.title}",
        texts={
            "ticket_number": ticket.ticket_number,
            "title": ticket.title,
            "client_name": ticket.client.name,
            "contact_name": f"{contact.first_name} {contact.last_name}" if contact else "",
            "description": ticket.description,
            "comments": _comments(ticket, internal=False),
            "internal_comments": _comments(ticket, internal=True),
        },
        client_id=ticket.client_id,
        identifiers=[ticket.ticket_number],
        is_active=not ticket.is_closed,
    )


def rebuild():
    comments = Comment.objects.only("ticket_id", "text", "is_internal", "is_system", "created_at")
    return (
        Ticket.objects.select_related("client", "contact")
        .prefetch_related(Prefetch("comments", queryset=comments))
        .order_by("entered_at", "id")
    )


COMMENT_TEXT = {"gate": "comment_text", "gate_model": Comment}

register(
    Searchable(
        kind="ticket",
        label="Tickets",
        model=Ticket,
        nodes=("ticket.read",),
        fields=(
            SearchField("ticket_number", "a"),
            SearchField("title", "a", gate="title"),
            SearchField("client_name", "b", gate="client_name"),
            SearchField("contact_name", "b", gate="contact_name"),
            SearchField("description", "b", gate="description"),
            SearchField("comments", "c", **COMMENT_TEXT),
            SearchField("internal_comments", "d", nodes=("ticket.comment.internal",), **COMMENT_TEXT),
        ),
        document=document,
        url=lambda object_id, client_id: reverse("tickets:ticket_detail", args=[object_id]),
        rebuild=rebuild,
        related={Comment: lambda comment: [comment.ticket_id]},
        order=10,
        identifier_gates=("ticket_number",),
    )
)
