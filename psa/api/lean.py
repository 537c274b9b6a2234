"""The lean list path: a page of model objects turned into the response's dicts without DRF's per-row machinery.

DRF builds every field of a serializer for each request (``ModelSerializer`` introspects the model and deep-copies
the declared fields), then walks each field's source generically for every row. For a list whose serializer keeps
the base representation (:meth:`GatedModelSerializer.to_representation`), this module builds the same dicts from a
plan compiled once per serializer class and field selection:

- a field whose representation needs nothing from the request (:func:`context_free`: plain columns, related
  names, primary keys, choices, dates, decimals) is read by a getter specialised for its source and converted by
  that field's own ``to_representation``, from a template built once per process;
- any other field (a method field, a nested gated summary) is taken from the request's own serializer, which is
  built only when the caller may see such a field.

A list whose view declares ``list_columns`` is read by columns (:func:`column_page`, the one dispatcher): its page
as the response's dicts converted a column at a time from the driver's values (:mod:`psa.api.lean_rows`), or where
a visible field cannot be, as light instances of those columns (:class:`ColumnPage`) read by the plan.

Gating (``visible_fields``), the order of keys and the ``None`` of a skipped field follow the serializer path
exactly; ``tests/psa/test_lean_lists.py`` compares both paths on every list route. ``PSA_LEAN_LISTS=0`` turns it off.
"""

from __future__ import annotations

import datetime as dt
import inspect
import threading
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.base import ModelState
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from psa import gating, references
from psa.api import lean_rows, lean_sql

# DRF classes whose ``to_representation`` and ``get_attribute`` read only the value and the field's own options.
# FileField (absolute URLs from the request), hyperlinked fields and SerializerMethodField are not among them.
_SAFE_DEFINERS = frozenset(
    {
        drf_fields.Field,
        drf_fields.CharField,
        drf_fields.EmailField,
        drf_fields.RegexField,
        drf_fields.SlugField,
        drf_fields.URLField,
        drf_fields.UUIDField,
        drf_fields.IPAddressField,
        drf_fields.IntegerField,
        drf_fields.FloatField,
        drf_fields.DecimalField,
        drf_fields.BooleanField,
        drf_fields.DateTimeField,
        drf_fields.DateField,
        drf_fields.TimeField,
        drf_fields.DurationField,
        drf_fields.ChoiceField,
        drf_fields.MultipleChoiceField,
        drf_fields.JSONField,
        drf_fields.ReadOnlyField,
        drf_fields.ListField,
        drf_fields.DictField,
        drf_fields.ModelField,
        relations.RelatedField,
        relations.PrimaryKeyRelatedField,
        relations.ManyRelatedField,
    }
)
_READ_METHODS = ("to_representation", "get_attribute", "use_pk_only_optimization")
# Construction hooks: a serializer class overriding one of them may build different fields per request, so its
# fields are taken from the request's serializer rather than a template.
_CONSTRUCTION = ("__init__", "get_fields", "get_field_names", "build_field", "get_extra_kwargs", "bind")


def _definer(cls: type, name: str) -> type | None:
    return next((klass for klass in cls.__mro__ if name in klass.__dict__), None)


def context_free(field: drf_fields.Field) -> bool:
    """Whether ``field``'s output depends only on the value it reads (never on the request, context or parent).

    Custom field classes opt in with ``lean_context_free = True`` when that holds for them.
    """
    if getattr(type(field), "lean_context_free", False) is True:
        return True
    for name in _READ_METHODS:
        definer = _definer(type(field), name)
        if definer is not None and definer not in _SAFE_DEFINERS:
            return False
    if callable(field.default) and getattr(field.default, "requires_context", False):
        return False
    children = [getattr(field, "child", None), getattr(field, "child_relation", None)]
    return all(child is None or context_free(child) for child in children)


def _missing(field: drf_fields.Field) -> Any:
    """What ``Field.get_attribute`` answers when the source passes through a missing attribute (a null relation)."""
    if field.default is not empty:
        return field.get_default()
    if field.allow_null:
        return None
    if not field.required:
        raise SkipField()
    raise AttributeError(f"{field.field_name}: no value")


