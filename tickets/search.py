"""``GET /tickets/search``: ranked search over title, number, description, client and contact names and comments.

On PostgreSQL it is full-text search (``simple`` configuration, prefix matching per word, weights A title and
number, B client and contact names, C description; comments add to the rank). Elsewhere (SQLite) it falls back to
case-insensitive substring matching with the same fields and a weighted score; on whole words both give the same
tickets. Every word must match somewhere (in the ticket's fields or in one of its comments the caller may read).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import connection
from django.db.models import Case, Exists, FloatField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from tickets.models import Comment

MAX_TERMS = 8
WORD = re.compile(r"\w+", re.UNICODE)

# Substring fallback weights, mirroring the full-text weights (A=1.0, B=0.4, C=0.2 in ts_rank).
WEIGHTS = {"title": 1.0, "ticket_number": 1.0, "names": 0.4, "description": 0.2, "comments": 0.1}
NAME_FIELDS = ("client__name", "contact__first_name", "contact__last_name")
SEARCHED = frozenset({"title", "ticket_number", "description", *NAME_FIELDS})


def terms_of(query: str) -> list[str]:
    return [word.lower() for word in WORD.findall(query)][:MAX_TERMS]


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search(
    queryset: QuerySet,
    query: str,
    comments: QuerySet | None,
    *,
    full_text: bool | None = None,
    visible: Callable[[str], bool] | None = None,
) -> QuerySet:
    """``queryset`` narrowed to the tickets matching every word of ``query``, annotated with ``rank``.

    ``comments`` are the comments whose text may match (``None``: comments are not searched). ``visible`` says
    which ticket lookups (``description``, ``client__name``) the caller may see (field gating): the others are not
    searched, by the substring search, since the full-text index covers the ticket's text as a whole.
    """
    terms = terms_of(query)
    if not terms:
        return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
    searched = SEARCHED if visible is None else frozenset(f for f in SEARCHED if visible(f))
    full_text = uses_full_text() if full_text is None else full_text
    if full_text and searched == SEARCHED:
        return _full_text(queryset, query, terms, comments)
    return _substring(queryset, query, terms, comments, searched)


def _comment_match(comments: QuerySet | None, condition: Q) -> Exists | None:
    if comments is None:
        return None
    return Exists(comments.filter(condition, ticket_id=OuterRef("pk")))


def _number_bonus(query: str) -> Case:
    return Case(
        When(ticket_number__iexact=query.strip(), then=Value(10.0)), default=Value(0.0), output_field=FloatField()
    )


def _substring(
    queryset: QuerySet, query: str, terms: list[str], comments: QuerySet | None, searched: frozenset[str] = SEARCHED
) -> QuerySet:
    rank = _number_bonus(query) if "ticket_number" in searched else Value(0.0, output_field=FloatField())
    nothing = Q(pk__in=[])
    for term in terms:
        names = [Q(**{f"{f}__icontains": term}) for f in NAME_FIELDS if f in searched]
        fields = {
            "title": Q(title__icontains=term) if "title" in searched else nothing,
            "ticket_number": Q(ticket_number__icontains=term) if "ticket_number" in searched else nothing,
            "names": Q(*names, _connector=Q.OR) if names else nothing,
            "description": Q(description__icontains=term) if "description" in searched else nothing,
        }
        match = fields["title"] | fields["ticket_number"] | fields["names"] | fields["description"]
        if comments is not None:
            # Filtering reads the comments once per word (a materialised IN list); ranking then probes only the
            # matching tickets' own comments through the ticket index.
            match |= Q(pk__in=comments.filter(text__icontains=term).values("ticket_id"))
            fields["comments"] = Q(_comment_match(comments, Q(text__icontains=term)))
        queryset = queryset.filter(match)
        for name, condition in fields.items():
            weight = Value(WEIGHTS[name])
            rank = rank + Case(When(condition, then=weight), default=Value(0.0), output_field=FloatField())
    return queryset.annotate(rank=rank)


# The ticket's own text, exactly as the GIN expression index of migration 0003 has it, so matching uses the index.
TICKET_TSVECTOR = (
    "to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || COALESCE(ticket_number, '') || ' ' || "
    "COALESCE(description, ''))"
)


def _full_text(queryset: QuerySet, query: str, terms: list[str], comments: QuerySet | None) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
    from django.db.models.expressions import RawSQL

    from clients.models import Client, Contact

    any_term = None
    comment_rank = Value(0.0, output_field=FloatField())
    for term in terms:
        # Terms are \w+ only, so the raw tsquery syntax below cannot be injected into.
        raw = f"{term}:*"
        term_query = SearchQuery(raw, search_type="raw", config="simple")
        any_term = term_query if any_term is None else any_term | term_query
        own = RawSQL(
            f"SELECT id FROM tickets_ticket WHERE {TICKET_TSVECTOR} @@ to_tsquery('simple'::regconfig, %s)", (raw,)
        )
        clients = Client.objects.annotate(v=SearchVector("name", config="simple")).filter(v=term_query)
        contacts = Contact.objects.annotate(v=SearchVector("first_name", "last_name", config="simple")).filter(
            v=term_query
        )
        match = (
            Q(pk__in=own)
            | Q(ticket_number__icontains=term)
            | Q(client_id__in=clients.values("pk"))
            | Q(contact_id__in=contacts.values("pk"))
        )
        if comments is not None:
            matching = comments.annotate(v=SearchVector("text", config="simple")).filter(v=term_query)
            match |= Q(pk__in=matching.values("ticket_id"))
            in_comments = Exists(matching.filter(ticket_id=OuterRef("pk")))
            comment_rank = comment_rank + Case(
                When(in_comments, then=Value(WEIGHTS["comments"])), default=Value(0.0), output_field=FloatField()
            )
        queryset = queryset.filter(match)
    # The rank is computed for the matching tickets only.
    vector = (
        SearchVector("title", "ticket_number", weight="A", config="simple")
        + SearchVector(*NAME_FIELDS, weight="B", config="simple")
        + SearchVector("description", weight="C", config="simple")
    )
    rank = Coalesce(SearchRank(vector, any_term), Value(0.0), output_field=FloatField())
    return queryset.annotate(rank=rank + comment_rank + _number_bonus(query))


def readable_comments(can_read_internal: bool) -> QuerySet:
    comments = Comment.objects.all()
    return comments if can_read_internal else comments.filter(is_internal=False)
