"""Forms of the catalog pages. Validation is the API serializers' (see :class:`psa.forms.SerializerForm`)."""

from __future__ import annotations

from django import forms

from catalog.api.serializers import ProductSerializer
from psa.forms import SerializerForm


class ProductForm(SerializerForm):
    """A product as ``PATCH /products/{id}`` changes it; on a synced item the fields ConnectWise masters are locked
    (the base form reads the locks' model names, ``name``, under the API's, ``product_name``)."""

    serializer_class = ProductSerializer
    field_names = (
        "product_name", "sku", "manufacturer", "description", "unit_price", "cost", "currency", "on_hand", "is_active",
    )  # fmt: skip
    labels = {"product_name": "Name", "sku": "SKU", "unit_price": "Unit price (cents)", "cost": "Cost (cents)"}
    help_texts = {"currency": "Three-letter ISO 4217 code, e.g. USD or EUR."}
    widgets = {"description": forms.Textarea(attrs={"rows": 4})}
