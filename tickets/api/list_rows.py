"""The ticket list's page as the response's dicts, built straight from the database's tuples.

The column fetch of :mod:`psa.api.lean` reads only the columns a list's fields need, but then turns each value into
a Python object (a ``UUID`` from SQLite's hex text, an aware ``datetime`` from its date text), builds light model
instances and their related rows, and asks each field's reader and converter for every row, only for the renderer
to turn the same objects back into text: about 80 µs per ticket of the default list, 4 ms of a 50-row page.

Here each output field of the ticket list is declared as the columns it reads and one conversion of those columns,
from what the driver returns straight to what the response holds (SQLite's ``"3f2a..."`` to ``"3f2a...-..."``,
``"2026-12-01 20:11:47.41"`` to ``"2026-12-01T20:11:47.41Z"``; PostgreSQL's ``UUID`` and ``datetime`` objects to
the same texts), a column at a time, and the dicts are zipped from the converted columns. The statements are the
column fetch's: the page's ids found by the filtered, sorted query alone (which joins nothing, so the planner walks
the sort's index and stops at the page), then the columns and relations, the client's name too, read for those ids
(on PostgreSQL as an array filled first, joined in the order written); the tags by one more query; boards,
statuses and priorities from the reference cache. Their SQL is compiled once per shape.

The output equals the serializer path's byte for byte (keys, their order, a name whose relation is empty moved to
the end as ``null`` as DRF's ``SkipField`` does, gating): ``tests/psa/test_lean_lists.py`` compares both paths and
``tests/tickets/test_list_rows.py`` the conversions. It serves a list when every field is declared here and times
are shown in UTC (a caller's own time zone takes the column fetch and the lean rows); ``PSA_LEAN_LISTS=0`` turns
it off with the rest of the lean path.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework.settings import api_settings

from psa import gating, references
from psa.db import joins_in_written_order
from tickets.models import Board, Priority, Status, Ticket

# ---- conversions: a column of driver values to a column of response values ------------------------------------

Column = Sequence[Any]


def _uuid_text(values: Column) -> list[str | None]:
    """UUIDs as DRF (and orjson) write them: SQLite's 32 hex digits or PostgreSQL's ``UUID`` to ``8-4-4-4-12``.
    Each distinct value once: a page's boards, statuses, clients and empty relations repeat."""
    texts = {v: _one_uuid(v) for v in set(values)}
    return [texts[v] for v in values]


