"""What the MSP sells: services (labour types that time entries are logged against) and products (used as materials).

Catalog items are MSP-wide, not owned by a client. Money is stored in minor units (cents) with an ISO 4217
currency. ``external_source``/``external_id`` identify the row in another system (a procurement catalog) so a
later sync can find and refresh it; nothing here knows which system that is.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from psa.models import BaseModel

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. USD.")
MAX_MONEY = 10**13  # minor units: a hundred billion in a two-decimal currency


class ExternalRecordMixin(models.Model):
    """Where an item came from when another system fills the catalog (empty for items made here)."""

    external_source = models.CharField(max_length=50, blank=True, help_text="The system the item comes from")
    external_id = models.CharField(max_length=100, blank=True, help_text="The item's id in that system")

    class Meta:
        abstract = True


class ProcurementFieldsMixin(models.Model):
    """What a procurement catalog (ConnectWise's) says about a product beyond name, price and stock.

    Filled by the ConnectWise catalog sync, which masters these on synced items; empty or null on local items.
    """

    customer_description = models.TextField(blank=True)
    internal_notes = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    category_cw_id = models.IntegerField(null=True, blank=True)
    subcategory = models.CharField(max_length=100, blank=True)
    subcategory_cw_id = models.IntegerField(null=True, blank=True)
    manufacturer_cw_id = models.IntegerField(null=True, blank=True)
    part_number = models.CharField(max_length=100, blank=True)
    vendor_name = models.CharField(max_length=200, blank=True)
    vendor_sku = models.CharField(max_length=100, blank=True)
    vendor_cw_id = models.IntegerField(null=True, blank=True)
    product_class = models.CharField(max_length=20, blank=True)
    is_taxable = models.BooleanField(default=True)
    cw_last_updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Service(ExternalRecordMixin, BaseModel):
    """A labour type ("Remote support", "Onsite"): its default hourly rate and whether its time is billable."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    default_rate = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0)], help_text="Per hour, in minor units (cents)"
    )
    currency = models.CharField(max_length=3, default="USD", validators=[CURRENCY_VALIDATOR])
    is_billable = models.BooleanField(default=True, help_text="New time entries of this service are billable")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="unique_service_name_ci"),
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_service_external_id",
            ),
            models.CheckConstraint(condition=Q(default_rate__gte=0), name="service_rate_not_negative"),
        ]
        indexes = [models.Index(fields=["is_active", "name"], name="service_active_name")]

    def __str__(self) -> str:
        return self.name


class Product(ProcurementFieldsMixin, ExternalRecordMixin, BaseModel):
    """Hardware, licences and parts: what a technician adds to a ticket as material, with stock on hand."""

    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=100, blank=True)
    manufacturer = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    unit_price = models.BigIntegerField(default=0, validators=[MinValueValidator(0)], help_text="Minor units")
    cost = models.BigIntegerField(default=0, validators=[MinValueValidator(0)], help_text="Minor units")
    currency = models.CharField(max_length=3, default="USD", validators=[CURRENCY_VALIDATOR])
    on_hand = models.IntegerField(default=0, validators=[MinValueValidator(0)], help_text="Units in stock")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(Lower("sku"), condition=~Q(sku=""), name="unique_product_sku_ci"),
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="unique_product_external_id",
            ),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="product_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(cost__gte=0), name="product_money_not_negative"),
        ]
        indexes = [
            models.Index(fields=["is_active", "name"], name="product_active_name"),
            models.Index(fields=["category", "subcategory"], name="product_category"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name


class CatalogItem(Product):
    """A product as seed 004's procurement routes show it (``/procurement/items``), gated by ``obj.catalogItem.*``.

    A proxy: the same rows as :class:`Product`, so local and synced items are one catalog; it exists so the
    procurement view's field gating has its own scope beside the product API's ``obj.product.*``.
    """

    class Meta:
        proxy = True
        ordering = ("name", "id")


from catalog.procurement_models import (  # noqa: E402  (they refer to Product)
    CatalogCategory,
    CatalogGroup,
    CatalogSubcategory,
    Ecosystem,
    EcosystemRule,
    ProductLink,
)

__all__ = [
    "CatalogCategory", "CatalogGroup", "CatalogItem", "CatalogSubcategory", "Ecosystem", "EcosystemRule", "Product",
    "ProductLink", "Service",
]  # fmt: skip
