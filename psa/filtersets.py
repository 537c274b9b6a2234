"""Shared filterset machinery: one filterset per model serves the API and the UI lists."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

from psa import gating

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

    search = django_filters.CharFilter(method="filter_search", label="Search")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

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