def _one_uuid(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        if len(value) == 32:  # SQLite's
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
        if len(value) == 36 and value[8] == "-":  # PostgreSQL's text of a uuid (read as text, see _page_sql)
            return value.lower()
    return str(value if type(value) is uuid.UUID else uuid.UUID(str(value)))


def _datetime_text(values: Column) -> list[str | None]:
    """Date-times as DRF writes them in UTC. SQLite's are read as the text Django stored (:func:`_page_sql`): the
    ISO form of its canonical text is the same text with ``T`` and ``Z``, without parsing it."""
    return [
        None if v is None else f"{v[:10]}T{v[11:]}Z" if type(v) is str and _canonical(v) else _iso(v) for v in values
    ]


def _canonical(text: str) -> bool:
    """Whether ``text`` is what Django writes for a UTC date-time on SQLite (``str()`` of the naive UTC value):
    ``YYYY-MM-DD HH:MM:SS``, then six digits of microseconds unless they are zero."""
    size = len(text)
    if size == 19:
        return text[10] == " " and text[13] == ":" and text[16] == ":"
    return size == 26 and text[10] == " " and text[19] == "." and text[13] == ":" and text[20:] != "000000"


def _iso(value: Any) -> str:
    """One date-time as DRF writes it in UTC: ``datetime.isoformat()`` with ``+00:00`` as ``Z``."""
    value = _aware(value)
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _aware(value: Any) -> dt.datetime:
    """A driver's date-time as Django's converter makes it: SQLite's text (or naive value) is UTC."""
    if type(value) is str:
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a date-time: {value!r}")
        value = parsed
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _text(values: Column) -> list[str | None]:
    return [v if v is None or type(v) is str else str(v) for v in values]


def _boolean(values: Column) -> list[bool | None]:
    return [None if v is None else bool(v) for v in values]


def _person(names: Column, logins: Column) -> list[str | None]:
    """``str(user)`` (its name, else its login) of a joined user; ``None`` without one (its login is never empty)."""
    return [None if login is None else (name or login) for name, login in zip(names, logins, strict=True)]


def _contact(ids: Column, first: Column, last: Column) -> list[str | None]:
    """``str(contact)``: the first and last name, stripped."""
    return [None if key is None else f"{a} {b}".strip() for key, a, b in zip(ids, first, last, strict=True)]


# ---- the fields: the columns each reads (the ORM's values_list names) and how they become its values ---------------

SKIPPED = object()  # a dotted name through an empty relation: DRF skips it, the base serializer adds it last as null


class Context:
    """What one page's conversions share: its columns, the tags fetched for it, and each column converted once
    (``id`` and ``ticket_id`` are one column)."""

    def __init__(self, columns: dict[str, Column]) -> None:
        self.columns = columns
        self.tags: dict[Any, list[dict]] = {}
        self.now = timezone.now()
        self._converted: dict[tuple, list] = {}

    def converted(self, name: str, convert: Callable[[Column], list]) -> list:
        key = (name, convert)
        found = self._converted.get(key)
        if found is None:
            found = self._converted[key] = convert(self.columns[name])
        return found


Convert = Callable[[Context], list]


def _column(name: str, convert: Callable[[Column], list]) -> tuple[tuple[str, ...], Convert]:
    return (name,), lambda ctx: ctx.converted(name, convert)


def _reference_rows(model: type[models.Model], keys: Column) -> list[models.Model]:
    """The cached rows of ``model`` for the driver's ``keys`` (hex text on SQLite), in their order; one the cache
    does not hold yet (created by another process a moment ago) is read by one query, as the model fetch's would."""
    table = references.rows(model)
    found = {key: table.get(uuid.UUID(str(key))) for key in set(keys)}
    missing = [key for key, row in found.items() if row is None]
    if missing:
        loaded = model._default_manager.in_bulk([uuid.UUID(str(k)) for k in missing])
        found.update({key: loaded[uuid.UUID(str(key))] for key in missing})
    return [found[key] for key in keys]


_reference_loaders: dict[type, Callable[[Column], list]] = {}


def _reference(relation: str, model: type[models.Model], attr: str) -> tuple[tuple[str, ...], Convert]:
    """A column of a board, status or priority (a registered reference table), from the cache by the row's id."""
    column = f"{relation}_id"
    load = _reference_loaders.setdefault(model, functools.partial(_reference_rows, model))  # one per model: memoised

    def convert(ctx: Context) -> list:
        return [getattr(row, attr) for row in ctx.converted(column, load)]

    return (column,), convert


def _joined_name(relation: str) -> tuple[tuple[str, ...], Convert]:
    """``category.name`` and the like: the joined row's name, or skipped (then last, as null) without one."""
    key, name = f"{relation}_id", f"{relation}__name"

    def convert(ctx: Context) -> list:
        return [SKIPPED if k is None else v for k, v in zip(ctx.columns[key], ctx.columns[name], strict=True)]

    return (key, name), convert


def _user(relation: str) -> tuple[tuple[str, ...], Convert]:
    names, logins = f"{relation}__name", f"{relation}__login"
    return (names, logins), lambda ctx: _person(ctx.columns[names], ctx.columns[logins])


def _overdue(ctx: Context) -> list:
    """``Ticket.is_overdue``: open, with a due date before now."""
    now = ctx.now
    return [
        not closed and due is not None and _aware(due) < now
        for closed, due in zip(ctx.columns["is_closed"], ctx.columns["due_date"], strict=True)
    ]


# The names DRF skips when their relation is empty (a dotted source through a null, without allow_null).
SKIPPABLE = frozenset({"category_name", "subcategory_name"})


def _tags(ctx: Context) -> list:
    return [ctx.tags.get(key, []) for key in ctx.converted("id", _uuid_text)]


FIELDS: dict[str, tuple[tuple[str, ...], Convert]] = {
    "id": _column("id", _uuid_text),
    "ticket_id": _column("id", _uuid_text),
    "ticket_number": _column("ticket_number", _text),
    "title": _column("title", _text),
    "description": _column("description", _text),
    "client_id": _column("client_id", _uuid_text),
    # Joined into the page fetch, which reads 50 tickets by id (the query finding the page never joins it).
    "client_name": _column("client__name", _text),
    "contact_id": _column("contact_id", _uuid_text),
    "contact_name_id": _column("contact_id", _uuid_text),
    "contact_name": (
        ("contact_id", "contact__first_name", "contact__last_name"),
        lambda ctx: _contact(*(ctx.columns[c] for c in ("contact_id", "contact__first_name", "contact__last_name"))),
    ),
    "location_id": _column("location_id", _uuid_text),
    "location_name": _column("location__name", _text),  # allow_null: in place, null without a site
    "board_id": _column("board_id", _uuid_text),
    "board_name": _reference("board", Board, "name"),
    "status_id": _column("status_id", _uuid_text),
    "status_name": _reference("status", Status, "name"),
    "status_is_closed": _reference("status", Status, "is_closed"),
    "is_closed": _column("is_closed", _boolean),
    "priority_id": _column("priority_id", _uuid_text),
    "priority_name": _reference("priority", Priority, "name"),
    "category_id": _column("category_id", _uuid_text),
    "category_name": _joined_name("category"),
    "subcategory_id": _column("subcategory_id", _uuid_text),
    "subcategory_name": _joined_name("subcategory"),
    "assigned_to": _column("assigned_to_id", _uuid_text),
    "assigned_to_name": _user("assigned_to"),
    "tags": (("id",), _tags),
    "due_date": _column("due_date", _datetime_text),
    "is_overdue": (("is_closed", "due_date"), _overdue),
    "source": _column("source", _text),
    "entered_by": _column("entered_by_id", _uuid_text),
    "entered_by_name": _user("entered_by"),
    "entered_at": _column("entered_at", _datetime_text),
    "updated_by": _column("updated_by_id", _uuid_text),
    "updated_by_name": _user("updated_by"),
    "updated_at": _column("updated_at", _datetime_text),
    "closed_by": _column("closed_by_id", _uuid_text),
    "closed_by_name": _user("closed_by"),
    "closed_at": _column("closed_at", _datetime_text),
}


# ---- the page --------------------------------------------------------------------------------------------------


def serves(fields: Sequence[str]) -> bool:
    """Whether this path serves a list of ``fields``: every one declared here, the lean path on, times in UTC."""
    if not settings.LEAN_LISTS or any(name not in FIELDS for name in fields):
        return False
    if api_settings.DATETIME_FORMAT != ISO_8601:
        return False
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    return zone is dt.UTC or getattr(zone, "key", None) == "UTC"


class RowPage:
    """A filtered, sorted ticket queryset whose page is read as the response's dicts of the ``visible`` fields (in
    the serializer's order). The pagination reads it as a queryset (``count()`` and one slice)."""

    def __init__(self, queryset: models.QuerySet, visible: Sequence[str]) -> None:
        self.queryset, self.visible = queryset, tuple(visible)
        # The id always: a caller who may see no field still gets one (empty) object per ticket.
        self.columns = tuple(dict.fromkeys(("id", *(c for name in self.visible for c in FIELDS[name][0]))))
        self.converts = [(name, FIELDS[name][1]) for name in self.visible]
        self.skippable = [name for name in self.visible if name in SKIPPABLE]

    def count(self) -> int:
        """``COUNT(*)`` of the filtered tickets (when the group counts cannot answer): the filtered query's SQL
        counted as a subquery, which both engines flatten into the plain count; Django's ``count()`` clones the
        query and builds an aggregate, about twice the CPU for the same statement."""
        query = self.queryset.query.chain()
        query.clear_ordering(force=True)
        query.set_values(["pk"])
        db = self.queryset.db
        try:
            sql, params = query.get_compiler(using=db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing by itself (no client in scope, an empty id list)
            return 0
        with connections[db].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)
            return int(cursor.fetchone()[0])

    def __getitem__(self, window: slice) -> list[dict]:
        db = self.queryset.db
        names, rows = self._rows(window)
        if not rows:
            return []
        ctx = Context(dict(zip(names, zip(*rows, strict=True), strict=True)))
        if "tags" in self.visible:
            ctx.tags = _tags_of(db, ctx.columns["id"])
        if not self.converts:
            return [{} for _ in rows]
        fields = [name for name, _convert in self.converts]
        values = [convert(ctx) for _name, convert in self.converts]
        page = [dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)]
        for name in self.skippable:  # DRF's SkipField: the key moves to the end, as null
            for data in page:
                if data[name] is SKIPPED:
                    del data[name]
                    data[name] = None
        return page

    def _rows(self, window: slice) -> tuple[list[str], list[tuple]]:
        """The page's tuples (and their columns' names, in the order the SQL selects them): the page's ids found by
        the filtered, sorted query alone, the columns (and joins) read for those ids only."""
        query = self.queryset.query
        ordering = query.order_by or (Ticket._meta.ordering if query.default_ordering else ())
        db = self.queryset.db
        sql, names = _page_sql(db, self.columns, tuple(ordering))
        page = query.chain()
        page.set_values(["pk"])
        page.set_limits(window.start, window.stop)
        try:
            inner_sql, inner_params = page.get_compiler(using=db).as_sql()
        except EmptyResultSet:
            return names, []
        connection = connections[db]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with connection.execute_wrapper(joins_in_written_order):
                    cursor.execute(sql.replace(f"IN ({PAGE_MARK})", f"= ANY(ARRAY({inner_sql}))", 1), inner_params)
            else:
                cursor.execute(sql.replace(f"({PAGE_MARK})", f"({inner_sql})", 1), inner_params)
            return names, cursor.fetchall()


