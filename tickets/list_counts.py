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

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.db import connections, router
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
    return _summed(ClientTicketGroupCount if "client_id" in allowed else TicketGroupCount, allowed, named)


def _summed(model: type, allowed: dict[str, set], named: list[tuple[str, str]]) -> int:
    """The tickets of ``model``'s rows whose columns take the ``allowed`` values, by the SQL kept for this shape."""
    db = router.db_for_read(model)
    shape = (model, db, tuple((column, len(allowed[column])) for column in sorted(allowed)), tuple(f for f, _ in named))
    params = _params(model, db, allowed, named)
    sql = _sum_sql.get(shape)
    if sql is not None:
        with connections[db].cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0] or 0)
    rows = model.objects.order_by()
    # column__in, also for one value: SQLite writes is_closed = x as a bare column, which no index seeks.
    rows = rows.filter(**{f"{column}__in": sorted(values) for column, values in allowed.items()})
    for filter_name, name in named:
        column, ids_named = NAMED_FILTERS[filter_name]
        rows = rows.filter(**{f"{column}__in": ids_named(name)})
    sent: list[tuple[str, list]] = []

    def record(execute, sql, sql_params, many, context):
        sent.append((sql, list(sql_params or ())))
        return execute(sql, sql_params, many, context)

    with connections[db].execute_wrapper(record):
        total = int(rows.aggregate(total=Sum("tickets"))["total"] or 0)
    if len(sent) == 1 and sent[0][1] == params:  # the shape's SQL, kept once its parameters are checked as ours
        with _lock:
            if len(_sum_sql) >= MAX_SHAPES:
                _sum_sql.clear()
            _sum_sql[shape] = sent[0][0]
    return total


# The sum's SQL per shape (group table, filtered columns and their number of values, named filters): building and
# compiling the aggregate cost more than running it over a few dozen rows (150 µs against 10 µs on SQLite).
_sum_sql: dict[tuple, str] = {}
_lock = threading.Lock()
MAX_SHAPES = 1_000  # shapes come from the query string: past this many, the kept SQL starts over


def _params(model: type, db: str, allowed: dict[str, set], named: list[tuple[str, str]]) -> list:
    """The sum's parameters as the ORM sends them: each column's values sorted (the columns in the order of their
    names, as ``filter(**kwargs)`` sorts them), then each named filter's name as its ``iexact`` match takes it."""
    connection = connections[db]
    params = []
    for column in sorted(allowed):
        field = model._meta.get_field(column)
        params += [field.get_db_prep_value(value, connection) for value in sorted(allowed[column])]
    return params + [connection.ops.prep_for_iexact_query(name) for _filter, name in named]


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


def _named(params: QueryDict) -> list[tuple[str, str]] | None:
    """The name filters as ``(filter, name)``; an empty name filters nothing, as in the filterset."""
    named = []
    for name in NAMED_FILTERS:
        try:
            value = forms.CharField(required=False).clean(params.get(name))
        except forms.ValidationError:
            return None
        if value:
            named.append((name, value))
    return named
