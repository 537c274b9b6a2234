"""Forms of the catalog pages. Validation is the API serializers' (see :class:`psa.forms.SerializerForm`)."""

from __future__ import annotations

from django import forms
from rest_framework import serializers

from catalog.api.serializers import ProductSerializer
from psa.forms import FIELD_LOCKS, SerializerForm


class ProductForm(SerializerForm):
    """A product as ``PATCH /products/{id}`` changes it; on a synced item the fields ConnectWise masters are locked."""

    serializer_class = ProductSerializer
    field_names = (
        "product_name", "sku", "manufacturer", "description", "unit_price", "cost", "currency", "on_hand", "is_active",
    )  # fmt: skip
    labels = {"product_name": "Name", "sku": "SKU", "unit_price": "Unit price (cents)", "cost": "Cost (cents)"}
    help_texts = {"currency": "Three-letter ISO 4217 code, e.g. USD or EUR."}
    widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def lock_fields(self, probe: serializers.Serializer) -> frozenset[str]:
        """As the base form does, but the locks name model fields (``name``) and this form the API's
        (``product_name``): each lock is read under the form field whose source it names."""
        if self.instance is None:
            return frozenset()
        by_source = {field.source: name for name, field in self.serializer_fields.items()}
        notes: dict[str, str] = {}
        for lock in FIELD_LOCKS:
            notes.update({by_source.get(name, name): note for name, note in lock(self.instance).items()})
        locked = frozenset(name for name in notes if name in self.fields)
        current = self.initial_from(probe.data)
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = notes[name]
            self.initial[name] = current.get(name)
        return locked
