"""Catalog API serializers. Field names follow AlgaPSA's service catalog (``service_id``, ``service_name``)."""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import MAX_MONEY, Product, Service
from psa.api.serializers import GatedModelSerializer

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
        _unique_external(Product, attrs, self.instance)
        return attrs