# ---- the statements, compiled once per shape --------------------------------------------------------------------

PAGE_MARK = "psa_ticket_page_ids"
_sql: dict[tuple, Any] = {}
DATETIME_COLUMNS = frozenset({"due_date", "entered_at", "updated_at", "closed_at"})
UUID_COLUMNS = frozenset(
    {"id", "client_id", "contact_id", "location_id", "board_id", "status_id", "priority_id", "category_id",
     "subcategory_id", "assigned_to_id", "entered_by_id", "updated_by_id", "closed_by_id"}
)  # fmt: skip
_lock = threading.Lock()
_MAX_SHAPES = 2_000  # field selections and sorts come from the query string: past this many, compile afresh


def _keep(key: tuple, sql: Any) -> Any:
    with _lock:
        if len(_sql) >= _MAX_SHAPES:
            _sql.clear()
        _sql[key] = sql
    return sql


def _page_sql(db: str, columns: tuple[str, ...], ordering: tuple) -> tuple[str, list[str]]:
    """The ORM's SQL reading ``columns`` of the tickets whose ids the mark stands for, in the list's order, and the
    columns' names in the order it selects them.

    On SQLite a date-time column is read as ``CAST(... AS text)``: the driver parses a column declared ``datetime``
    into a ``datetime`` (2-3 µs each, the largest share of a page's fetch), which would only be written back as the
    text it was; an expression has no declared type, so its text comes as stored. On PostgreSQL the ids are read as
    text for the same reason (psycopg builds a ``UUID`` of each, which ``str()`` turns back into that text).
    """
    key = ("page", db, columns, ordering)
    try:
        return _sql[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable ordering expression: compiled for this request only
        key = None
    manager = Ticket._base_manager.db_manager(db)
    template = manager.filter(pk__in=RawSQL(PAGE_MARK, ())).order_by(*ordering)
    vendor = connections[db].vendor
    read_as_text = DATETIME_COLUMNS if vendor == "sqlite" else UUID_COLUMNS if vendor == "postgresql" else ()
    as_text = {f"{name}__text": name for name in columns if name in read_as_text}
    if as_text:
        template = template.annotate(**{alias: Cast(name, TextField()) for alias, name in as_text.items()})
    plain = [name for name in columns if name not in as_text.values()]
    query = template.values_list(*plain, *as_text).query
    sql, params = query.get_compiler(using=db).as_sql()
    if params or sql.count(PAGE_MARK) != 1:
        raise ValueError(f"the page fetch's SQL takes parameters of its own: {sql}")
    names = [as_text.get(name, name) for name in (*query.extra_select, *query.values_select, *query.annotation_select)]
    if sorted(names) != sorted(columns):
        raise ValueError(f"the page fetch selects {names}, not {columns}")
    return _keep(key, (sql, names)) if key is not None else (sql, names)


def _by_keys(db: str, shape: str, queryset: Callable[[list], models.QuerySet], keys: list) -> list[tuple]:
    """The rows of ``queryset(keys)`` (its only parameters: the keys, in an ``IN``), its SQL compiled once per number
    of keys; the keys are passed as the driver returned them (SQLite's hex text, PostgreSQL's ``UUID``)."""
    key = (shape, db, len(keys))
    sql = _sql.get(key)
    if sql is None:
        compiled, params = queryset(keys).query.get_compiler(using=db).as_sql()
        if len(params) != len(keys):
            raise ValueError(f"{shape}: the SQL takes parameters besides the keys: {compiled}")
        sql = _keep(key, compiled)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, keys)
        return cursor.fetchall()


