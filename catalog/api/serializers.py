"""Catalog API serializers. Field names follow AlgaPSA's service catalog (``service_id``, ``service_name``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import MAX_MONEY, CatalogItem, Product, ProductLink, Service
from integrations.hooks import refuse_mastered_writes
from psa.api.serializers import GatedModelSerializer, PassiveSerializer

MAX_ON_HAND = 10**9


def normalise_currency(value: str) -> str:
    value = (value or "").strip()
    if len(value) != 3 or not (value.isascii() and value.isalpha()):
        raise serializers.ValidationError("Use a three-letter ISO 4217 code, e.g. USD.")
    return value.upper()


class MoneyField(serializers.IntegerField):
    """An amount in minor units (cents): a whole number from 0."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_MONEY)
        super().__init__(**kwargs)


def _unique_name(model, value: str, instance, field: str = "name") -> str:
    value = value.strip()
    if not value:
        raise serializers.ValidationError("This field may not be blank.")
    clash = model.objects.filter(**{f"{field}__iexact": value})
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise serializers.ValidationError(f"Another {model._meta.verbose_name} already uses this {field}.")
    return value


def _unique_external(model, attrs: dict, instance) -> None:
    source = attrs.get("external_source", getattr(instance, "external_source", ""))
    external_id = attrs.get("external_id", getattr(instance, "external_id", ""))
    if not external_id:
        return
    clash = model.objects.filter(external_source=source, external_id=external_id)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise serializers.ValidationError({"external_id": ["Another item from this source has this external id."]})


class ServiceSerializer(GatedModelSerializer):
    gating_scope = "service"
    gating_label = "Service"
    service_id = serializers.UUIDField(source="id", read_only=True)
    service_name = serializers.CharField(source="name", max_length=200)
    default_rate = MoneyField(required=False)
    currency = serializers.CharField(max_length=3, required=False)

    class Meta:
        model = Service
        fields = [
            "id", "service_id", "service_name", "description", "default_rate", "currency", "is_billable",
            "is_active", "external_source", "external_id", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked below, with messages naming the field

    def validate_service_name(self, value: str) -> str:
        return _unique_name(Service, value, self.instance)

    def validate_currency(self, value: str) -> str:
        return normalise_currency(value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _unique_external(Service, attrs, self.instance)
        return attrs


class ProductSerializer(GatedModelSerializer):
    gating_scope = "product"
    gating_label = "Product"
    product_id = serializers.UUIDField(source="id", read_only=True)
    product_name = serializers.CharField(source="name", max_length=200)
    unit_price = MoneyField(required=False)
    cost = MoneyField(required=False)
    currency = serializers.CharField(max_length=3, required=False)
    on_hand = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ON_HAND)

    class Meta:
        model = Product
        fields = [
            "id", "product_id", "product_name", "sku", "manufacturer", "description", "unit_price", "cost",
            "currency", "on_hand", "is_active", "external_source", "external_id", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []

    def validate_product_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_sku(self, value: str) -> str:
        value = value.strip()
        return _unique_name(Product, value, self.instance, field="sku") if value else value

    def validate_currency(self, value: str) -> str:
        return normalise_currency(value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        refuse_synced_writes(self, attrs)
        _unique_external(Product, attrs, self.instance)
        return attrs


def refuse_synced_writes(serializer: serializers.ModelSerializer, attrs: dict) -> None:
    """A 400 naming each field a sync masters (``integrations.hooks``) that a write would change on a synced item.

    The hook names model fields; the error names the API's (``product_name`` for ``name``), so the caller sees the
    field it sent.
    """
    try:
        refuse_mastered_writes(serializer, attrs)
    except serializers.ValidationError as exc:
        api_names = {field.source: name for name, field in serializer.fields.items()}
        raise serializers.ValidationError(
            {api_names.get(source, source): messages for source, messages in exc.detail.items()}
        ) from None


@extend_schema_field(OpenApiTypes.BOOL)
class _NegatedBooleanField(serializers.ReadOnlyField):
    """Shows ``not <source>`` (``inactive`` from ``is_active``), so gating maps it to the model field it shows."""

    def to_representation(self, value) -> bool:
        return not value


@extend_schema_field(OpenApiTypes.BOOL)
class _InStockField(serializers.ReadOnlyField):
    def to_representation(self, value) -> bool:
        return value > 0


@extend_schema_field({"type": "integer", "nullable": True})
class _ConnectWiseIdField(serializers.ReadOnlyField):
    """The ConnectWise id of a synced item (its ``external_id``), as a number; null for local items."""

    def get_attribute(self, instance):
        return instance.external_id if instance.external_source == "connectwise" else ""

    def to_representation(self, value) -> int | None:
        return int(value) if str(value).isdigit() else None


class CatalogItemSerializer(GatedModelSerializer):
    """A product as seed 004's procurement routes show it; read-only (the catalog sync and ``/products`` write)."""

    gating_scope = "catalogItem"
    gating_label = "Catalog item"
    cw_catalog_id = _ConnectWiseIdField(source="external_id")
    identifier = serializers.CharField(source="sku", read_only=True)
    price = serializers.IntegerField(source="unit_price", read_only=True, help_text="Minor units (cents)")
    inactive = _NegatedBooleanField(source="is_active")
    sales_taxable = serializers.BooleanField(source="is_taxable", read_only=True)
    in_stock = _InStockField(source="on_hand")

    class Meta:
        model = CatalogItem
        fields = [
            "id", "cw_catalog_id", "identifier", "name", "description", "customer_description", "internal_notes",
            "category", "category_cw_id", "subcategory", "subcategory_cw_id", "manufacturer", "manufacturer_cw_id",
            "part_number", "vendor_name", "vendor_sku", "vendor_cw_id", "product_class", "price", "cost", "currency",
            "inactive", "sales_taxable", "on_hand", "in_stock", "cw_last_updated", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class LinkedItemSerializer(CatalogItemSerializer):
    """A linked item: the item itself plus how it is linked (``kind``, and ``direction`` from the item asked)."""

    link_kind = serializers.SerializerMethodField()
    link_direction = serializers.SerializerMethodField()

    class Meta(CatalogItemSerializer.Meta):
        fields = [*CatalogItemSerializer.Meta.fields, "link_kind", "link_direction"]
        read_only_fields = fields

    def get_link_kind(self, obj) -> str:
        return getattr(obj, "link_kind", "")

    def get_link_direction(self, obj) -> str:
        return getattr(obj, "link_direction", "")


class LinkRequestSerializer(PassiveSerializer):
    target_id = serializers.CharField(max_length=100, help_text="The other item: our id, ConnectWise id or SKU")
    kind = serializers.ChoiceField(choices=ProductLink.Kind.choices, required=False, default="related")


class UnlinkRequestSerializer(PassiveSerializer):
    target_id = serializers.CharField(max_length=100, help_text="The other item: our id, ConnectWise id or SKU")
