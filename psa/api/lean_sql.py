"""The lean lists' statements, compiled once per shape and then only executed.

Building and compiling a queryset costs more than running it for a page (about 1.5 ms for a ticket page's three
fetches on SQLite, against 0.4 ms of SQL; half a millisecond for the count and the page of a client list). What
these statements vary per request is only their ``WHERE`` (its text and parameters) or their parameters (the ids of
a page): the rest of their SQL is compiled once per shape, and a request compiles only its own ``WHERE`` (through
Django's compiler, so its text and parameters are the ORM's) and runs the statement through the cursor with the
converters Django applies.

A shape is cached only after its SQL and parameters were found equal to what the ORM writes for the same request
(for the count: what the ORM executed), so a difference (another engine, another Django) keeps the ORM path. A
shape is everything but the ``WHERE`` that decides the SQL of a plain query (its tables and joins, their reference
counts, its ordering, its window); a query with any other part (annotations, ``extra``, ``DISTINCT``, grouping) is
not compiled at all.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import orjson
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, models
from django.db.models import F, TextField
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Cast
from django.db.models.sql.datastructures import BaseTable, Join
from django.db.models.sql.where import WhereNode

from psa.db import joins_in_written_order

_PAGE_MARK = "psa_lean_page_ids"
_WHERE_MARK = "psa_lean_where"


class _Compiled:
    """One query's SQL and the select expressions whose database converters turn its rows into Python values."""

    __slots__ = ("__weakref__", "expressions", "names", "sql")

    def __init__(self, sql: str, compiler: Any, names: tuple[str, ...] = ()) -> None:
        self.sql, self.names = sql, names  # names: a page fetch's columns in the order it selects them
        self.expressions = [column for column, _, _ in compiler.select[: compiler.col_count]]

    def column_converter(self, connection: Any, position: int) -> Callable[[list], list] | None:
        """The ORM's converters of the column at ``position``, for a whole column of driver values (``None``: the
        driver's values are the ORM's), made once per connection."""
        kept = connection.__dict__.get("_psa_lean_column_converters")
        if kept is None:
            kept = connection.__dict__["_psa_lean_column_converters"] = weakref.WeakKeyDictionary()
        found = kept.setdefault(self, {})
        if position not in found:
            found[position] = self._column_converter(connection, position)
        return found[position]

    def _column_converter(self, connection: Any, position: int) -> Callable[[list], list] | None:
        expression = self.expressions[position]
        chain = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if not chain:
            return None
        steps = [_faster(function) for function in chain]

        def convert(values: list) -> list:
            for step in steps:
                values = [step(value, expression, connection) for value in values]
            return values

        return convert

    def _converter(self, connection: Any) -> Callable[[list], list] | None:
        """The function applying the ORM's converters to rows of this query, written out once per connection: each
        column's converters in the order Django applies them, ``None`` when no column has one."""
        # Kept by the connection (each thread has its own, and the converters are its methods), for as long as this
        # statement is kept.
        kept = connection.__dict__.get("_psa_lean_converters")
        if kept is None:
            kept = connection.__dict__["_psa_lean_converters"] = weakref.WeakKeyDictionary()
        found = kept.get(self, False)
        if found is not False:
            return found
        namespace: dict[str, Any] = {"connection": connection}
        items = []
        for position, expression in enumerate(self.expressions):
            item = f"r[{position}]"
            chain = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
            for step, function in enumerate(chain):
                namespace[f"f{position}_{step}"], namespace[f"e{position}"] = _faster(function), expression
                item = f"f{position}_{step}({item}, e{position}, connection)"
            items.append(item)
        converter = None
        if any(item != f"r[{position}]" for position, item in enumerate(items)):
            exec(f"def convert(rows):\n    return [[{', '.join(items)}] for r in rows]", namespace)  # our own names
            converter = namespace["convert"]
        kept[self] = converter
        return converter

    def execute(self, db: str, sql: str, params: list, raw: bool = False) -> list:
        """The rows, as the ORM converts them (``raw``: as the driver returns them)."""
        connection = connections[db]
        converter = None if raw else self._converter(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return rows if converter is None else converter(rows)

    def run(self, db: str, inner_sql: str, inner_params: tuple, raw: bool = False) -> list[list]:
        """The page fetch: this SQL with the subquery finding the page (its ids, ``inner_sql``) in place of the mark.

        On PostgreSQL the ids are an array the subquery fills first (``= ANY(ARRAY(...))``) and the relations are
        joined in the order written: as ``IN (...)``, a semi-join, a page with more relations than
        ``join_collapse_limit`` was joined to every ticket before its ids were applied (1 s on 250,000 tickets)."""
        connection = connections[db]
        marked = f"IN ({_PAGE_MARK})"
        if connection.vendor == "postgresql" and marked in self.sql:
            sql = self.sql.replace(marked, f"= ANY(ARRAY{inner_sql})", 1)
            with connection.execute_wrapper(joins_in_written_order):
                return self.execute(db, sql, list(inner_params), raw)
        return self.execute(db, self.sql.replace(f"({_PAGE_MARK})", inner_sql, 1), list(inner_params), raw)


def _uuid_from_hex(value: Any, expression: Any, connection: Any) -> uuid.UUID | None:
    """SQLite's UUID converter (``uuid.UUID(value)``) for the 32 hex digits Django stores, without its parsing."""
    if value is None:
        return None
    if type(value) is not str or len(value) != 32:
        return uuid.UUID(value)
    made = _new(uuid.UUID)
    _set(made, "int", int(value, 16))
    _set(made, "is_safe", _UNKNOWN_SAFETY)
    return made


_new, _set, _UNKNOWN_SAFETY = object.__new__, object.__setattr__, uuid.SafeUUID.unknown


def _naive_to_aware(value: Any, expression: Any, connection: Any) -> Any:
    """SQLite's datetime converter for the naive datetime its adapter already parsed (every stored one): made aware
    in the connection's zone, as ``timezone.make_aware`` does, without its checks; anything else goes to SQLite's."""
    zone = connection.timezone  # None without USE_TZ (and reset when a test changes it)
    if zone is not None and type(value) is dt.datetime and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return connection.ops.convert_datetimefield_value(value, expression, connection)


_LONG_DIGITS = re.compile(r"\d{19}")


def _json_by_orjson(original: Callable) -> Callable:
    """``JSONField.from_db_value`` (``json.loads`` of the text) by orjson where both parse the text to the same
    values: what orjson refuses (NaN, lone surrogates) and any run of 19 digits (orjson reads an integer past 64
    bits as a float) go to Django's."""
    if getattr(original, "__self__", None) is None or original.__self__.decoder is not None:
        return original

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        if type(value) is str and _LONG_DIGITS.search(value) is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return original(value, expression, connection)

    return from_db_value


# Converters replaced by equivalents of the same result (tests/psa/test_lean_lists.py compares them), by the
# qualified name of the backend's or field's method (importing SQLite's operations here would be circular): each
# entry makes the replacement from the converter it replaces.
_SQLITE = "django.db.backends.sqlite3.operations.DatabaseOperations"
_FASTER: dict[str, Callable[[Callable], Callable]] = {
    f"{_SQLITE}.convert_uuidfield_value": lambda original: _uuid_from_hex,
    f"{_SQLITE}.convert_datetimefield_value": lambda original: _naive_to_aware,
    "django.db.models.fields.json.JSONField.from_db_value": _json_by_orjson,
}


def _faster(converter: Callable) -> Callable:
    function = getattr(converter, "__func__", converter)
    make = _FASTER.get(f"{function.__module__}.{function.__qualname__}")
    return converter if make is None else make(converter)


def _inner(page: models.QuerySet, db: str) -> tuple[str, tuple]:
    """``page``'s SQL as the ORM writes it inside ``pk__in=page`` (aliases of a subquery, in parentheses)."""
    outer = page.model._base_manager.db_manager(db).all().query
    sql, params = page.query.resolve_expression(outer).as_sql(None, connections[db])
    return sql, tuple(params)


_compiled: dict[tuple, Any] = {}
_lock = threading.Lock()
# Field selections and filter combinations come from the query string: the shapes kept are bounded (past it, they
# are compiled afresh).
_MAX_SHAPES = 2_000


def _keep(key: tuple, compiled: Any) -> None:
    with _lock:
        if len(_compiled) >= _MAX_SHAPES:
            _compiled.clear()
        _compiled[key] = compiled


# ---- shapes: what besides the WHERE decides a plain query's SQL ---------------------------------------------------


def ordering_key(order_by: tuple) -> tuple | None:
    """``order_by`` as a cheap hashable key (names and ``F(...)`` orderings), or ``None`` for anything else
    (hashing an expression computes its identity from its constructor's signature, per request)."""
    parts: list[Any] = []
    for item in order_by:
        if type(item) is str:
            parts.append(item)
        elif type(item) is OrderBy and type(item.expression) is F:
            parts.append((item.expression.name, item.descending, item.nulls_first, item.nulls_last))
        else:
            return None
    return tuple(parts)


def query_shape(query: models.sql.Query) -> tuple | None:
    """The tables of a plain model query (a filtered queryset: no annotations, ``extra``, ``DISTINCT``, grouping,
    slice or select list of its own) as a key: each alias, its table, its join and its reference count (an alias
    no longer referenced is left out of ``FROM``). ``None`` for any other query."""
    if (
        query.select or not query.default_cols or query.values_select or query.annotations or query.extra
        or query.extra_tables or query.extra_order_by or query.distinct or query.combinator
        or query.group_by is not None or query.is_sliced or query.select_for_update or query.subquery
        or query.external_aliases or not query.alias_cols or query.explain_info
        or query.where.contains_aggregate or query.where.contains_over_clause
    ):  # fmt: skip
        return None
    tables: list[tuple] = []
    for alias, table in query.alias_map.items():
        refs = query.alias_refcount[alias]
        if type(table) is Join and table.filtered_relation is None:
            tables.append((alias, table.table_name, table.parent_alias, table.join_field, table.join_type, refs))
        elif type(table) is BaseTable:
            tables.append((alias, table.table_name, refs))
        else:
            return None
    return (query.model, tuple(tables), query.alias_prefix, query.subq_aliases)


class _Where:
    """A child of a ``WHERE`` written as the mark: the frame a request's own ``WHERE`` is written into."""

    contains_aggregate = contains_over_clause = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        return _WHERE_MARK, []


def _marked(query: models.sql.Query) -> models.sql.Query:
    """A clone of ``query`` whose ``WHERE`` is the mark (or none, when it has none)."""
    clone = query.clone()
    if query.where:
        clone.where = WhereNode([_Where()])
    return clone


def _where(compiler: Any, where: WhereNode) -> tuple[str, list] | None:
    """``where`` compiled as the ORM compiles it (``""`` when it filters nothing); ``None`` when it matches
    nothing (the ORM then runs no query) or it filters nothing though it has conditions (a frame has no such case)."""
    if not where:
        return "", []
    try:
        return compiler.compile(where)
    except (EmptyResultSet, FullResultSet):
        return None


def _written(frame: str, where_sql: str) -> str:
    return frame.replace(_WHERE_MARK, where_sql, 1) if where_sql else frame


# ---- the count -----------------------------------------------------------------------------------------------------


def count(queryset: models.QuerySet) -> int:
    """``queryset.count()``, by the shape's compiled statement where there is one."""
    query = queryset.query
    shape = query_shape(query) if queryset._result_cache is None else None
    if shape is None:
        return queryset.count()
    db = queryset.db
    key = ("count", db, shape, bool(query.where))
    frame = _compiled.get(key, False)
    where = _where(query.get_compiler(db), query.where) if frame is not None else None
    if where is None:
        return queryset.count()
    if frame is False:
        return _first_count(queryset, key, where)
    with connections[db].cursor() as cursor:
        cursor.execute(_written(frame, where[0]), where[1])
        return int(cursor.fetchone()[0])


def _first_count(queryset: models.QuerySet, key: tuple, where: tuple[str, list]) -> int:
    """The ORM's count, and the shape kept when its statement is the frame's with this ``WHERE``."""
    db = queryset.db
    executed: list[tuple[str, tuple]] = []

    def record(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        executed.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connections[db].execute_wrapper(record):
        total = queryset.count()
    frame = _count_frame(queryset.query, db)
    expected = [(_written(frame, where[0]), tuple(where[1]))] if frame is not None else None
    _keep(key, frame if executed == expected and type(total) is int else None)
    return total


def _count_frame(query: models.sql.Query, db: str) -> str | None:
    """The count's SQL as ``Query.get_aggregation`` writes it for a plain query, the mark for its ``WHERE``."""
    template = _marked(query)
    aggregate = models.Count("*").resolve_expression(template, allow_joins=True, reuse=None, summarize=True)
    template.annotations = {"__count": aggregate}
    template.set_annotation_mask({"__count"})
    template.select, template.default_cols, template.extra = (), False, {}
    template.clear_ordering(force=True)
    template.select_related = False
    sql, params = template.get_compiler(db, elide_empty=True).as_sql()
    return sql if not params and sql.count(_WHERE_MARK) == bool(query.where) else None


# ---- the page's ids: the subquery of the page fetch ----------------------------------------------------------------


class _Ids:
    """The subquery finding a page's ids as the ORM writes it inside ``pk__in=page``: its SQL with the mark for its
    ``WHERE``, the subquery's own query (whose aliases a ``WHERE`` is compiled against) and the renaming of the
    outer query's aliases to the subquery's."""

    __slots__ = ("aliases", "sql", "template")

    def __init__(self, sql: str, template: models.sql.Query, aliases: dict[str, str]) -> None:
        self.sql, self.template, self.aliases = sql, template, aliases

    def written(self, query: models.sql.Query, db: str) -> tuple[str, tuple] | None:
        where = query.where.relabeled_clone(self.aliases) if query.where else query.where
        compiled = _where(self.template.get_compiler(db), where)
        return None if compiled is None else (_written(self.sql, compiled[0]), tuple(compiled[1]))


def page_ids(queryset: models.QuerySet, window: slice) -> tuple[str, tuple]:
    """The SQL and parameters of the subquery finding ``queryset[window]``'s ids inside ``pk__in=page``
    (``EmptyResultSet`` when its ``WHERE`` matches nothing, as the ORM raises)."""
    query, db = queryset.query, queryset.db
    shape = query_shape(query)
    ordering = ordering_key(query.order_by) if shape is not None else None
    if ordering is None:
        return _inner(page_of(queryset, window), db)
    key = ("ids", db, shape, ordering, query.default_ordering, query.standard_ordering, bool(query.where),
           window.start, window.stop)  # fmt: skip
    frame = _compiled.get(key, False)
    written = frame.written(query, db) if frame else None
    if written is not None:
        return written
    expected = _inner(page_of(queryset, window), db)
    if frame is False:
        frame = _ids_frame(queryset, window, db)
        _keep(key, frame if frame is not None and frame.written(query, db) == expected else None)
    return expected


def page_of(queryset: models.QuerySet, window: slice) -> models.QuerySet:
    """The queryset of the ids of ``queryset[window]``, as the page fetch's ``pk__in`` reads them."""
    return queryset.prefetch_related(None).values("pk")[window]


def _ids_frame(queryset: models.QuerySet, window: slice, db: str) -> _Ids | None:
    outer = queryset.model._base_manager.db_manager(db).all().query
    inner = page_of(queryset, window).query.resolve_expression(outer)
    aliases = dict(zip(queryset.query.alias_map, inner.alias_map, strict=False))
    template = _marked(inner)
    sql, params = template.as_sql(None, connections[db])
    if params or sql.count(_WHERE_MARK) != bool(queryset.query.where):
        return None
    return _Ids(sql, template, aliases)


# ---- the page fetch and the queries by key -------------------------------------------------------------------------


def page_fetch(
    model: type[models.Model],
    db: str,
    names: tuple[str, ...],
    ordering: tuple,
    inner: tuple[str, tuple],
    page: Callable[[], models.QuerySet],
    as_text: tuple[str, ...] = (),
) -> _Compiled | None:
    """The page fetch's SQL for this shape (the mark standing for the page's subquery, whose SQL and parameters
    are ``inner``; ``page()`` makes the page's queryset, for the ORM's own SQL), or ``None`` for the ORM. The
    columns in ``as_text`` are read as ``CAST(... AS text)`` (:func:`page_values`)."""
    order_key = ordering_key(ordering)
    if order_key is None:
        return None
    key = ("page", model, db, names, order_key, as_text)
    found = _compiled.get(key, False)
    if found is not False:
        return found
    manager = model._base_manager.db_manager(db)
    template = page_values(manager.filter(pk__in=RawSQL(_PAGE_MARK, ())).order_by(*ordering), names, as_text)
    compiler = template.query.get_compiler(using=db)
    sql, params = compiler.as_sql()
    compiled = None
    if not params and sql.count(_PAGE_MARK) == 1:
        inner_sql, inner_params = inner
        real = page_values(manager.filter(pk__in=page()).order_by(*ordering), names, as_text)
        expected = real.query.get_compiler(using=db).as_sql()
        if (sql.replace(f"({_PAGE_MARK})", inner_sql, 1), inner_params) == (expected[0], tuple(expected[1])):
            compiled = _Compiled(sql, compiler, selected_names(template, as_text))
    _keep(key, compiled)
    return compiled


_TEXT_SUFFIX = "__psa_text"


def page_values(queryset: models.QuerySet, names: tuple[str, ...], as_text: tuple[str, ...]) -> models.QuerySet:
    """``queryset.values_list(*names)``, the columns in ``as_text`` read as text: SQLite's driver parses a column
    declared ``datetime`` (2-3 µs a value) and psycopg builds a ``UUID`` of each id, only for the response to write
    them back as the text they were; a cast has no declared type, so its text comes as stored."""
    if as_text:
        queryset = queryset.annotate(**{f"{name}{_TEXT_SUFFIX}": Cast(name, TextField()) for name in as_text})
    return queryset.values_list(
        *(name for name in names if name not in as_text), *(f"{n}{_TEXT_SUFFIX}" for n in as_text)
    )


def selected_names(queryset: models.QuerySet, as_text: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The columns of ``page_values(...)`` in the order its SQL selects them, by their names in ``names``."""
    query = queryset.query
    selected = (*query.extra_select, *query.values_select, *query.annotation_select)
    return tuple(name.removesuffix(_TEXT_SUFFIX) for name in selected)


def by_keys(
    build: Callable[[], models.QuerySet], shape: tuple, key_field: Any, keys: list, raw: bool = False,
    stored: bool = False,
) -> Any:  # fmt: skip
    """The rows of the queryset ``build()`` makes (its only parameters: ``keys`` in an ``IN``) through SQL compiled
    once per shape (ending in its database alias) and number of keys; the queryset itself when its SQL takes other
    parameters. ``raw``: the driver's values where the compiled SQL runs (the ORM's otherwise). ``stored``: the
    keys are the driver's values of the column, which on SQLite are the parameters as they are (a UUID's stored 32
    hex digits: not parsed into a ``UUID`` and written back, 25 keys a page)."""
    db = shape[-1]
    key = (*shape, len(keys))
    compiled = _compiled.get(key, False)
    connection = connections[db]
    if stored and connection.vendor == "sqlite":
        params = list(keys)
    else:
        params = [key_field.get_db_prep_value(k, connection) for k in keys]
    if compiled is False:
        compiler = build().query.get_compiler(using=db)
        sql, expected = compiler.as_sql()
        compiled = _Compiled(sql, compiler) if list(expected) == params else None
        _keep(key, compiled)
    if compiled is None:
        return build()
    return compiled.execute(db, compiled.sql, params, raw)