def _tags_of(db: str, tickets: Column) -> dict[Any, list[dict]]:
    """Each ticket's tags as ``TagsField`` writes them (sorted by their text, ignoring case)."""
    through = Ticket.tags.through
    rows = _by_keys(
        db,
        "ticket tags",
        lambda k: through._base_manager.filter(ticket_id__in=k)
        .order_by("tag__text", "tag_id")
        .values_list("ticket_id", "tag_id", "tag__text", "tag__background_color", "tag__text_color"),
        list(tickets),
    )
    found: dict[str, list[dict]] = {}  # by the ticket's id as the response writes it
    tag_ids = _uuid_text([row[1] for row in rows])
    ticket_ids = _uuid_text([row[0] for row in rows])
    for (_ticket, _tag, text, background, color), ticket, tag_id in zip(rows, ticket_ids, tag_ids, strict=True):
        found.setdefault(ticket, []).append(
            {"tag_id": tag_id, "tag_text": text, "background_color": background, "text_color": color}
        )
    for tags in found.values():
        tags.sort(key=lambda tag: tag["tag_text"].lower())
    return found


def visible_fields(request: Any, fields: Sequence[str]) -> list[str]:
    """The ``fields`` the caller may see, in the serializer's order (as its representation has them)."""
    from tickets.api.serializers import TicketSerializer

    visible = gating.visible_fields(request, TicketSerializer.gating_scope, fields, TicketSerializer.gating_derived)
    return [name for name in _serializer_order() if name in visible]


def _serializer_order() -> list[str]:
    from tickets.api.serializers import TicketSerializer

    return TicketSerializer.Meta.fields
