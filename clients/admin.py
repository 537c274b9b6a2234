"""Django admin for clients, contacts, locations and vendors; every write is audited."""

from __future__ import annotations

from django.contrib import admin

from clients.models import Client, Contact, Location, Vendor
from psa.admin import AuditedAdminMixin


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("first_name", "last_name", "email", "phone", "title", "is_primary", "is_active")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "identifier", "type", "archived_at", "updated_at")
    list_filter = ("type", "is_lead", ("archived_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "identifier", "website", "email")
    readonly_fields = ("created_at", "updated_at")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "client", "email", "phone", "title", "is_primary", "is_active")
    list_filter = ("is_active", "is_primary")
    search_fields = ("first_name", "last_name", "email", "phone", "client__name")
    list_select_related = ("client",)
    raw_id_fields = ("client", "location")


@admin.register(Location)
class LocationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "city", "country", "is_primary")
    search_fields = ("name", "city", "client__name")
    list_select_related = ("client",)
    raw_id_fields = ("client",)


@admin.register(Vendor)
class VendorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "client", "contact_name", "email", "phone")
    search_fields = ("name", "contact_name", "email", "client__name")
    list_select_related = ("client",)
    raw_id_fields = ("client",)
