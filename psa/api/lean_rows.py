"""The lean list's page as the response's dicts, converted a column at a time from the driver's values.

The column fetch (:class:`psa.api.lean.ColumnPage`) reads only the columns a list's fields need, but then turns each
value into a Python object (a ``UUID`` from SQLite's hex text, an aware ``datetime`` from its date text), builds
light model instances and asks each field's reader and converter for every row, only for the renderer to turn the
same objects back into text (about 80 µs per ticket of the default list). Here each visible field is one
:class:`Value`: the columns it reads and one conversion of them, from what the driver returns straight to what the
response holds, a whole column at a time; the dicts are zipped from the converted columns.

A field's value is, in this order (:func:`row_page`, the one dispatcher):

- declared by the view (``list_values``: output field -> :class:`Value`), for shapes only the app knows (``str()`` of
  a relation, a property, a set of related rows read by one query);
- derived from the field (:func:`_derived`): a column of the row, or a column of a forward relation (joined into the
  page fetch, or from :mod:`psa.references` for a reference table), converted by the ORM's converters and the
  field's own (the lean plan's) converter, or for ids and UTC date-times straight from the driver's text;
- otherwise, for a field reading only the row's own columns and relations the queryset prefetches (a method field,
  a property, a nested list of a reverse relation's rows), read from a light instance of those columns by the lean
  plan's reader (the residue); a field only the request's serializer can represent leaves the page to the column
  fetch (:class:`psa.api.lean.ColumnPage`).

The statements are the column fetch's (:mod:`psa.api.lean_sql`): the page's ids found by the filtered, sorted query
alone, then the columns and the joined relations read for those ids. ``tests/psa/test_lean_lists.py`` compares the
output with the serializer path's on every list route.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject

from psa import references
from psa.api import lean, lean_sql

Column = Sequence[Any]
SKIPPED = object()  # DRF skipped the field (a dotted source through an empty relation): last in the dict, as null


# ---- conversions: one value, and a column of the driver's values to a column of the response's --------------------


def iso_utc(value: dt.datetime) -> str:
    """An aware UTC date-time as DRF writes it: ``isoformat()`` with ``+00:00`` as ``Z``."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def aware(value: Any) -> dt.datetime:
    """A driver's date-time as Django's converter makes it: SQLite's text (or a naive value) is UTC."""
    if type(value) is str:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a date-time: {value!r}")
        value = parsed
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def uuid_text(values: Column) -> list[str | None]:
    """UUIDs as DRF (and orjson) write them: SQLite's 32 hex digits, PostgreSQL's text or ``UUID`` to
    ``8-4-4-4-12``. Each distinct value once where they repeat (a page's boards, statuses and empty relations); a
    column of mostly distinct values (ids) is written value by value, which costs less than the lookup."""
    distinct = set(values)
    if len(distinct) * 2 > len(values):
        return list(map(_one_uuid, values))
    texts = {v: _one_uuid(v) for v in distinct}
    return [texts[v] for v in values]


