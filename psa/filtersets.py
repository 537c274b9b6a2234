"""Shared filterset machinery: one filterset per model serves the API and the UI lists."""

from __future__ import annotations

import copy
import datetime

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
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
        self.filters = {}
        for name, declared in self.base_filters.items():
            filter_ = copy.copy(declared)
            if declared.method is not None:
                filter_.filter = FilterMethod(filter_)
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self):
        # The form class is the same for every instance of a filterset whose fields do not depend on the request
        # (forms copy their fields per instance anyway); building it is most of a filterset's fixed cost.
        cls = type(self)
        if any(callable(getattr(f, "queryset", None)) for f in self.filters.values()):
            return super().get_form_class()
        cached = cls.__dict__.get("_psa_form_class")
        if cached is None:
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
