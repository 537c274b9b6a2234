"""Shared filterset machinery: one filterset per model serves the API and the UI lists."""

from __future__ import annotations

import copy
import datetime
import functools
from collections.abc import Callable, MutableMapping

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django_filters.constants import EMPTY_VALUES
from django_filters.filters import FilterMethod

from psa import gating, search
from psa.search import lookup, text

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or 1/0, yes/no); anything else is an error instead of being ignored."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError("Use true or false.")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcDateTimesMixin:
    """Filters by a date and time in UTC: ``+17:32`` is a valid ISO 8601 offset, which PostgreSQL refuses (±15:59)."""

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        cleaned = self.form.cleaned_data
        for name, value in cleaned.items():
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                cleaned[name] = value.astimezone(datetime.UTC)
        return super().filter_queryset(queryset)


@functools.lru_cache(maxsize=256)
def _sparse_form(form_class: type[forms.Form], names: tuple[str, ...]) -> type[forms.Form]:
    """``form_class`` with only the fields ``names``, in its order (for a filterset's bound form)."""
    sparse = type(form_class)(form_class.__name__, (form_class,), {})
    sparse.base_fields = {name: form_class.base_fields[name] for name in names}
    return sparse


def _sent_fields(form_class: type[forms.Form], data, kept: frozenset[str] | None) -> tuple[str, ...]:
    """The fields a bound form needs for ``data``: those it names (``name`` or, for a widget of several inputs,
    ``name_<part>``) and those ``kept`` (bound when absent); every field when ``kept`` is ``None``."""
    if kept is None:
        return tuple(form_class.base_fields)
    return _named_fields(form_class, tuple(data), kept)


@functools.lru_cache(maxsize=512)
def _named_fields(form_class: type[forms.Form], keys: tuple[str, ...], kept: frozenset[str]) -> tuple[str, ...]:
    return tuple(
        name
        for name in form_class.base_fields
        if name in kept or name in keys or any(key.startswith(f"{name}_") for key in keys)
    )


class _OwnFilters(MutableMapping):
    """A filterset instance's filters, each a shallow copy of the declared one bound to the instance, made when first
    read: a request reads the few filters it names, not all of them (29 for tickets)."""

    __slots__ = ("_bind", "_declared", "_made")

    def __init__(self, declared: dict, bind: Callable) -> None:
        self._declared, self._bind, self._made = dict(declared), bind, {}

    def __getitem__(self, name: str):
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = self._bind(self._declared[name])
        return made

    def __setitem__(self, name: str, value) -> None:
        self._declared[name] = self._made[name] = value

    def __delitem__(self, name: str) -> None:
        del self._declared[name]
        self._made.pop(name, None)

    def __iter__(self):
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def __contains__(self, name: object) -> bool:
        return name in self._declared


