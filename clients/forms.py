"""Forms of the client pages. Validation is the API serializers' (see :class:`psa.forms.SerializerForm`)."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet

from clients.api.serializers import ClientSerializer, ContactSerializer, LocationSerializer
from clients.models import Client, Contact, Location, Vendor
from psa.access import restrict
from psa.forms import SerializerForm
from psa.ui_gate import gated_label


def _choices(request, queryset: QuerySet, label=str) -> list[tuple]:
    """``(pk, label)`` for a select; each label is read through the caller's field gate."""
    return [(obj.pk, gated_label(request, obj, label)) for obj in queryset]


class ClientForm(SerializerForm):
    serializer_class = ClientSerializer
    field_names = (
        "name", "identifier", "type", "website", "phone", "email", "address", "hourly_rate", "currency", "tags",
        "is_lead", "notes",
    )  # fmt: skip
    labels = {"is_lead": "Lead (not yet a customer)", "hourly_rate": "Hourly rate"}
    help_texts = {
        "identifier": "Optional short unique code, e.g. ACME.",
        "website": "A full address, e.g. https://example.com.",
        "currency": "Three-letter ISO 4217 code, e.g. USD or EUR.",
        "tags": "Separate tags with commas.",
    }
    widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class ClientDocumentForm(SerializerForm):
    """A form for something a client owns: its relation choices are that client's rows, and a new one is theirs."""

    def __init__(self, data=None, *, client: Client, request, instance=None, **kwargs):
        self.client = client
        fixed = kwargs.pop("fixed", None) or ({"client_id": str(client.pk)} if instance is None else {})
        super().__init__(data, request=request, instance=instance, fixed=fixed, **kwargs)

    def client_rows(self, model, **filters) -> QuerySet:
        return restrict(model.objects.filter(client=self.client, **filters), self.request)

    def vendor_choices(self) -> list[tuple]:
        vendors = restrict(Vendor.objects.filter(Q(client=self.client) | Q(client__isnull=True)), self.request)
        return _choices(
            self.request, vendors.order_by("name", "id"), lambda v: v.name if v.client_id else f"{v.name} (MSP)"
        )

    def contact_choices(self) -> list[tuple]:
        return _choices(
            self.request, self.client_rows(Contact), lambda c: c.name if c.is_active else f"{c.name} (archived)"
        )


class ContactForm(ClientDocumentForm):
    serializer_class = ContactSerializer
    field_names = (
        "first_name", "last_name", "title", "department", "email", "phone", "mobile", "extension", "location_id",
        "is_primary", "is_billing", "is_technical", "is_active", "notes",
    )  # fmt: skip
    labels = {
        "is_primary": "Primary contact",
        "is_billing": "Billing contact",
        "is_technical": "Technical contact",
        "is_active": "Active (untick to archive the contact)",
    }

    def related_choices(self):
        return {"location_id": _choices(self.request, self.client_rows(Location))}


class LocationForm(ClientDocumentForm):
    serializer_class = LocationSerializer
    field_names = (
        "name", "address1", "address2", "city", "state", "zip", "country", "phone", "is_primary", "notes",
    )  # fmt: skip
    labels = {
        "address1": "Address line 1",
        "address2": "Address line 2",
        "state": "State or region",
        "zip": "Postal code",
        "is_primary": "Primary location",
    }
