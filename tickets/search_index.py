"""What tickets make searchable (``psa.search``): number and title, names and description, and their comments.

Comments are folded into their ticket's document, newest first up to ``PSA_SEARCH_COMMENT_CHARS`` characters:
public ones in group c, internal ones in group d (searched only with ``ticket.comment.internal``). The document holds
the client's and the contact's names too: renaming either re-indexes the tickets whose entry holds the old name.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models.fields.json import KT
from django.urls import reverse

from clients.models import Client, Contact
from psa.models import SearchEntry
from psa.search import Document, Searchable, SearchField, register
from tickets.models import Comment, Ticket


@dataclass(frozen=True)
class CommentText:
    """What a ticket's document reads of a comment."""

    pk: uuid.UUID
    created_at: datetime.datetime
    text: str
    is_internal: bool
    is_system: bool


COMMENT_COLUMNS = ("pk", "created_at", "text", "is_internal", "is_system")


def attach_comments(tickets: list[Ticket]) -> None:
    """Each ticket's comments as plain rows (``search_comments``), for a batch in one query: no model instances."""
    by_ticket: dict = {ticket.pk: [] for ticket in tickets}
    rows = Comment.objects.filter(ticket_id__in=list(by_ticket)).values_list("ticket_id", *COMMENT_COLUMNS)
    for ticket_id, *values in rows.order_by():
        by_ticket[ticket_id].append(CommentText(*values))
    for ticket in tickets:
        ticket.search_comments = by_ticket[ticket.pk]


def _comments(ticket: Ticket, internal: bool) -> str:
    budget, parts = settings.SEARCH_COMMENT_CHARS, []
    comments = getattr(ticket, "search_comments", None)
    if comments is None:
        comments = ticket.comments.all()
    for comment in sorted(comments, key=lambda c: (c.created_at, c.pk), reverse=True):
        if comment.is_internal != internal or comment.is_system:
            continue
        if budget <= 0:
            break
        parts.append(comment.text[:budget])
        budget -= len(comment.text)
    return "\n".join(parts)


def document(ticket: Ticket) -> Document:
    return Document(
        title=f"{ticket.ticket_number} {ticket.title}",
        texts={
            "ticket_number": ticket.ticket_number,
            "title": ticket.title,
            "client_name": ticket.client.name,
            "contact_name": _contact_name(ticket.contact),
            "description": ticket.description,
            "comments": _comments(ticket, internal=False),
            "internal_comments": _comments(ticket, internal=True),
        },
        client_id=ticket.client_id,
        identifiers=[ticket.ticket_number],
        is_active=not ticket.is_closed,
    )


def _contact_name(contact: Contact | None) -> str:
    return f"{contact.first_name} {contact.last_name}" if contact else ""


def _entries_naming(name_key: str, name: str, entries):
    """Of ``entries``, those whose stored ``name_key`` text is not ``name`` (stored texts leave out empty ones)."""
    if name:
        return entries.exclude(**{f"texts__{name_key}": name})
    return entries.filter(**{"texts__has_key": name_key})


def tickets_naming_client(client: Client) -> list:
    """The tickets whose entry holds another name for ``client``: after a rename, all of them; else none."""
    entries = SearchEntry.objects.filter(kind="ticket", client_id=client.pk)
    return list(_entries_naming("client_name", client.name, entries).values_list("object_id", flat=True))


def tickets_naming_contact(contact: Contact) -> list:
    """The tickets whose entry names ``contact`` otherwise than it is named now: after a rename, its tickets; after
    its deletion (their contact is then empty), the tickets of its client that still name a contact."""
    entries = SearchEntry.objects.filter(kind="ticket", client_id=contact.client_id)
    own = Ticket.objects.filter(contact_id=contact.pk).values("pk")
    orphans = Ticket.objects.filter(client_id=contact.client_id, contact__isnull=True).values("pk")
    renamed = _entries_naming("contact_name", _contact_name(contact), entries.filter(object_id__in=own))
    orphaned = _entries_naming("contact_name", "", entries.filter(object_id__in=orphans))
    return [*renamed.values_list("object_id", flat=True), *orphaned.values_list("object_id", flat=True)]


def tickets_naming_clients(clients: list[Client]) -> list:
    """:func:`tickets_naming_client` for many clients in one query: the names their ticket entries hold, compared
    here (a sync that updated a thousand clients asked a thousand times)."""
    names = {client.pk: client.name for client in clients}
    entries = SearchEntry.objects.filter(kind="ticket", client_id__in=list(names))
    stored = entries.annotate(stored=KT("texts__client_name")).values_list("object_id", "client_id", "stored")
    return [object_id for object_id, client_id, name in stored if _names_otherwise(name, names[client_id])]


def tickets_naming_contacts(contacts: list[Contact]) -> list:
    """:func:`tickets_naming_contact` for many contacts: their tickets (one query), those tickets' stored contact
    names (a query per ``RELATED_CHUNK`` tickets), and their clients' tickets without a contact that still name one."""
    from psa.search.index import RELATED_CHUNK

    names = {contact.pk: _contact_name(contact) for contact in contacts}
    contact_of = dict(Ticket.objects.filter(contact_id__in=list(names)).values_list("pk", "contact_id"))
    tickets, found = list(contact_of), []
    for start in range(0, len(tickets), RELATED_CHUNK):
        entries = SearchEntry.objects.filter(kind="ticket", object_id__in=tickets[start : start + RELATED_CHUNK])
        for object_id, name in entries.annotate(stored=KT("texts__contact_name")).values_list("object_id", "stored"):
            if _names_otherwise(name, names[contact_of[object_id]]):
                found.append(object_id)
    clients = sorted({contact.client_id for contact in contacts}, key=str)
    orphans = Ticket.objects.filter(client_id__in=clients, contact__isnull=True).values("pk")
    entries = SearchEntry.objects.filter(kind="ticket", client_id__in=clients, object_id__in=orphans)
    found.extend(entries.filter(texts__has_key="contact_name").values_list("object_id", flat=True))
    return found


def _names_otherwise(stored: str | None, name: str) -> bool:
    """Whether an entry's stored name (None: none stored, as for an empty one) is not ``name``."""
    return stored != name if name else stored is not None


def rebuild():
    # The comments come with attach_comments (prepare), per batch.
    return Ticket.objects.select_related("client", "contact").order_by("entered_at", "id")


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
        related={
            Comment: lambda comment: [comment.ticket_id],
            Client: tickets_naming_client,
            Contact: tickets_naming_contact,
        },
        related_many={Client: tickets_naming_clients, Contact: tickets_naming_contacts},
        order=10,
        identifier_gates=("ticket_number",),
        prepare=attach_comments,
    )
)
