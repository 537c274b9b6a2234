"""Django admin for the catalog: services and products, audited like every other write."""

from django.contrib import admin

from catalog.models import Product, Service
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
