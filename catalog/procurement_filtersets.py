"""The filters of seed 004's ``GET /procurement/items`` and ``/procurement/count`` (snake_case names)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from catalog.models import CatalogItem, CatalogSubcategory, Ecosystem
from psa.filtersets import BaseFilterSet, StrictBooleanFilter


class ProcurementFilterSet(BaseFilterSet):
    search_fields = ("name", "description", "part_number", "vendor_sku", "manufacturer", "sku")
    include_inactive = StrictBooleanFilter(
        field_name="is_active", method="filter_include_inactive", label="Include inactive items (default false)"
    )
    category = django_filters.CharFilter(lookup_expr="iexact", label="ConnectWise category name")
    subcategory = django_filters.CharFilter(lookup_expr="iexact", label="ConnectWise subcategory name")
    group = django_filters.CharFilter(
        field_name="subcategory", method="filter_group", label="Umbrella group (with category: within it)"
    )
    manufacturer = django_filters.CharFilter(lookup_expr="icontains", label="Manufacturer name contains")
    ecosystem = django_filters.CharFilter(
        field_name="manufacturer", method="filter_ecosystem", label="Ecosystem name (its manufacturer rules)"
    )
    in_stock = StrictBooleanFilter(field_name="on_hand", method="filter_in_stock", label="Only items on hand")
    min_price = django_filters.NumberFilter(field_name="unit_price", lookup_expr="gte", label="Price at least (cents)")
    max_price = django_filters.NumberFilter(field_name="unit_price", lookup_expr="lte", label="Price at most (cents)")

    class Meta:
        model = CatalogItem
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_inactive"):
            queryset = queryset.filter(is_active=True)
        return queryset

    def filter_include_inactive(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so that leaving it out means "active only"

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(on_hand__gt=0) if value else queryset

    def filter_group(self, queryset, name, value):
        value = value.strip()
        subcategories = CatalogSubcategory.objects.filter(group__name__iexact=value)
        category = (self.data.get("category") or "").strip()
        if category:
            subcategories = subcategories.filter(category__name__iexact=category)
        names = list(subcategories.values_list("name", flat=True))
        if not names and not CatalogSubcategory.objects.filter(group__name__iexact=value).exists():
            raise ValidationError({"group": [f"Unknown group '{value[:100]}'; see /procurement/categories."]})
        query = Q()
        for subcategory in names:
            query |= Q(subcategory__iexact=subcategory)
        return queryset.filter(query) if names else queryset.none()

    def filter_ecosystem(self, queryset, name, value):
        ecosystem = Ecosystem.objects.filter(name__iexact=value.strip()).prefetch_related("rules").first()
        if ecosystem is None:
            raise ValidationError({"ecosystem": [f"Unknown ecosystem '{value[:100]}'; see /procurement/categories."]})
        query = Q()
        for rule in ecosystem.rules.all():
            query |= rule.condition()
        return queryset.filter(query) if query else queryset.none()
