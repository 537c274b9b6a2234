"""The lean retrieve: one object by id read as tuples of the columns its visible fields need, by statements that are
compiled once per process thread and then only executed.

The model path of a retrieve builds its query anew for every request (a queryset clone per step, then the compiler:
every column, every converter), makes a model instance of every column, and prefetches the object's small sets
(an asset's interfaces) the same way; executing the SQL was a fifth of it. A viewset that declares
``retrieve_columns`` (output field -> the columns it reads) is answered here instead, as lists are by
:class:`psa.api.lean.ColumnPage`:

- the columns are named in ``ColumnPage``'s grammar: ``title``; a relation, ``client``, for its id;
  ``contact__first_name`` for a column of a forward relation (joined; a reference table's row comes from
  :mod:`psa.references`); ``tags__text`` or ``interfaces__name`` for a column of the rows of a many-to-many or
  reverse relation (one more query, through the relation's own manager, so in its prefetch's order), and
  ``watchers__user__email`` for a column of a forward relation of those rows;
- only the fields the caller may see are read (:meth:`psa.api.lean.Plan.readers_for`, the lists' gate), and a
  visible field missing from the declaration sends the request down the model path;
- each query is compiled once with a stand-in key; a request executes the SQL with its own key and applies the
  converters the ORM would have applied;
- the client scope is the model path's: the lean path serves a request only when the view's queryset filters by the
  client scope alone (its ``WHERE`` equals :func:`psa.access.restrict`'s on the base manager), and the row's owner is
  checked against the scope in Python, the same condition; outside it, or not there: 404;
- the object is built as light instances (:func:`psa.api.lean._light`) and turned into the response by the lists'
  plan, so keys, order, nulls and formats are the serializer path's. Reading an attribute that was not fetched
  loads it (a query), never a wrong value; the pinned query counts catch it.

``PSA_LEAN_RETRIEVE=0`` (or ``PSA_LEAN_LISTS=0``) turns it off; ``tests/psa/test_lean_retrieve.py`` compares both.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import Http404
from rest_framework import relations, serializers

from psa import references
from psa.access import client_scope, restrict
from psa.api import lean

# The key compiled into each statement in place of a real one: found again among the compiled parameters.
STAND_IN = uuid.UUID("7e57ab1e-0000-4000-8000-00000000cafe")
MAX_STATEMENTS = 512  # per thread and database; past it the cache starts again (gating combinations are few)


class Statement:
    """A ``values_list`` query compiled once with the stand-in key: its SQL, the position of the key among its
    parameters, and the converters the ORM applies to its columns (UUIDs, booleans, dates, JSON, decimals)."""

    def __init__(self, queryset: models.QuerySet, key_field: models.Field) -> None:
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        self.key_field, self.connection = key_field, compiler.connection
        stand_in = key_field.get_db_prep_value(STAND_IN, self.connection)
        slots = [index for index, param in enumerate(params) if param == stand_in]
        if len(slots) != 1:
            raise ValueError(f"{queryset.model._meta.label}: the key is not one parameter of {sql}")
        self.sql, self.params, self.slot = sql, list(params), slots[0]
        selected = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(selected).items())

    def rows(self, key: uuid.UUID) -> list[list[Any]]:
        params = list(self.params)
        params[self.slot] = self.key_field.get_db_prep_value(key, self.connection)
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for position, (converters, expression) in self.converters:
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, self.connection)
                row[position] = value
        return rows


class RowShape:
    """How rows of a model holding ``columns`` (:class:`psa.api.lean.Columns`: a column, a relation for its id,
    ``relation__column``) are read: the names for ``values_list`` and the light instances built from its tuples,
    forward relations attached. The rows of the sets the columns name are not part of a row: its reader reads them."""

    def __init__(self, columns: lean.Columns) -> None:
        self.model, self.own, self.referenced = columns.model, columns.own, columns.referenced
        self.relations = list(columns.forward.values())
        self.names = [*self.own, *(f"{field.name}__{c}" for field, cols in self.relations for c in cols)]

    def build(self, row: list[Any], db: str) -> models.Model:
        width = len(self.own)
        obj = lean._light(self.model, db, dict(zip(self.own, row[:width], strict=True)))
        at = width
        for field, columns in self.relations:
            key = obj.__dict__[field.attname]
            values = dict(zip(columns, row[at : at + len(columns)], strict=True))
            at += len(columns)
            related = (
                None
                if key is None
                else lean._light(field.related_model, db, {**values, field.target_field.attname: key})
            )
            field.set_cached_value(obj, related)
        if self.referenced:
            references.attach([obj], self.referenced)
        return obj


class Reading:
    """One object of ``model`` with ``columns``: its own row (with the owner's client id for the scope check) and
    the rows of each many-to-many or reverse relation the columns name."""

    def __init__(self, model: type[models.Model], columns: Iterable[str]) -> None:
        columns = tuple(columns)
        parsed = lean.Columns(model, columns)
        self.model = model
        self.path = getattr(model, "scope_path", None)
        self.shape = RowShape(parsed)
        self.owner_at = self._owner_position()
        self.sets = {name: (field, _set_shape(field, cols)) for name, (field, cols) in parsed.sets.items()}
        self._key = (model, columns)

    def _owner_position(self) -> int | None:
        if self.path is None:
            return None
        if self.path == "pk":
            return 0
        head, _, rest = self.path.partition("__")
        field = self.model._meta.get_field(head)
        if not rest and field.attname in self.shape.own:
            return self.shape.own.index(field.attname)
        self.shape.names.append(self.path)  # read after the shape's own names, so building the object ignores it
        return len(self.shape.names) - 1

    def fetch(self, key: uuid.UUID, db: str, scope: frozenset | None) -> models.Model:
        """The object with primary key ``key`` within ``scope`` (``None``: every client); 404 otherwise."""
        rows = self._statement(db, None).rows(key)
        if not rows or not self._in_scope(rows[0], scope):
            raise Http404(f"No {self.model._meta.object_name} matches the given query.")
        obj = self.shape.build(rows[0], db)
        for name, (field, shape) in self.sets.items():
            children = [shape.build(row, db) for row in self._statement(db, name).rows(key)]
            if field.one_to_many:
                for child in children:
                    field.field.set_cached_value(child, obj)  # the back reference, as its prefetch sets it
            cached = models.QuerySet(model=shape.model, using=db)
            cached._result_cache, cached._prefetch_done = children, True
            obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = cached
        return obj

    def _in_scope(self, row: list[Any], scope: frozenset | None) -> bool:
        # restrict()'s condition: the owner among the scope's clients, or no owner where the model shares such rows.
        if scope is None or self.owner_at is None:
            return True
        owner = row[self.owner_at]
        return owner in scope or (owner is None and getattr(self.model, "scope_includes_shared", False))

    def _statement(self, db: str, set_name: str | None) -> Statement:
        statements = _statements(db)
        statement = statements.get((self._key, set_name))
        if statement is None:
            if len(statements) >= MAX_STATEMENTS:
                statements.clear()
            statement = statements[(self._key, set_name)] = Statement(self._queryset(db, set_name), self.model._meta.pk)
        return statement

    def _queryset(self, db: str, set_name: str | None) -> models.QuerySet:
        if set_name is None:
            manager = self.model._base_manager.db_manager(db)
            return manager.filter(pk=STAND_IN).order_by().values_list(*self.shape.names)
        # The relation's own manager on a stand-in owner: its filter and its order, as the model path's prefetch.
        stand_in = lean._light(self.model, db, {self.model._meta.pk.attname: STAND_IN})
        queryset = getattr(stand_in, set_name).all()
        if not queryset.ordered:
            raise ValueError(f"{self.model._meta.label}.{set_name}: an unordered set would not keep its order")
        return queryset.values_list(*self.sets[set_name][1].names)


def _set_shape(relation: Any, columns: list[str]) -> RowShape:
    """The shape of the rows of a set (one query of their own): their columns, none of them a set again."""
    parsed = lean.Columns(relation.related_model, columns)
    if parsed.sets:
        raise ValueError(f"{parsed.model._meta.label}: the rows of {', '.join(parsed.sets)} in a set's rows")
    return RowShape(parsed)


_local = threading.local()


def _statements(db: str) -> dict:
    # Per thread: a statement holds its connection (each thread has its own), whose converters it applies.
    cache = getattr(_local, "statements", None)
    if cache is None:
        cache = _local.statements = {}
    return cache.setdefault(db, {})


_readings: dict[tuple, Reading] = {}


def reading(model: type[models.Model], columns: tuple[str, ...]) -> Reading:
    return lean.kept(_readings, (model, columns), lambda: Reading(model, columns), MAX_STATEMENTS)


def scoped_only(queryset: models.QuerySet, request: Any) -> bool:
    """Whether ``queryset`` selects exactly the caller's scope of its model: its filter is :func:`restrict`'s on the
    base manager, and nothing else (a view's own condition, a manager's default filter) narrows it."""
    model = queryset.model
    query = queryset.query
    if query.combinator or query.distinct or query.is_sliced or query.extra or query.annotations:
        return False
    return query.where == restrict(model._base_manager.all(), request).query.where


def fetch(
    view: Any,
    serializer_class: type | None = None,
    fields: Iterable[str] | None = None,
    always: tuple[str, ...] = (),
) -> tuple[models.Model, dict] | None:
    """``(object, response data)`` of the view's retrieve through the lean path, or ``None`` for the model path.

    ``serializer_class`` (default: the view's) and ``fields`` (a sparse selection) give the representation;
    ``always`` names columns the caller needs whatever the caller may see (``cw_company_id`` for live data).
    """
    declared: Mapping[str, tuple[str, ...]] | None = getattr(view, "retrieve_columns", None)
    if declared is None or not (settings.LEAN_LISTS and settings.LEAN_RETRIEVE):
        return None
    serializer_class = serializer_class or view.get_serializer_class()
    only = frozenset(fields) if fields is not None else None
    plan = lean.plan_for(serializer_class, only)
    lookup = view.lookup_url_kwarg or view.lookup_field
    if plan is None or view.lookup_field != "pk" or not isinstance(plan.model._meta.pk, models.UUIDField):
        return None
    queryset = view.filter_queryset(view.get_queryset())  # its checks run as for the model path (a bad ?fields=)
    request = view.request
    if queryset.model is not plan.model or not scoped_only(queryset, request):
        return None
    context = view.get_serializer_context()
    options = {"fields": sorted(only)} if only is not None else {}
    readers = plan.readers_for(lean.Session(serializer_class, options, context))
    columns: list[str] = []
    for name, _read, _convert in readers:
        if name not in declared:
            return None
        columns.extend(declared[name])
    try:
        key = plan.model._meta.pk.to_python(view.kwargs[lookup])
    except ValidationError:
        raise Http404 from None  # DRF's get_object_or_404 answers a key of the wrong type so
    obj = reading(plan.model, tuple(dict.fromkeys((*columns, *always)))).fetch(key, queryset.db, client_scope(request))
    view.check_object_permissions(request, obj)
    return obj, lean._row(obj, readers)


def serializer_columns(serializer_class: type) -> dict[str, tuple[str, ...]]:
    """The columns of the fields of ``serializer_class`` that plainly read them: a column or a chain of forward
    relations to one (``client.name``), a relation shown as its id, and a nested gated serializer of a reverse or
    many-to-many relation (its rows' columns, the same way). Method fields, properties and ``str()`` of a relation
    are left out: a view declares them itself (or they send the request down the model path)."""
    model = serializer_class.Meta.model
    found: dict[str, tuple[str, ...]] = {}
    for name, field in serializer_class().fields.items():
        if field.write_only or field.source == "*":
            continue
        path = field.source.split(".")
        columns = _plain_columns(model, path, field)
        if columns is not None:
            found[name] = columns
    return found


def _plain_columns(model: type[models.Model], path: list[str], field: Any) -> tuple[str, ...] | None:
    child = field.child if isinstance(field, serializers.ListSerializer) else None
    try:
        target = model._meta.get_field(path[0])
    except FieldDoesNotExist:
        return None
    if len(path) == 1 and child is not None and (target.one_to_many or target.many_to_many):
        if not isinstance(child, serializers.ModelSerializer):
            return None
        nested = serializer_columns(type(child))
        return (path[0], *(f"{path[0]}__{c}" for cols in nested.values() for c in cols if c != "id"))
    if not target.concrete or target.many_to_many:
        return None
    if len(path) == 1:
        relation_id = isinstance(field, relations.PrimaryKeyRelatedField) or not target.is_relation
        return (path[0],) if relation_id or path[0] == target.attname else None
    if len(path) == 2 and target.many_to_one:
        try:
            column = target.related_model._meta.get_field(path[1])
        except FieldDoesNotExist:
            return None
        if column.concrete and not column.is_relation:
            return (path[0], f"{path[0]}__{path[1]}")
    return None