def _static_path(model: type[models.Model], attrs: list[str]) -> list[str] | None:
    """``attrs`` as model attribute names when each is a concrete column or a forward relation (so reading it never
    yields a callable), the last possibly a relation itself; ``None`` when any step is something else."""
    names = []
    for index, attr in enumerate(attrs):
        try:
            target = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if not getattr(target, "concrete", False) or target.many_to_many:
            return None
        names.append(attr)
        if target.is_relation and attr == target.name:
            model = target.related_model
        elif index != len(attrs) - 1:
            return None  # a column (``client_id`` is the relation's column, not the related object) ends the path
    return names


def _reader(field: drf_fields.Field, model: type[models.Model]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """``(get, convert)`` for ``field`` on objects of ``model``: ``convert(get(obj))`` (unless ``get`` answers
    ``None`` or raises ``SkipField``) equals DRF's ``field.to_representation(field.get_attribute(obj))``."""
    attrs = list(field.source_attrs)
    definer = _definer(type(field), "get_attribute")
    if definer is relations.RelatedField and field.use_pk_only_optimization() and len(attrs) == 1:
        try:
            target = model._meta.get_field(attrs[0])
        except FieldDoesNotExist:
            target = None
        plain_pk = type(field).to_representation is relations.PrimaryKeyRelatedField.to_representation
        if plain_pk and target is not None and target.concrete and target.many_to_one and target.name == attrs[0]:
            # serializable_value(name) reads the column (no related object is loaded); DRF wraps it in a
            # PKOnlyObject only to unwrap it again.
            pk_field = field.pk_field
            return _column(target.attname), (pk_field.to_representation if pk_field else _same)
    if definer is not drf_fields.Field or not attrs:
        return field.get_attribute, _converter(field)
    prefetched = _prefetched_reader(field, model, attrs)
    if prefetched is not None:
        return prefetched, _converter(field)
    path = _static_path(model, attrs)
    if path is None and len(attrs) == 1 and isinstance(inspect.getattr_static(model, attrs[0], None), property):
        return _property_reader(field, attrs[0]), _converter(field)
    if path is None:
        return field.get_attribute, _converter(field)
    if len(path) == 1:
        (name,) = path

        target = model._meta.get_field(name)
        if not target.is_relation or name == target.attname:
            return _column(name), _converter(field)

        def read_one(obj: Any) -> Any:
            try:
                return getattr(obj, name)
            except ObjectDoesNotExist:
                return None

        return read_one, _converter(field)

    def read_path(obj: Any) -> Any:
        for name in path:
            if obj is None:
                return _missing(field)  # DRF's getattr(None, ...) raised AttributeError here
            try:
                obj = getattr(obj, name)
            except ObjectDoesNotExist:
                return None
        return obj

    return read_path, _converter(field)


def _property_reader(field: drf_fields.Field, name: str) -> Callable[[Any], Any]:
    """A property of the model (``client.is_active``) read as DRF's ``get_attribute`` reads it, without its generic
    walk: the value; ``None`` where it raises ``ObjectDoesNotExist``; DRF's own answer where it raises what DRF
    handles (a default, a null, a skipped field) or answers a callable (which DRF would call)."""

    def read_property(obj: Any) -> Any:
        try:
            value = getattr(obj, name)
        except ObjectDoesNotExist:
            return None
        except (KeyError, AttributeError):
            return field.get_attribute(obj)
        return field.get_attribute(obj) if callable(value) else value

    return read_property


def _column(attname: str) -> Callable[[Any], Any]:
    """A reader of the column ``attname``, marked as one (:func:`row_function` reads it from the instance's dict)."""
    read = attrgetter(attname)

    def read_column(obj: Any) -> Any:
        return read(obj)

    read_column.column = attname
    return read_column


class _AllOf:
    """A many-to-many relation's prefetched rows, answering ``all()`` as its manager would (without building one)."""

    __slots__ = ("rows",)

    def __init__(self, rows: list) -> None:
        self.rows = rows

    def all(self) -> list:
        return self.rows


def _prefetched_reader(field: drf_fields.Field, model: type[models.Model], attrs: list[str]) -> Callable | None:
    """For a field declaring ``lean_reads_all = True`` (it reads its value only through ``value.all()``) on a
    many-to-many relation: its prefetched rows, without the related manager Django builds on every access (most of
    a tag list's cost per row); the manager itself when nothing was prefetched."""
    if getattr(type(field), "lean_reads_all", False) is not True or len(attrs) != 1:
        return None
    try:
        relation = model._meta.get_field(attrs[0])
    except FieldDoesNotExist:
        return None
    if not relation.many_to_many or relation.name != attrs[0]:
        return None
    name = attrs[0]

    def read_prefetched(obj: Any) -> Any:
        cached = getattr(obj, "_prefetched_objects_cache", {}).get(name)
        if cached is None or cached._result_cache is None:
            return getattr(obj, name)
        return _AllOf(cached._result_cache)

    return read_prefetched


def _same(value: Any) -> Any:
    return value


def _converter(field: drf_fields.Field) -> Callable[[Any], Any]:
    to_representation = type(field).to_representation
    if to_representation is drf_fields.CharField.to_representation:
        return _text
    if to_representation is drf_fields.IntegerField.to_representation:
        return int
    if to_representation is drf_fields.UUIDField.to_representation and field.uuid_format == "hex_verbose":
        return str
    if to_representation is drf_fields.BooleanField.to_representation:
        return _boolean(field)
    if to_representation is drf_fields.ChoiceField.to_representation and all(
        type(choice) is str for choice in field.choice_strings_to_values.values()
    ):
        return _choice(field)
    return field.to_representation


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


# A converter's ``inline``: the expression row_function writes in its place (``v`` the value, ``c`` the converter).
_text.inline = "(v if v.__class__ is str else str(v))"


def _boolean(field: drf_fields.BooleanField) -> Callable[[Any], Any]:
    """DRF's ``BooleanField.to_representation``, which answers a bool itself (``True`` is among its true values,
    ``False`` among its false ones), without its three set lookups for one."""
    slow = field.to_representation

    def boolean(value: Any) -> Any:
        return value if value.__class__ is bool else slow(value)

    boolean.inline = "(v if v.__class__ is bool else c(v))"
    boolean.bool_first = True  # DRF's answer for a bool is the bool (psa.api.lean_rows converts a column so)
    return boolean


def _choice(field: drf_fields.ChoiceField) -> Callable[[Any], Any]:
    """DRF's ``ChoiceField.to_representation`` when every choice is a text: it answers a text itself (the choice
    of that text, or the text when it is none), without its ``str()`` and lookup."""
    slow = field.to_representation

    def choice(value: Any) -> Any:
        return value if value.__class__ is str else slow(value)

    choice.inline = "(v if v.__class__ is str else c(v))"
    choice.text_first = True  # psa.api.lean_rows converts a text column so
    return choice


FREE, METHOD, NESTED, BOUND = "free", "method", "nested", "bound"


def _kind(field: drf_fields.Field) -> str:
    """How the lean path reads ``field``: by itself (:func:`context_free`), through a method of a serializer holding
    the request's context, through the plan of a nested gated serializer, or from the request's own serializer."""
    if context_free(field):
        return FREE
    cls = type(field)
    if cls.to_representation is drf_fields.SerializerMethodField.to_representation and field.source == "*":
        return METHOD
    child = field.child if isinstance(field, serializers.ListSerializer) else field
    if isinstance(child, serializers.BaseSerializer) and _definer(cls, "get_attribute") is drf_fields.Field:
        nested = plan_for(type(child), getattr(child, "_only_fields", None))
        if nested is not None and nested.self_sufficient:
            return NESTED
    return BOUND


class Plan:
    """How one serializer class with one field selection turns an object into its dict."""

    def __init__(self, serializer_class: type, template: Any, only: frozenset[str] | None) -> None:
        self.serializer_class, self.only = serializer_class, only
        self.model = serializer_class.Meta.model
        self.scope = serializer_class.gating_scope
        self.derived = serializer_class.gating_derived
        self.names = frozenset(template.fields)
        self.fields = {name: f for name, f in template.fields.items() if not f.write_only}
        self.kinds = {name: _kind(f) for name, f in self.fields.items()}
        self.self_sufficient = BOUND not in self.kinds.values()
        self.readers = {name: _reader(f, self.model) for name, f in self.fields.items() if self.kinds[name] == FREE}

    def visible(self, session: Session) -> list[str]:
        """The fields the request's caller may see, in the serializer's order."""
        visible = gating.visible_fields(session.request, self.scope, self.names, self.derived)
        return [name for name in self.kinds if name in visible]

    def reader(self, name: str, session: Session) -> tuple[str, Callable, Callable]:
        """``(name, get, convert)`` of the field ``name`` for this request (:func:`_row`'s reader)."""
        kind, field = self.kinds[name], self.fields[name]
        if kind == FREE:
            get, convert = self.readers[name]
            return name, get, session.fast_datetime(field) or convert
        if kind == METHOD:
            return name, _same, getattr(session.host(self), field.method_name)
        if kind == NESTED:
            return name, field.get_attribute, _nested(field, session)
        bound = session.bound().fields[name]
        return name, bound.get_attribute, bound.to_representation

    def readers_for(self, session: Session) -> list[tuple[str, Callable, Callable]]:
        """The readers of the fields the request's caller may see, in the serializer's order."""
        return [self.reader(name, session) for name in self.visible(session)]


def _nested(field: Any, session: Session) -> Callable[[Any], Any]:
    many = isinstance(field, serializers.ListSerializer)
    child = field.child if many else field
    readers = plan_for(type(child), getattr(child, "_only_fields", None)).readers_for(session)
    row = row_function(readers)
    if not many:
        return row

    def rows(value: Any) -> list[dict]:
        iterable = value.all() if isinstance(value, models.manager.BaseManager) else value
        return [row(item) for item in iterable]

    return rows


class Session:
    """One request's share of the lean path: its context, and what is built for it only when a field needs it."""

    def __init__(self, serializer_class: type, serializer_kwargs: dict, context: dict) -> None:
        self.serializer_class, self.serializer_kwargs, self.context = serializer_class, serializer_kwargs, context
        self.request = context.get("request")
        self._bound = None
        self._hosts: dict[int, Any] = {}
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.utc = zone is dt.UTC or getattr(zone, "key", None) == "UTC"

    def bound(self) -> Any:
        """The request's own serializer (its fields built), for fields only it can represent."""
        if self._bound is None:
            self._bound = self.serializer_class(**{**self.serializer_kwargs, "context": self.context})
        return self._bound

    def host(self, plan: Plan) -> Any:
        """A serializer of ``plan``'s class holding the request's context, whose ``get_<field>`` methods answer
        method fields (its fields are never built for that)."""
        host = self._hosts.get(id(plan))
        if host is None:
            only = sorted(plan.only) if plan.only is not None else None
            host = plan.serializer_class(context=self.context, **({"fields": only} if only is not None else {}))
            self._hosts[id(plan)] = host
        return host

    def fast_datetime(self, field: drf_fields.Field) -> Callable[[Any], Any] | None:
        """For a plain ``DateTimeField`` while times are shown in UTC: ISO 8601 of the UTC value, as DRF writes it."""
        if not self.utc or type(field).to_representation is not drf_fields.DateTimeField.to_representation:
            return None
        if hasattr(field, "format") or hasattr(field, "timezone") or api_settings.DATETIME_FORMAT != ISO_8601:
            return None
        slow = field.to_representation
        iso_utc = lean_rows.iso_utc

        def iso(value: Any) -> Any:
            if type(value) is not dt.datetime or value.tzinfo is not dt.UTC:
                return slow(value)
            return iso_utc(value)

        iso.utc_iso = True  # DRF's text of a UTC date-time (psa.api.lean_rows writes it from SQLite's own text)
        return iso


def _row(obj: Any, readers: list) -> dict:
    data = {}
    skipped = None
    for name, read, convert in readers:
        try:
            value = read(obj)
        except SkipField:
            skipped = [*(skipped or ()), name]
            continue
        check = value.pk if isinstance(value, PKOnlyObject) else value
        data[name] = None if check is None else convert(value)
    for name in skipped or ():
        data[name] = None  # the base serializer's setdefault: a skipped field is there, as null, after the others
    return data


# ---- rows written out: _row's steps for one list of readers, as straight-line code ---------------------------------
#
# _row walks its readers generically for every field of every row (a tuple unpacked, a try, a call to read, a
# check for DRF's PKOnlyObject, a call to convert): most of a list's cost per row. A function written out for the
# readers' shape does the same steps without the loop: a column is read from the instance's dict (its field's
# descriptor does no more when the value is there), converters that say how are inlined, and a row where anything
# raises (a column not fetched, a reader skipping its field with DRF's SkipField, an error) is made again by _row
# itself, so the keys, their order, the skipped fields' nulls, a deferred column's query and any error stay _row's.
_row_makers: dict[tuple, Callable] = {}


def row_function(readers: list[tuple[str, Callable, Callable]]) -> Callable[[Any], dict]:
    """A function equal to ``lambda obj: _row(obj, readers)``, written out for the readers' shape."""
    shape = tuple(
        (
            name,
            getattr(get, "column", None),
            get is _same,
            "v" if convert is _same else getattr(convert, "inline", None),
        )
        for name, get, convert in readers
    )
    maker = _row_makers.get(shape)
    if maker is None:
        maker = _row_maker(shape)
        with _lock:
            _row_makers[shape] = maker
    functions = [function for _name, get, convert in readers for function in (get, convert)]
    return maker(lambda obj: _row(obj, readers), *functions)


def _row_maker(shape: tuple) -> Callable:
    arguments = ", ".join(f"g{i}, c{i}" for i in range(len(shape)))
    lines = [f"def make(slow, {arguments}):", "    def row(obj):", "        d = obj.__dict__", "        try:"]
    for i, (_name, column, whole, inline) in enumerate(shape):
        conversion = (inline or "c(v)").replace("c(", f"c{i}(")
        if whole:  # a method field: its method reads the object, which is never None
            lines.append(f"            v = obj\n            r{i} = {conversion}")
            continue
        if column is not None:
            lines.append(f"            v = d[{column!r}]")
            check = "v"
        else:
            lines.append(f"            v = g{i}(obj)")
            check = "(v.pk if isinstance(v, PKOnlyObject) else v)"
        lines.append(f"            r{i} = None if {check} is None else {conversion}")
    lines.append("            pass")  # a caller who may see none of the fields
    lines.append("        except Exception:")
    lines.append("            return slow(obj)")
    lines.append("        return {" + ", ".join(f"{name!r}: r{i}" for i, (name, *_) in enumerate(shape)) + "}")
    lines.append("    return row")
    namespace = {"PKOnlyObject": PKOnlyObject}
    exec("\n".join(lines), namespace)  # code written from field names (quoted by repr), not from input
    return namespace["make"]


_plans: dict[tuple[type, frozenset[str] | None], Plan | None] = {}
_lock = threading.Lock()


def _eligible(serializer_class: type) -> bool:
    from psa.api.serializers import GatedModelSerializer

    if not (isinstance(serializer_class, type) and issubclass(serializer_class, GatedModelSerializer)):
        return False
    return all(
        getattr(serializer_class, name) is getattr(GatedModelSerializer, name)
        for name in ("to_representation", "visible_fields", *_CONSTRUCTION)
    )


def plan_for(serializer_class: type, only: frozenset[str] | None) -> Plan | None:
    """The compiled plan, or ``None`` when the class's representation is not the base one."""
    key = (serializer_class, only)
    if key in _plans:
        return _plans[key]
    plan = None
    if _eligible(serializer_class):
        template = serializer_class(fields=sorted(only)) if only is not None else serializer_class()
        plan = Plan(serializer_class, template, only)
    with _lock:
        _plans[key] = plan
    return plan


def lean_data(view: Any, page: list, serializer_kwargs: dict) -> list[dict] | None:
    """The page's list data through the lean path, or ``None`` when the view's serializer cannot take it."""
    if not getattr(settings, "LEAN_LISTS", True):
        return None
    if getattr(view, "lean_rows", None) is not None and view.lean_rows.served(page):
        return page  # the response's dicts already (psa.api.lean_rows)
    serializer_class = view.get_serializer_class()
    only = serializer_kwargs.get("fields")
    plan = plan_for(serializer_class, frozenset(only) if only is not None else None)
    if plan is None or any(type(obj) is not plan.model for obj in page):
        return None
    context = serializer_kwargs.get("context") or view.get_serializer_context()
    readers = plan.readers_for(Session(serializer_class, serializer_kwargs, context))
    row = row_function(readers) if len(page) > 1 else lambda obj: _row(obj, readers)
    return [row(obj) for obj in page]


class LeanList:
    """Stands in for a serializer whose ``data`` (a page's list, or one object's dict) the lean path has built."""

    def __init__(self, data: list[dict] | dict) -> None:
        self.data = data


# ---- the column fetch: a page read as tuples of the columns its fields need, not as whole model rows -------------


def _light(model: type[models.Model], db: str, values: dict[str, Any]) -> models.Model:
    """An instance of ``model`` holding only ``values``, built without ``Model.__init__`` (which sets every field).

    Reading a field it does not hold loads it as a deferred field does (one query), so a column missing from a
    declaration costs queries, never a wrong value; the pinned query counts catch it.
    """
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding, state.db = False, db
    obj.__dict__.update(values)
    return obj


class Columns:
    """Columns named in the column grammar the lean list and the lean retrieve read, parsed against ``model``:

    - ``title``: a column of the row; a relation, ``client``, for its id;
    - ``contact__first_name``: a column of a forward relation (``forward``: relation -> its columns), or of a
      reference table's row (``referenced``: it comes from :mod:`psa.references`);
    - ``tags__text``, ``interfaces__name``, ``watchers__user__email``: a column of the rows of a many-to-many or
      reverse relation (``sets``: relation -> the rest of each name, in its related model's grammar); the relation
      alone names its rows without columns.

    ``own`` holds the row's attribute names, its primary key first; every list holds each name once.
    """

    def __init__(self, model: type[models.Model], columns: Iterable[str]) -> None:
        meta = model._meta
        own, referenced = [meta.pk.attname], []
        self.forward: dict[str, tuple[Any, list[str]]] = {}
        self.sets: dict[str, tuple[Any, list[str]]] = {}
        for column in columns:
            name, _, rest = column.partition("__")
            field = meta.get_field(name)
            if field.many_to_many or field.one_to_many:
                self.sets.setdefault(name, (field, []))[1].extend([rest] if rest else [])
                continue
            if not field.concrete:
                raise ValueError(f"{meta.label}.{column}: not a column, a forward relation or a set of rows")
            own.append(field.attname)
            if not rest:
                continue
            if "__" in rest or not field.many_to_one:
                raise ValueError(f"{meta.label}.{column}: only a column of the row or of a forward relation")
            if references.is_reference(field.related_model):
                referenced.append(name)
            else:
                self.forward.setdefault(name, (field, []))[1].append(rest)
        self.model = model
        self.own, self.referenced = list(dict.fromkeys(own)), list(dict.fromkeys(referenced))
        for kind in (self.forward, self.sets):
            for name, (field, names) in kind.items():
                kind[name] = (field, list(dict.fromkeys(names)))


_parsed: dict[tuple, Columns] = {}


def columns_of(model: type[models.Model], columns: tuple[str, ...]) -> Columns:
    """``Columns(model, columns)``, parsed once per process (declarations are few: a view's, per field set)."""
    return kept(_parsed, (model, columns), lambda: Columns(model, columns), lean_sql._MAX_SHAPES)


def kept(cache: dict, key: tuple, make: Callable[[], Any], limit: int) -> Any:
    """``cache[key]``, made by ``make()`` the first time it is asked for; past ``limit`` entries the cache starts
    again (its keys come from declarations and query strings: bounded, but not by us)."""
    found = cache.get(key)
    if found is None:
        found = make()
        with _lock:
            if len(cache) >= limit:
                cache.clear()
            cache[key] = found
    return found


def _lookup_name(lookup: Any) -> str:
    return getattr(lookup, "prefetch_to", lookup)


class ColumnPage:
    """A filtered, sorted queryset whose page is fetched as tuples of the named ``columns`` (:class:`Columns`'
    grammar) and built into light instances.

    Relations are read as the model path reads them in a list, so the query plan stays the same: a nullable one
    through the query's LEFT JOIN; a required one by one more query by id (an INNER JOIN lets SQLite's planner
    start from the small table and sort every row); one to a reference table (:mod:`psa.references`) from the
    cache; a many-to-many one by one more query, as its prefetch would be. A reverse relation's rows are read by
    its ``prefetch`` lookup (whole rows, as the model path reads them); the other ``prefetch`` lookups are
    prefetched onto the page as usual. The pagination reads it as it reads a queryset (``count()`` and one slice).
    """

    def __init__(self, queryset: models.QuerySet, columns: Iterable[str], prefetch: tuple = ()) -> None:
        self.queryset = queryset
        parsed = columns_of(queryset.model, tuple(columns))
        self.own, self.referenced = parsed.own, parsed.referenced
        # nullable relation: its columns, read through the LEFT JOIN; required relation: read by id in one more query
        self.joined = {name: names for name, (field, names) in parsed.forward.items() if field.null}
        self.apart = {name: names for name, (field, names) in parsed.forward.items() if not field.null}
        self.many: dict[str, list[str]] = {}  # many-to-many relation: its rows' columns, read in one more query
        prefetched = {_lookup_name(lookup) for lookup in prefetch}
        for name, (field, names) in parsed.sets.items():
            if field.many_to_many and not any("__" in column for column in names):
                self.many[name] = names
            elif name not in prefetched:
                raise ValueError(f"{parsed.model._meta.label}.{name}: a reverse relation is read by its prefetch")
        self.prefetch = tuple(lookup for lookup in prefetch if _lookup_name(lookup) not in self.many)

    def count(self) -> int:
        return lean_sql.count(self.queryset)

    def __getitem__(self, window: slice) -> list[models.Model]:
        model, db = self.queryset.model, self.queryset.db
        meta = model._meta
        joined = [(meta.get_field(name), columns) for name, columns in self.joined.items()]
        names = [*self.own, *(f"{field.name}__{c}" for field, columns in joined for c in columns)]
        width = len(self.own)
        objects = []
        for row in self._rows(names, window):
            obj = _light(model, db, dict(zip(self.own, row[:width], strict=True)))
            at = width
            for field, columns in joined:
                key = obj.__dict__[field.attname]
                values = dict(zip(columns, row[at : at + len(columns)], strict=True))
                at += len(columns)
                related = (
                    None
                    if key is None
                    else _light(field.related_model, db, {**values, field.target_field.attname: key})
                )
                field.set_cached_value(obj, related)
            objects.append(obj)
        for name, columns in self.apart.items():
            _attach_apart(objects, meta.get_field(name), columns, db)
        references.attach(objects, self.referenced)
        for name, columns in self.many.items():
            _attach_many(objects, meta.get_field(name), columns, db)
        if self.prefetch and objects:
            models.prefetch_related_objects(objects, *self.prefetch)
        return objects

    def _rows(self, names: list[str], window: slice) -> Any:
        """The page's tuples: the page's ids found by the filtered, sorted query alone, the columns (and joins) read
        for those ids only, as the floor's SQL does; joined into the query that finds the page, the joins let
        SQLite's planner pick an index that serves them instead of the filter or the sort. Both are compiled once
        per shape (:mod:`psa.api.lean_sql`)."""
        query = self.queryset.query
        ordering = query.order_by or (self.queryset.model._meta.ordering if query.default_ordering else ())
        model, db = self.queryset.model, self.queryset.db
        try:
            inner = lean_sql.page_ids(self.queryset, window)
        except EmptyResultSet:
            return []  # the ORM runs no query for a filter that matches nothing
        page = lambda: lean_sql.page_of(self.queryset, window)  # noqa: E731  (built only when the ORM runs)
        compiled = lean_sql.page_fetch(model, db, tuple(names), tuple(ordering), inner, page)
        if compiled is not None:
            return compiled.run(db, *inner)
        manager = model._base_manager.db_manager(db)
        return manager.filter(pk__in=page()).order_by(*ordering).values_list(*names)


def column_page(view: Any, queryset: Any) -> Any:
    """A list's page read by columns of what its view declares its fields read (``list_columns``: output field ->
    its columns): as the response's dicts where every visible field converts column by column
    (:func:`psa.api.lean_rows.row_page`), else as light instances (:class:`ColumnPage`); ``None`` for the model
    fetch: the lean path is off, the view declares nothing, a field of its serializer is undeclared, or the
    queryset is not a plain one of the serializer's model (an annotation, a column fetch already)."""
    columns = declared_columns(view)
    if columns is None or not isinstance(queryset, models.QuerySet):
        return None
    plan = plan_for(view.get_serializer_class(), _selection(view))
    if queryset.model is not plan.model or queryset.query.annotations or queryset.query.extra:
        return None
    only = sorted(plan.only) if plan.only is not None else None
    session = Session(plan.serializer_class, {} if only is None else {"fields": only}, view.get_serializer_context())
    rows = lean_rows.row_page(view, queryset, plan, session)
    if rows is not None:
        view.lean_rows = rows
        return rows
    return ColumnPage(queryset, columns, prefetch=tuple(queryset._prefetch_related_lookups))


def _selection(view: Any) -> frozenset[str] | None:
    """The list's field selection (``list_fields()``: ``?fields=``), ``None`` for all the serializer's fields."""
    selected = view.list_fields() if hasattr(view, "list_fields") else None
    return frozenset(selected) if selected is not None else None


def declared_columns(view: Any) -> tuple[str, ...] | None:
    """The columns the view's list reads when the lean path is on and every field of its list is declared in
    ``list_columns`` (its page is then read by columns), else ``None`` (the model fetch)."""
    declared = getattr(view, "list_columns", None)
    if declared is None or not settings.LEAN_LISTS:
        return None
    serializer_class = view.get_serializer_class()
    only = _selection(view)
    plan = plan_for(serializer_class, only)
    if plan is None:
        return None
    key = (type(view), serializer_class, only)
    columns = _declared_columns.get(key, False)
    if columns is False:
        undeclared = any(name not in declared for name in plan.fields)
        columns = None if undeclared else tuple(c for name in plan.fields for c in declared[name])
        kept(_declared_columns, key, lambda: columns, lean_sql._MAX_SHAPES)
    return columns


_declared_columns: dict[tuple, tuple[str, ...] | None] = {}


def _attach_apart(objects: list[models.Model], field: Any, columns: list[str], db: str) -> None:
    """Set ``field``'s related rows (only ``columns``) on ``objects`` from one query by id, in the page's order."""
    keys = list(dict.fromkeys(k for k in (obj.__dict__[field.attname] for obj in objects) if k is not None))
    if not keys:
        return
    target = field.target_field
    related_model = field.related_model
    rows = lean_sql.by_keys(
        lambda: related_model._base_manager.using(db)
        .filter(**{f"{target.name}__in": keys})
        .values_list(target.attname, *columns),
        ("apart", related_model, target.name, tuple(columns), db),
        target,
        keys,
    )
    found = {row[0]: _light(related_model, db, dict(zip((target.attname, *columns), row, strict=True))) for row in rows}
    for obj in objects:
        related = found.get(obj.__dict__[field.attname])
        if related is not None:
            field.set_cached_value(obj, related)


def _attach_many(objects: list[models.Model], field: Any, columns: list[str], db: str) -> None:
    """Fill the prefetch cache of the many-to-many ``field`` on ``objects`` with light rows (only ``columns``), from
    one query on the through table, in the related model's default order (what its prefetch would read)."""
    if not objects:
        return
    related = field.related_model
    through = field.remote_field.through._meta
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    source_column, target_column = through.get_field(source).attname, through.get_field(target).attname
    ordering = [
        f"{'-' if order.startswith('-') else ''}{target}__{order.lstrip('-')}"
        for order in related._meta.ordering
        if isinstance(order, str)
    ]
    owners = [obj.pk for obj in objects]
    through_model = field.remote_field.through
    rows = lean_sql.by_keys(
        lambda: through_model._base_manager.using(db)
        .filter(**{f"{source_column}__in": owners})
        .order_by(*ordering, target_column)
        .values_list(source_column, target_column, *(f"{target}__{c}" for c in columns)),
        ("many", through_model, source_column, tuple(columns), db),
        through_model._meta.get_field(source).target_field,
        owners,
    )
    names = (related._meta.pk.attname, *columns)
    found: dict[Any, list[models.Model]] = {obj.pk: [] for obj in objects}
    for owner, *values in rows:
        found[owner].append(_light(related, db, dict(zip(names, values, strict=True))))
    query = models.sql.Query(related)  # shared: a queryset never changes its query in place, it clones it
    for obj in objects:
        cached = models.QuerySet(model=related, query=query, using=db)
        cached._result_cache, cached._prefetch_done = found[obj.pk], True
        obj._prefetched_objects_cache = {field.name: cached}
