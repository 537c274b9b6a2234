"""The total of ``GET /tickets`` from the maintained group counts, when the filters are ones the groups decide.

A ticket list's pagination total is ``COUNT(*)`` over the matching tickets: 30-60 ms on PostgreSQL for the default
page (``is_open=true``, most of 250,000 tickets), more than the rest of the request. The group counts of
:mod:`tickets.stats_models` (exact: triggers keep them in step within the writing statement, so inside a
transaction too) hold the same number for any filter on the groups' own columns, as a sum over a few dozen rows
(all clients) or over the rows of the caller's clients.

The filters the groups decide, with exactly the meaning :class:`tickets.filtersets.TicketFilterSet` gives them:
``is_open``, ``is_closed``, ``has_assignment``, ``board_id``, ``status_id``, ``status_ids``, ``priority_id``,
``client_id`` (the scope's rows), and ``status_name`` / ``priority_name`` (through the very id subquery the filter
uses, so the engine's own case-insensitive match decides on both sides), plus the parameters that filter nothing (``page``, ``limit``, ``sort``, ``order``,
``fields``). Any other parameter (``search``, ``tags``, ``overdue``, a date, a name ...), a parameter given twice,
or a value these fields do not clean as the filterset does, and :func:`ticket_list_count` answers ``None``: the
list counts its rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet, Sum
from django.http import QueryDict

from tickets.filtersets import LIST_PARAMETERS, StrictBooleanField, UUIDListField
from tickets.models import Priority, Status
from tickets.stats_models import ClientTicketGroupCount, TicketGroupCount


def _one(value: Any) -> set:
    return {value}


# Filter name -> (the form field that cleans it, as the filterset's does; the group column; the allowed values).
COUNTED_FILTERS: dict[str, tuple[forms.Field, str, Callable[[Any], set]]] = {
    "is_open": (StrictBooleanField(required=False), "is_closed", lambda value: {not value}),
    "is_closed": (StrictBooleanField(required=False), "is_closed", _one),
    "has_assignment": (StrictBooleanField(required=False), "is_assigned", _one),
    "board_id": (forms.UUIDField(required=False), "board_id", _one),
    "status_id": (forms.UUIDField(required=False), "status_id", _one),
    "status_ids": (UUIDListField(required=False), "status_id", set),
    "priority_id": (forms.UUIDField(required=False), "priority_id", _one),
    "client_id": (forms.UUIDField(required=False), "client_id", _one),
}
# Filter name -> (group column, the ids it selects by name: the filterset's own subquery).
NAMED_FILTERS: dict[str, tuple[str, Callable[[str], QuerySet]]] = {
    "status_name": ("status_id", lambda name: Status.objects.filter(name__iexact=name).values("pk")),
    "priority_name": ("priority_id", lambda name: Priority.objects.filter(name__iexact=name).values("pk")),
}
COUNTABLE = frozenset(COUNTED_FILTERS) | frozenset(NAMED_FILTERS)


def ticket_list_count(params: QueryDict, scope: frozenset[uuid.UUID] | None) -> int | None:
    """The number of tickets of ``scope`` (``None``: every client) that the list filters ``params`` select, summed
    from the group counts; ``None`` when a parameter is one the groups do not decide."""
    allowed = _allowed_values(params)
    if allowed is None:
        return None
    named = _named(params)
    if named is None:
        return None
    if scope is not None:
        allowed["client_id"] = set(scope) & allowed["client_id"] if "client_id" in allowed else set(scope)
    if any(not values for values in allowed.values()):
        return 0  # contradictory filters, or a caller who sees no client: no ticket, as the list's own filter says
    rows = (ClientTicketGroupCount if "client_id" in allowed else TicketGroupCount).objects.order_by()
    # column__in, also for one value: SQLite writes is_closed = x as a bare column, which no index seeks.
    rows = rows.filter(**{f"{column}__in": sorted(values) for column, values in allowed.items()})
    for column, ids in named:
        rows = rows.filter(**{f"{column}__in": ids})
    return int(rows.aggregate(total=Sum("tickets"))["total"] or 0)


def _allowed_values(params: QueryDict) -> dict[str, set] | None:
    """Per group column, the values the filters allow (a column not named allows every value), or ``None``."""
    allowed: dict[str, set] = {}
    for name in params:
        if name in LIST_PARAMETERS:
            continue
        if name not in COUNTABLE or len(params.getlist(name)) != 1:
            return None
        if name in NAMED_FILTERS:
            continue  # see _named
        field, column, values_of = COUNTED_FILTERS[name]
        try:
            value = field.clean(params[name])
        except forms.ValidationError:
            return None
        if value is None or value == []:
            continue  # an empty value filters nothing (django-filter skips it; status_ids=, too)
        values = values_of(value)
        allowed[column] = allowed[column] & values if column in allowed else values
    return allowed


def _named(params: QueryDict) -> list[tuple[str, QuerySet]] | None:
    """The name filters as ``(group column, id subquery)``; an empty name filters nothing, as in the filterset."""
    named = []
    for name, (column, ids_named) in NAMED_FILTERS.items():
        try:
            value = forms.CharField(required=False).clean(params.get(name))
        except forms.ValidationError:
            return None
        if value:
            named.append((column, ids_named(value)))
    return named
