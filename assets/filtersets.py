from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from assets import validators
from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software, SoftwareSeat
from psa import gating
from psa.filtersets import BaseFilterSet, StrictBooleanFilter


class ExpiringFilterSet(BaseFilterSet):
    """Adds ``expiring_within_days``: expiring on or before today plus N days (already expired included)."""

    expiry_field = "expires_on"
    client_id = django_filters.UUIDFilter(field_name="client_id")
    expiring_within_days = django_filters.NumberFilter(method="filter_expiring", min_value=0, max_value=3650)

    def filter_expiring(self, queryset, name, value):
        horizon = timezone.localdate() + timedelta(days=int(value))
        return queryset.filter(**{f"{self.expiry_field}__isnull": False, f"{self.expiry_field}__lte": horizon})


class MacFormField(forms.CharField):
    """Validates and normalizes a MAC address, so a bad one is a form error (400 in the API)."""

    def clean(self, value):
        value = super().clean(value)
        return validators.normalize_mac(value) if value else value


class MacFilter(django_filters.CharFilter):
    field_class = MacFormField

    def filter(self, qs, value):
        return qs.filter(interfaces__mac=value).distinct() if value else qs


class AssetFilterSet(ExpiringFilterSet):
    expiry_field = "warranty_expires"
    search_fields = ("name", "serial", "make", "model", "os", "notes")
    mac = MacFilter(label="MAC address of any interface")
    serial = django_filters.CharFilter(field_name="serial", lookup_expr="iexact")
    is_archived = StrictBooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    contact_id = django_filters.UUIDFilter(field_name="contact_id")
    location_id = django_filters.UUIDFilter(field_name="location_id")

    class Meta:
        model = Asset
        fields = ["type", "status"]

    def filter_search(self, queryset, name, value):
        """Asset fields, plus the MAC or IP address of any interface (a subquery, so no duplicate rows)."""
        value = value.strip()
        if not value:
            return queryset
        # Field gating: only the interface columns the caller may see (through the asset's interfaces).
        lookups = [f for f in ("interfaces__mac", "interfaces__ipv4") if f in self.visible_lookups()]
        own = super().filter_search(queryset, name, value)
        if not lookups:
            return own
        condition = Q(*(Q(**{f"{f.split('__')[1]}__icontains": value}) for f in lookups), _connector=Q.OR)
        on_interfaces = AssetInterface.objects.filter(condition)
        return own | queryset.filter(id__in=on_interfaces.values("asset_id"))

    def visible_lookups(self) -> set[str]:
        return {f for f in ("interfaces__mac", "interfaces__ipv4") if gating.lookup_visible(self.request, Asset, f)}


class AssetInterfaceFilterSet(BaseFilterSet):
    search_fields = ("name", "mac", "ipv4", "ipv6", "port")

    class Meta:
        model = AssetInterface
        fields = ["is_primary"]


class NetworkFilterSet(BaseFilterSet):
    search_fields = ("name", "cidr", "gateway", "notes")
    client_id = django_filters.UUIDFilter(field_name="client_id")

    class Meta:
        model = Network
        fields = ["vlan"]


class DomainFilterSet(ExpiringFilterSet):
    search_fields = ("name", "notes")

    class Meta:
        model = Domain
        fields = []


class CertificateFilterSet(ExpiringFilterSet):
    search_fields = ("name", "domain", "issuer")

    class Meta:
        model = Certificate
        fields = []


class SoftwareFilterSet(ExpiringFilterSet):
    search_fields = ("name", "version", "notes")

    class Meta:
        model = Software
        fields = ["type", "license_type"]


class SoftwareSeatFilterSet(django_filters.FilterSet):
    asset_id = django_filters.UUIDFilter(field_name="asset_id")
    contact_id = django_filters.UUIDFilter(field_name="contact_id")

    class Meta:
        model = SoftwareSeat
        fields = []