class BaseFilterSet(UtcDateTimesMixin, django_filters.FilterSet):
    """Adds ``search`` over ``search_fields`` and ``updated_since``; boolean filters reject unknown values.

    Field gating holds here too (``psa.gating``): ``search`` leaves out the fields the caller may not see, and a
    filter on such a field is refused with a 403, so nobody can test for a value they are not shown.
    """

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }
    search_fields: tuple[str, ...] = ()
    # True: ``search`` finds what the search index finds (psa.search: whole words, identifiers by substring)
    # instead of substrings of ``search_fields``.
    search_uses_index = False

    search = django_filters.CharFilter(method="filter_search", label="Search")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        # django-filter deep-copies every declared filter for each instance (about 1 ms for the ticket filters on
        # every list request). A filter is configuration; what an instance changes is its model and parent, so a
        # shallow copy each, with a method filter re-bound to the copy, is enough.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = _OwnFilters(self.base_filters, self._own_filter)

    def _own_filter(self, declared):
        filter_ = copy.copy(declared)
        if declared.method is not None:
            filter_.filter = FilterMethod(filter_)
        filter_.model = self.queryset.model
        filter_.parent = self
        return filter_

    @property
    def form(self):
        # A bound form of only the filters the query string names (and those that mean something when left out): an
        # absent filter filters nothing, and a form deep-copies every one of its fields per instance (29 for the
        # ticket filters, about 0.8 ms of every list request). An unbound form (a UI page's first visit) and a form
        # class built per request keep every field.
        if not hasattr(self, "_form"):
            form_class = self.get_form_class()
            if self.is_bound and self.form_prefix is None and form_class is type(self).__dict__.get("_psa_form_class"):
                names = _sent_fields(form_class, self.data, self._bound_when_absent(form_class))
                self._form = _sparse_form(form_class, names)(self.data)
            else:
                self._form = super().form
        return self._form

    def _bound_when_absent(self, form_class: type[forms.Form]) -> frozenset[str] | None:
        """The filters that act when their parameter is left out (a required one, one whose field cleans an absent
        value to something, one filtering on an empty value), decided once per class; ``None`` (every filter
        stays) when the form cleans across its fields."""
        cls = type(self)
        kept = cls.__dict__.get("_psa_bound_when_absent", False)
        if kept is not False:
            return kept
        kept = None
        if form_class.clean is forms.Form.clean and not any(name.startswith("clean_") for name in dir(form_class)):
            empty = self.queryset.none()
            found = set()
            for name, field in form_class.base_fields.items():
                filter_ = self.filters.get(name)
                try:
                    absent = field.clean(field.widget.value_from_datadict(QueryDict(), MultiValueDict(), name))
                    acts = field.required or absent not in EMPTY_VALUES or filter_.filter(empty, absent) is not empty
                except Exception:  # an error when absent (required, or a filter that cannot take it): it stays
                    acts = True
                if acts:
                    found.add(name)
            kept = frozenset(found)
        cls._psa_bound_when_absent = kept
        return kept

    def get_form_class(self):
        # The form class is the same for every instance of a filterset whose fields do not depend on the request
        # (forms copy their fields per instance anyway); building it is most of a filterset's fixed cost.
        cls = type(self)
        cached = cls.__dict__.get("_psa_form_class")
        if cached is not None:
            return cached
        # Filters are shallow copies of the declared ones: a queryset chosen per request is the declared filter's.
        if any(callable(getattr(f, "queryset", None)) for f in self.base_filters.values()):
            return super().get_form_class()
        cached = super().get_form_class()
        cls._psa_form_class = cached
        return cached

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        model = cls._meta.model
        # updated_since only where there is an updated_at (the audit log's events are never updated).
        if model is not None and not any(f.name == "updated_at" for f in model._meta.get_fields()):
            filters.pop("updated_since", None)
        return filters

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        hidden = [name for name in self.data if name in self.filters and self.data.get(name) not in ("", None)]
        hidden = [name for name in hidden if name != "search" and not self.filter_visible(name)]
        if hidden:
            raise PermissionDenied(f"You may not filter on fields you may not see: {', '.join(sorted(hidden))}.")
        return super().filter_queryset(queryset)

    def filter_visible(self, name: str) -> bool:
        """Whether the caller may see the field filter ``name`` matches on."""
        return gating.filter_visible(self.request, self._meta.model, name, self.filters[name].field_name or name)

    def searchable_fields(self) -> list[str]:
        """The ``search_fields`` the caller may see."""
        return [f for f in self.search_fields if gating.lookup_visible(self.request, self._meta.model, f)]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        searchable = search.for_model(self._meta.model) if self.search_uses_index else None
        if value and searchable is not None:  # the search index, as GET /search and /tickets/search use it
            sql, params = lookup.matching_ids(self.request, searchable, text.parse(value))
            if connection.vendor == "postgresql":  # the index keeps ids as text; PostgreSQL compares like with like
                pk_type = self._meta.model._meta.pk.db_type(connection)
                sql = f"SELECT CAST(ids.object_id AS {pk_type}) FROM ({sql}) AS ids(object_id)"
            return queryset.filter(pk__in=RawSQL(sql, params))
        if not value or not self.search_fields:
            return queryset
        fields = self.searchable_fields()
        if not fields:
            return queryset.none()
        query = Q()
        for field in fields:
            query |= self.search_condition(field, value)
        return queryset.filter(query)

    def search_condition(self, field: str, value: str) -> Q:
        return Q(**{f"{field}__icontains": value})
