import django_filters

from clients.models import Client, Contact, Location, Vendor
from psa.filtersets import BaseFilterSet, StrictBooleanFilter


class ClientFilterSet(BaseFilterSet):
    search_fields = ("name", "identifier", "website", "email", "phone")
    is_active = StrictBooleanFilter(field_name="archived_at", lookup_expr="isnull")
    client_id = django_filters.UUIDFilter(field_name="id")
    # AlgaPSA's filters, sent by its mobile app.
    is_inactive = StrictBooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    client_name = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)
    tag = django_filters.CharFilter(method="filter_tag")

    class Meta:
        model = Client
        fields = ["type", "is_lead"]

    def filter_tag(self, queryset, name, value):
        # JSON containment is not portable to SQLite; match the quoted tag inside the JSON text instead.
        return queryset.filter(tags__icontains=f'"{value}"')


class ContactFilterSet(BaseFilterSet):
    search_fields = ("first_name", "last_name", "email", "phone", "mobile", "title", "department")
    client_id = django_filters.UUIDFilter(field_name="client_id")
    is_inactive = StrictBooleanFilter(field_name="is_active", exclude=True, label="Archived (AlgaPSA's name)")
    location_id = django_filters.UUIDFilter(field_name="location_id")

    class Meta:
        model = Contact
        fields = ["is_active", "is_primary", "is_billing", "is_technical"]


class LocationFilterSet(BaseFilterSet):
    search_fields = ("name", "address1", "city", "state", "zip", "country", "phone")
    client_id = django_filters.UUIDFilter(field_name="client_id")

    class Meta:
        model = Location
        fields = ["is_primary", "country"]


class VendorFilterSet(BaseFilterSet):
    search_fields = ("name", "description", "contact_name", "email", "account_number")
    client_id = django_filters.UUIDFilter(field_name="client_id")
    shared = StrictBooleanFilter(field_name="client", lookup_expr="isnull", label="MSP-wide vendors only")

    class Meta:
        model = Vendor
        fields = []
