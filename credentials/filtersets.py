import django_filters

from credentials.models import Credential, CredentialType
from psa.filtersets import BaseFilterSet


class CredentialFilterSet(BaseFilterSet):
    """Search covers names, notes, the type's name and non-secure values only (secure values are ciphertext)."""

    search_fields = ("name", "notes", "type__name", "values")
    client_id = django_filters.UUIDFilter(field_name="client_id")
    type_id = django_filters.UUIDFilter(field_name="type_id")
    type = django_filters.CharFilter(field_name="type__name", lookup_expr="iexact", label="Type name")
    parent_id = django_filters.UUIDFilter(field_name="parent_id")
    contact_id = django_filters.UUIDFilter(field_name="contacts__id", distinct=True)
    vendor_id = django_filters.UUIDFilter(field_name="vendors__id", distinct=True)
    asset_id = django_filters.UUIDFilter(field_name="assets__id", distinct=True)
    software_id = django_filters.UUIDFilter(field_name="software__id", distinct=True)

    class Meta:
        model = Credential
        fields = []


class CredentialTypeFilterSet(BaseFilterSet):
    search_fields = ("name", "description", "permission_scope")

    class Meta:
        model = CredentialType
        fields = ["permission_scope"]
