"""``GET /tickets/search``: the tickets the search index (``psa.search``) finds, one ranked page.

Searched: number and title, client and contact names and description, and the comments the caller may read (the
internal ones with ``ticket.comment.internal``), as whole words with the web-search syntax (``"a phrase"``, ``or``,
``-word``); a query of one token with a digit also finds ticket numbers containing it, exact first. Matching tickets
come newest first, exact ticket numbers before all others; the page alone is ranked (title and number weigh most,
then names and description, then comments). PostgreSQL and SQLite return the same tickets in the same order.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from psa import search
from psa.search import lookup
from psa.search import text as t


def parse(query: str) -> t.Query | None:
    """The query, or None when it has neither a word nor an identifier to look for."""
    parsed = t.parse(query)
    return parsed if parsed.has_words or parsed.identifier else None


def find(
    request, query: t.Query, limit: int, *, open_only: bool, within: QuerySet | None
) -> list[tuple[uuid.UUID, float]]:
    """The ids of the page of matching tickets with their rank; ``within`` narrows to a filtered queryset."""
    searchable = search.get("ticket")
    page = lookup.find(
        request, searchable, query, limit=limit, active_only=open_only, within=within, snippets=False
    )  # the route lists tickets, not snippets
    return [(hit.entry.object_id, hit.score) for hit in page.hits]
