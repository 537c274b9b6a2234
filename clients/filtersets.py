import django_filters

from clients.models import Client, Contact
from psa.filtersets import BaseFilterSet


class ClientFilterSet(BaseFilterSet):
    search_fields = ("name", "identifier", "website")
    is_active = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull")
    client_id = django_filters.UUIDFilter(field_name="id")

    class Meta:
        model = Client
        fields = ["type"]


class ContactFilterSet(BaseFilterSet):
    search_fields = ("first_name", "last_name", "email", "phone", "title")
    client_id = django_filters.UUIDFilter(field_name="client_id")

    class Meta:
        model = Contact
        fields = ["is_active", "is_primary"]
