"""Shared filterset machinery: one filterset per model serves the API and the UI lists."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.db.models import Q, QuerySet

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


class BaseFilterSet(django_filters.FilterSet):
    """Adds ``search`` over ``search_fields`` and ``updated_since``; boolean filters reject unknown values."""

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

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)