def _one_uuid(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        if len(value) == 32:  # SQLite's
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
        if len(value) == 36 and value[8] == "-":  # PostgreSQL's text of a uuid (read as text)
            return value.lower()
    return str(value if type(value) is uuid.UUID else uuid.UUID(str(value)))


def datetime_text(values: Column) -> list[str | None]:
    """Date-times as DRF writes them in UTC. SQLite's are read as the text Django stored: the ISO form of its
    canonical text is the same text with ``T`` and ``Z``, without parsing it."""
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


def before(values: Column, moment: dt.datetime) -> list[bool]:
    """Whether each of the driver's date-times is before the aware ``moment`` (``False`` for ``None``). SQLite's
    canonical text of a UTC date-time orders as its value does, so it is compared as text, without parsing it."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    moment_text = str(utc)  # Django's text of the same instant on SQLite (microseconds only when not zero)
    return [
        False if v is None else v < moment_text if type(v) is str and _canonical(v) else aware(v) < moment
        for v in values
    ]


def _iso(value: Any) -> str:
    value = aware(value)
    return iso_utc(value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC))


def text(values: Column) -> list[str | None]:
    """Texts as DRF's ``CharField`` writes them (:func:`psa.api.lean._text`): the driver's text is the ORM's."""
    return [v if v is None or type(v) is str else str(v) for v in values]


def boolean(values: Column) -> list[bool | None]:
    """Booleans as DRF's ``BooleanField`` writes them: both drivers answer ``bool`` (SQLite's by Django's adapter)."""
    return [v if v is None or v.__class__ is bool else bool(v) for v in values]


# ---- a page's columns and the values declared or derived from them ------------------------------------------------


class Page:
    """What one page's conversions share: its columns by name (the driver's values), each column converted once."""

    def __init__(self, db: str, columns: dict[str, Column], orm: Callable[[str, Column], list]) -> None:
        self.db, self.columns, self._orm = db, columns, orm
        self.now = timezone.now()
        self._converted: dict[tuple, list] = {}

    def converted(self, name: str, convert: Callable[[Column], list]) -> list:
        """``convert(column)`` of the column ``name``, once per page."""
        key = (name, convert)
        found = self._converted.get(key)
        if found is None:
            found = self._converted[key] = convert(self.columns[name])
        return found

    def orm(self, name: str) -> list:
        """The column ``name`` as the ORM converts it (``UUID``, aware ``datetime``, ``Decimal``, parsed JSON)."""
        key = ("orm", name)
        found = self._converted.get(key)
        if found is None:
            found = self._converted[key] = self._orm(name, self.columns[name])
        return found


class Value:
    """One output field of a list: the columns it reads (``values_list`` names) and ``convert(page)``, its values
    for the page's rows. ``orm``: it reads the ORM's values of its columns (they are not read as text)."""

    __slots__ = ("columns", "convert", "orm", "skips")

    def __init__(
        self, columns: tuple[str, ...], convert: Callable[[Page], list], orm: bool = False, skips: bool = False
    ) -> None:
        self.columns, self.convert, self.orm = columns, convert, orm
        self.skips = skips  # it may answer SKIPPED (DRF's SkipField through an empty relation)


def column(name: str, conversion: Callable[[Column], list]) -> Value:
    """The column ``name`` converted by ``conversion`` (one of this module's, from the driver's values)."""
    return Value((name,), lambda page: page.converted(name, conversion))


def referenced(relation: models.ForeignKey, read: Callable[[models.Model], Any], missing: Any = None) -> Value:
    """``read(row)`` of a reference table's row (:mod:`psa.references`) by the relation's id, ``missing`` without
    one. Worked out once per distinct id of the page (a page's boards and statuses are a handful), then spread."""
    key = relation.attname
    load = _reference_loader(relation.related_model)

    def convert(page: Page) -> list:
        rows = page.converted(key, load)
        by_key = {k: missing if k is None else None if row is None else read(row) for k, row in rows.items()}
        return [by_key[k] for k in page.columns[key]]

    return Value((key,), convert)


_reference_loaders: dict[type, Callable[[Column], dict]] = {}


def _reference_loader(model: type[models.Model]) -> Callable[[Column], dict]:
    """One loader per model (the page memoises a conversion by its identity)."""

    def load(keys: Column) -> dict:
        """The cached row of each of the driver's distinct ``keys`` (``None`` for ``None``); one the cache does not
        hold yet (created by another process a moment ago) is read by one query, as the model fetch's would."""
        table = references.rows_by_any_key(model)
        found = {key: None if key is None else table.get(key) for key in set(keys)}
        missing = [key for key, row in found.items() if row is None and key is not None]
        if missing:
            loaded = model._default_manager.in_bulk([uuid.UUID(str(k)) for k in missing])
            found.update({key: loaded[uuid.UUID(str(key))] for key in missing})
        return found

    return _reference_loaders.setdefault(model, load)


def rows_by_keys(page: Page, build: Callable[[], models.QuerySet], shape: str, key_field: Any, keys: list) -> Any:
    """The driver's rows of ``build()`` (its only parameters: ``keys``, a column of the page, in an ``IN``), by SQL
    compiled once per shape and number of keys (:func:`psa.api.lean_sql.by_keys`): a declared value's query of a set
    of related rows."""
    return lean_sql.by_keys(build, (shape, page.db), key_field, keys, raw=True, stored=True)


# ---- values derived from a field of the lean plan -----------------------------------------------------------------


def _storage(field: models.Field) -> str:
    """How the database stores ``field``'s values, as far as the conversions care."""
    target = field.target_field if field.is_relation else field
    return target.get_internal_type()


def _converted(name: str, storage: str, convert: Callable[[Any], Any]) -> Value:
    """The column ``name`` (stored as ``storage``) through the field's converter ``convert``: ids and UTC
    date-times from the driver's text, anything else through the ORM's converters first."""
    if storage == "UUIDField" and convert in (str, lean._text, lean._same):
        return column(name, uuid_text)
    if storage == "DateTimeField" and getattr(convert, "utc_iso", False):
        return column(name, datetime_text)
    if storage in _TEXTS and (convert is lean._text or getattr(convert, "text_first", False)):
        return column(name, text)
    if storage == "BooleanField" and getattr(convert, "bool_first", False):
        return column(name, boolean)
    return Value((name,), lambda page: [None if v is None else convert(v) for v in page.orm(name)], orm=True)


_TEXTS = frozenset({"CharField", "TextField", "EmailField", "SlugField", "URLField"})  # no ORM converter on either


def _missing(field: drf_fields.Field) -> Any:
    """What the field answers through an empty relation (:func:`psa.api.lean._missing`), ``SKIPPED`` for DRF's
    ``SkipField``; ``empty`` when that is an error or a default that may vary (the field is not derived)."""
    if field.default is not empty:
        return empty
    try:
        return lean._missing(field)
    except SkipField:
        return SKIPPED
    except AttributeError:
        return empty


def _derived(plan: lean.Plan, name: str, convert: Callable[[Any], Any]) -> Value | None:
    """The value of the context-free field ``name`` when it reads a column of the row or of a forward relation."""
    field, model = plan.fields[name], plan.model
    get, _ = plan.readers[name]
    own = getattr(get, "column", None)
    if own is not None:
        return _converted(own, _storage(model._meta.get_field(own)), convert)
    attrs = list(field.source_attrs)
    if len(attrs) != 2 or lean._definer(type(field), "get_attribute") is not drf_fields.Field:
        return None
    try:
        relation = model._meta.get_field(attrs[0])
        target = relation.related_model._meta.get_field(attrs[1]) if relation.many_to_one else None
    except FieldDoesNotExist:
        return None
    if target is None or relation.name != attrs[0] or not target.concrete or target.is_relation:
        return None
    missing = _missing(field)
    if missing is empty:
        return None
    key = relation.attname
    if references.is_reference(relation.related_model):
        attname = target.attname

        def read_row(row: models.Model) -> Any:
            value = getattr(row, attname)
            return None if value is None else convert(value)

        value = referenced(relation, read_row, missing)
        value.skips = missing is SKIPPED
        return value
    value = _converted(f"{attrs[0]}__{target.attname}", _storage(target), convert)
    read = value.convert

    def convert_or_missing(page: Page) -> list:
        return [missing if k is None else v for k, v in zip(page.columns[key], read(page), strict=True)]

    columns = tuple(dict.fromkeys((key, *value.columns)))
    return Value(columns, convert_or_missing, orm=value.orm, skips=missing is SKIPPED)


def _derivation(plan: lean.Plan, name: str, session: lean.Session) -> Value | None:
    """:func:`_derived`, once per plan, field and kind of date-time text (UTC's or the field's own)."""
    convert = session.fast_datetime(plan.fields[name]) or plan.readers[name][1]
    key = (plan, name, getattr(convert, "utc_iso", False))
    return lean.kept(_derivations, key, lambda: _derived(plan, name, convert) or False, 10_000) or None


_derivations: dict[tuple, Value | bool] = {}  # False: not derived


# ---- the page ----------------------------------------------------------------------------------------------------


def row_page(view: Any, queryset: models.QuerySet, plan: lean.Plan, session: lean.Session) -> RowPage | None:
    """The list's page as the response's dicts when every field the caller may see has a value (declared, derived,
    or read from the row's own columns and prefetched relations), else ``None`` (the column fetch's light
    instances). What it reads is worked out once per view, plan, visible fields and zone (:class:`Shape`)."""
    visible = tuple(plan.visible(session))
    prefetched = frozenset(lean._lookup_name(lookup) for lookup in queryset._prefetch_related_lookups)
    key = (type(view), plan, visible, session.utc, prefetched, queryset.db)
    make = lambda: _shape(view, queryset, plan, session, visible, prefetched) or False  # noqa: E731
    shape = lean.kept(_shapes, key, make, lean_sql._MAX_SHAPES) or None
    if shape is None:
        return None
    residue = [plan.reader(name, session) for name in shape.residue]
    prefetch = tuple(lookup for lookup in queryset._prefetch_related_lookups if lean._lookup_name(lookup) in shape.sets)
    return RowPage(queryset, shape, residue, prefetch)


_shapes: dict[tuple, Shape | bool] = {}  # False: not built column by column


class Shape:
    """What a list's page reads for one set of visible fields: each field's value (``None``: the residue's), the
    residue's fields, own columns and prefetched relations, the page fetch's columns and those read as text."""

    def __init__(self, model: type[models.Model], db: str, values: list, residue: list[str], own: list[str],
                 sets: set[str]) -> None:  # fmt: skip
        self.values, self.residue, self.sets = values, residue, sets
        # The fields whose column may hold SKIPPED: the residue's (read by DRF's own readers) and those declared so
        self.skippable = tuple(name for name, value in values if value is None or value.skips)
        pk = model._meta.pk.attname  # always: a caller who may see no field still gets one (empty) object per row
        self.residue_columns = list(dict.fromkeys((pk, *own))) if residue else []
        read = [c for _name, value in values if value is not None for c in value.columns]
        self.columns = tuple(dict.fromkeys((pk, *read, *self.residue_columns)))
        orm = {c for _name, value in values if value is not None and value.orm for c in value.columns}
        orm.update(self.residue_columns)
        # SQLite's driver parses a date-time, psycopg builds a UUID: read as text what is only written back as text
        texts = {"sqlite": "DateTimeField", "postgresql": "UUIDField"}.get(connections[db].vendor)
        self.as_text = tuple(c for c in self.columns if c not in orm and _storage(_field(model, c)) == texts)


def _shape(view: Any, queryset: models.QuerySet, plan: lean.Plan, session: lean.Session, visible: tuple,
           prefetched: frozenset[str]) -> Shape | None:  # fmt: skip
    declared: Mapping[str, Value] = getattr(view, "list_values", None) or {}
    columns: Mapping[str, tuple[str, ...]] = view.list_columns
    meta = plan.model._meta
    own_names = {f.name for f in meta.concrete_fields} | {f.attname for f in meta.concrete_fields}
    values: list[tuple[str, Value | None]] = []
    residue: list[str] = []
    for name in visible:
        value = declared.get(name)
        if value is None and plan.kinds[name] == lean.FREE:
            value = _derivation(plan, name, session)
        if value is None:
            if plan.kinds[name] == lean.BOUND or not all(_readable(meta, c, prefetched) for c in columns[name]):
                return None
            residue.append(name)
        values.append((name, value))
    own = [meta.get_field(c).attname for name in residue for c in columns[name] if c.partition("__")[0] in own_names]
    sets = {c.partition("__")[0] for name in residue for c in columns[name]} - own_names
    return Shape(plan.model, queryset.db, values, residue, own, sets)


def _readable(meta: Any, name: str, prefetched: set[str]) -> bool:
    """Whether a light instance of the row's own columns holds what ``name`` reads: a column of the row, or a
    reverse or many-to-many relation the queryset prefetches (onto the light instances, as the column fetch does)."""
    relation, _, rest = name.partition("__")
    field = meta.get_field(relation)
    if field.one_to_many or field.many_to_many:
        return relation in prefetched
    return not rest and field.concrete


class RowPage:
    """A filtered, sorted queryset whose page is read as the response's dicts of its shape's values (in the
    serializer's order; a ``None`` value is the residue's field of that name, read by ``residue``'s readers). The
    pagination reads it as a queryset (``count()`` and one slice)."""

    def __init__(
        self, queryset: models.QuerySet, shape: Shape, residue: list[tuple[str, Callable, Callable]], prefetch: tuple
    ) -> None:
        self.queryset, self.residue, self.prefetch = queryset, residue, prefetch
        self.values, self.columns, self.as_text = shape.values, shape.columns, shape.as_text
        self.skippable = shape.skippable
        self.residue_columns = shape.residue_columns
        self._served: list[dict] | None = None

    def count(self) -> int:
        return lean_sql.count(self.queryset)

    def served(self, page: list) -> bool:
        """Whether ``page`` is this page's dicts (the pagination's list of them)."""
        return not page or (self._served is not None and page[0] is self._served[0])

    def __getitem__(self, window: slice) -> list[dict]:
        names, rows, compiled = self._rows(window)
        if not rows:
            return []
        db = self.queryset.db
        position = {name: index for index, name in enumerate(names)}

        def orm(name: str, values: Column) -> list:
            convert = None if compiled is None else compiled.column_converter(connections[db], position[name])
            return list(values) if convert is None else convert(list(values))

        page = Page(db, dict(zip(names, zip(*rows, strict=True), strict=True)), orm)
        objects = self._residue_objects(page)
        fields = [name for name, _value in self.values]
        if not fields:
            self._served = [{} for _ in rows]
            return self._served
        columns = [value.convert(page) if value is not None else objects[name] for name, value in self.values]
        # A row holds one value per field by construction: only the columns' lengths need checking.
        dicts = list(map(dict, map(zip, repeat(fields), zip(*columns, strict=True))))
        for name in self.skippable:  # DRF's SkipField: the key moves to the end, as null
            for data in dicts:
                if data[name] is SKIPPED:
                    del data[name]
                    data[name] = None
        self._served = dicts
        return dicts

    def _residue_objects(self, page: Page) -> dict[str, list]:
        """The residue's fields' values, read by the lean plan's readers from light instances of the row's own
        columns (as the ORM converts them), as :func:`psa.api.lean._row` reads them."""
        if not self.residue:
            return {}
        model, db = self.queryset.model, page.db
        names = self.residue_columns
        objects = [
            lean._light(model, db, dict(zip(names, row, strict=True)))
            for row in zip(*(page.orm(name) for name in names), strict=True)
        ]
        if self.prefetch:
            models.prefetch_related_objects(objects, *self.prefetch)
        found = {}
        for name, get, convert in self.residue:
            found[name] = [_read(obj, get, convert) for obj in objects]
        return found

    def _rows(self, window: slice) -> tuple[Sequence[str], list, Any]:
        """The page's tuples, their columns' names (in the order the SQL selects them) and the compiled statement
        (``None``: the rows came from the ORM, converted)."""
        query, model, db = self.queryset.query, self.queryset.model, self.queryset.db
        ordering = tuple(query.order_by or (model._meta.ordering if query.default_ordering else ()))
        try:
            inner = lean_sql.page_ids(self.queryset, window)
        except EmptyResultSet:
            return (), [], None  # the ORM runs no query for a filter that matches nothing
        page = lambda: lean_sql.page_of(self.queryset, window)  # noqa: E731  (built only when the ORM runs)
        compiled = lean_sql.page_fetch(model, db, self.columns, ordering, inner, page, self.as_text)
        if compiled is not None:
            return compiled.names, compiled.run(db, *inner, raw=True), compiled
        manager = model._base_manager.db_manager(db)
        fetch = lean_sql.page_values(manager.filter(pk__in=page()).order_by(*ordering), self.columns, self.as_text)
        return lean_sql.selected_names(fetch), list(fetch), None


def _read(obj: Any, get: Callable, convert: Callable) -> Any:
    try:
        value = get(obj)
    except SkipField:
        return SKIPPED
    check = value.pk if isinstance(value, PKOnlyObject) else value
    return None if check is None else convert(value)


def _field(model: type[models.Model], name: str) -> models.Field:
    """The model field a ``values_list`` name reads (``client__name``: the client's ``name``)."""
    *relations, last = name.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(last)
