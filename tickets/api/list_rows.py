"""The ticket list's values that its serializer's fields do not say how to read column by column.

The list's page is read by :mod:`psa.api.lean_rows` (the lean path's one mechanism): ids, texts, date-times, the
client's and location's names joined, and the board's, status's, priority's and categories' from the reference
cache are derived from the serializer's fields and ``list_columns``. Declared here, for the views's ``list_values``:
``str()`` of the contact and of the people (from :mod:`accounts.display_names`), ``is_overdue`` (a property) and
the tags, read by one query.
"""

from __future__ import annotations

from typing import Any

from accounts.display_names import display_names
from clients.models import contact_name
from psa.api.lean_rows import Page, Value, before, rows_by_keys, uuid_text
from tickets.models import Ticket


def _person(relation: str) -> Value:
    """``str(user)`` (its name, else its login) of a related user, from the users' names cache rather than a join;
    ``None`` without one."""
    key = f"{relation}_id"
    return Value((key,), lambda page: page.converted(key, display_names))


_CONTACT = ("contact_id", "contact__first_name", "contact__last_name")


def _contact(page: Page) -> list:
    """``str(contact)``; ``None`` without a contact."""
    rows = zip(*(page.columns[c] for c in _CONTACT), strict=True)
    return [None if key is None else contact_name(first, last) for key, first, last in rows]


def _overdue(page: Page) -> list:
    """``Ticket.is_overdue``: open, with a due date before now."""
    due = before(page.columns["due_date"], page.now)
    return [not closed and past for closed, past in zip(page.columns["is_closed"], due, strict=True)]


def _tags(page: Page) -> list:
    """Each ticket's tags as ``TagsField`` writes them (sorted by their text, ignoring case), by one query."""
    through = Ticket.tags.through
    keys = list(page.columns["id"])
    rows = rows_by_keys(
        page,
        lambda: through._base_manager.using(page.db)
        .filter(ticket_id__in=keys)
        .order_by("tag__text", "tag_id")
        .values_list("ticket_id", "tag_id", "tag__text", "tag__background_color", "tag__text_color"),
        "ticket tags",
        through._meta.get_field("ticket").target_field,
        keys,
    )
    found: dict[Any, list[dict]] = {}  # by the ticket's id as the response writes it
    tag_ids = uuid_text([row[1] for row in rows])
    ticket_ids = uuid_text([row[0] for row in rows])
    for (_ticket, _tag, text, background, color), ticket, tag_id in zip(rows, ticket_ids, tag_ids, strict=True):
        found.setdefault(ticket, []).append(
            {"tag_id": tag_id, "tag_text": text, "background_color": background, "text_color": color}
        )
    for tags in found.values():
        tags.sort(key=lambda tag: tag["tag_text"].lower())
    return [found.get(key, []) for key in page.converted("id", uuid_text)]


LIST_VALUES = {
    "contact_name": Value(_CONTACT, _contact),
    "assigned_to_name": _person("assigned_to"),
    "entered_by_name": _person("entered_by"),
    "updated_by_name": _person("updated_by"),
    "closed_by_name": _person("closed_by"),
    "is_overdue": Value(("is_closed", "due_date"), _overdue),
    "tags": Value(("id",), _tags),
}
