"""The procurement catalog's own tables: links between items, and the category and ecosystem taxonomy.

The taxonomy (seed 004's ``/procurement/categories``) is data that admins edit in the Django admin, seeded by a data
migration from the seed's example: categories hold subcategories directly or through an umbrella group, and an
ecosystem is a set of rules (manufacturer + category + subcategory prefix) that cut across categories.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from psa.models import BaseModel


class ProductLink(BaseModel):
    """``source`` goes with ``target`` (an accessory, a replacement...); readable from both ends."""

    class Kind(models.TextChoices):
        RELATED = "related"
        ACCESSORY = "accessory"
        REPLACEMENT = "replacement"

    source = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_product_link"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="product_link_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.kind})"


class CatalogCategory(BaseModel):
    """A ConnectWise catalog category (``Technology``), the top of the tree."""

    name = models.CharField(max_length=100)
    cw_id = models.IntegerField(null=True, blank=True, help_text="The category's id in ConnectWise")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "name", "id")
        verbose_name_plural = "catalog categories"
        constraints = [models.UniqueConstraint(Lower("name"), name="unique_catalog_category_name_ci")]

    def __str__(self) -> str:
        return self.name


class CatalogGroup(BaseModel):
    """An umbrella over several subcategories of one category (``Network`` over ``Network-Switch``...)."""

    category = models.ForeignKey(CatalogCategory, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "name", "id")
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="unique_catalog_group")]

    def __str__(self) -> str:
        return f"{self.category} / {self.name}"


class CatalogSubcategory(BaseModel):
    """A ConnectWise subcategory, directly under its category or inside one of its groups."""

    category = models.ForeignKey(CatalogCategory, on_delete=models.CASCADE, related_name="subcategories")
    group = models.ForeignKey(
        CatalogGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="subcategories"
    )
    name = models.CharField(max_length=100)
    cw_id = models.IntegerField(null=True, blank=True, help_text="The subcategory's id in ConnectWise")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "name", "id")
        verbose_name_plural = "catalog subcategories"
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="unique_catalog_subcategory")]

    def __str__(self) -> str:
        return f"{self.category} / {self.name}"


class Ecosystem(BaseModel):
    """A cross-cutting product family (``Networking``): the items any of its rules match."""

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "name", "id")
        constraints = [models.UniqueConstraint(Lower("name"), name="unique_ecosystem_name_ci")]

    def __str__(self) -> str:
        return self.name


class EcosystemRule(BaseModel):
    """Items of this manufacturer, in this category, whose subcategory starts with the prefix (blank: any)."""

    ecosystem = models.ForeignKey(Ecosystem, on_delete=models.CASCADE, related_name="rules")
    manufacturer = models.CharField(max_length=200)
    manufacturer_cw_id = models.IntegerField(null=True, blank=True)
    category = models.CharField(max_length=100, blank=True)
    subcategory_prefix = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ("ecosystem", "manufacturer", "id")

    def __str__(self) -> str:
        return f"{self.ecosystem}: {self.manufacturer} {self.category} {self.subcategory_prefix}*"

    def condition(self) -> Q:
        query = Q(manufacturer__iexact=self.manufacturer)
        if self.category:
            query &= Q(category__iexact=self.category)
        if self.subcategory_prefix:
            query &= Q(subcategory__istartswith=self.subcategory_prefix)
        return query
