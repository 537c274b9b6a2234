"""Django admin for the catalog: services and products, audited like every other write."""

from django.contrib import admin

from catalog.models import (
    CatalogCategory,
    CatalogGroup,
    CatalogSubcategory,
    Ecosystem,
    EcosystemRule,
    Product,
    ProductLink,
    Service,
)
from psa.admin import AuditedAdminMixin


@admin.register(Service)
class ServiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "default_rate", "currency", "is_billable", "is_active", "external_source", "external_id")
    list_filter = ("is_active", "is_billable", "currency", "external_source")
    search_fields = ("name", "description", "external_id")


@admin.register(Product)
class ProductAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "sku", "manufacturer", "unit_price", "cost", "currency", "on_hand", "is_active")
    list_filter = ("is_active", "currency", "manufacturer", "external_source")
    search_fields = ("name", "sku", "manufacturer", "description", "external_id")


class CatalogSubcategoryInline(admin.TabularInline):
    model = CatalogSubcategory
    extra = 0
    fields = ("name", "cw_id", "group", "position")


class CatalogGroupInline(admin.TabularInline):
    model = CatalogGroup
    extra = 0
    fields = ("name", "position")


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The procurement category tree (``GET /procurement/categories``): categories, their groups and subcategories."""

    list_display = ("name", "cw_id", "position")
    inlines = [CatalogGroupInline, CatalogSubcategoryInline]


class EcosystemRuleInline(admin.TabularInline):
    model = EcosystemRule
    extra = 0


@admin.register(Ecosystem)
class EcosystemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Ecosystems and their manufacturer + category + subcategory-prefix rules (the ``ecosystem`` filter)."""

    list_display = ("name", "position")
    inlines = [EcosystemRuleInline]


@admin.register(ProductLink)
class ProductLinkAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("source", "target", "kind")
    list_filter = ("kind",)
    raw_id_fields = ("source", "target")
