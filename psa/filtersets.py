"""Shared filterset machinery: one filterset per model serves the API and the UI lists."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet


class BaseFilterSet(django_filters.FilterSet):
    """Adds ``search`` over ``search_fields`` and ``updated_since``."""

    search_fields: tuple[str, ...] = ()

    search = django_filters.CharFilter(method="filter_search", label="Search")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)
