"""Django admin for client documentation. Every add, change and delete is audited, as in the UI and the API."""

from django.contrib import admin

from assets.models import Asset, AssetInterface, Certificate, Domain, ExpiringItem, Network, Software, SoftwareSeat
from psa.admin import AuditedAdminMixin


class AssetInterfaceInline(admin.TabularInline):
    model = AssetInterface
    extra = 0
    fields = ("name", "mac", "ipv4", "ipv6", "port", "network", "is_primary")
    raw_id_fields = ("network",)


@admin.register(Asset)
class AssetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "type", "status", "serial", "warranty_expires")
    list_filter = ("type", "status")
    search_fields = ("name", "serial", "interfaces__mac", "client__name")
    raw_id_fields = ("client", "location", "contact", "vendor", "network")
    list_select_related = ("client",)
    inlines = [AssetInterfaceInline]


@admin.register(Network)
class NetworkAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "cidr", "vlan", "gateway")
    search_fields = ("name", "cidr", "client__name")
    raw_id_fields = ("client", "location")
    list_select_related = ("client",)


@admin.register(Domain)
class DomainAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "expires_on")
    search_fields = ("name", "client__name")
    raw_id_fields = ("client", "registrar", "web_host")
    list_select_related = ("client",)


@admin.register(Certificate)
class CertificateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "domain", "issuer", "expires_on")
    search_fields = ("name", "domain", "client__name")
    raw_id_fields = ("client", "domain_record")
    list_select_related = ("client",)


class SoftwareSeatInline(admin.TabularInline):
    model = SoftwareSeat
    extra = 0
    raw_id_fields = ("asset", "contact")


@admin.register(Software)
class SoftwareAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "version", "client", "license_type", "seats", "expires_on")
    list_filter = ("type", "license_type")
    search_fields = ("name", "client__name")
    raw_id_fields = ("client", "vendor")
    list_select_related = ("client",)
    inlines = [SoftwareSeatInline]


@admin.register(ExpiringItem)
class ExpiringItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "name", "client", "expires_on")
    list_filter = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
