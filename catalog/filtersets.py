import django_filters

from catalog.models import Product, Service
from psa.filtersets import BaseFilterSet, StrictBooleanFilter


class ServiceFilterSet(BaseFilterSet):
    search_fields = ("name", "description", "external_id")
    external_id = django_filters.CharFilter()
    external_source = django_filters.CharFilter()
    currency = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Service
        fields = ["is_active", "is_billable"]


class ProductFilterSet(BaseFilterSet):
    search_fields = ("name", "sku", "manufacturer", "description", "external_id")
    sku = django_filters.CharFilter(lookup_expr="iexact")
    manufacturer = django_filters.CharFilter(lookup_expr="icontains")
    external_id = django_filters.CharFilter()
    external_source = django_filters.CharFilter()
    currency = django_filters.CharFilter(lookup_expr="iexact")
    in_stock = StrictBooleanFilter(method="filter_in_stock", label="Only products with stock on hand")
    price_min = django_filters.NumberFilter(
        field_name="unit_price", lookup_expr="gte", label="Unit price at least (minor units)"
    )
    price_max = django_filters.NumberFilter(
        field_name="unit_price", lookup_expr="lte", label="Unit price at most (minor units)"
    )

    class Meta:
        model = Product
        fields = ["is_active"]

    def filter_in_stock(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(on_hand__gt=0) if value else queryset.filter(on_hand=0)
