"""Catalog API: ``/services`` and ``/products``. MSP-wide rows that client-scoped callers may read but not change."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from catalog.api.serializers import ProductSerializer, ServiceSerializer
from catalog.filtersets import ProductFilterSet, ServiceFilterSet
from catalog.models import Product, Service
from psa.access import client_scope
from psa.api.viewsets import PsaModelViewSet

DATED_SORTS = {"created_at": "created_at", "updated_at": "updated_at"}


class MspWideWritesMixin:
    """Like the MSP's own vendors: a caller limited to some clients may read the catalog but not change it."""

    def _guard_scope(self) -> None:
        if client_scope(self.request) is not None:
            raise PermissionDenied("Client-scoped callers cannot change the MSP-wide catalog.")

    def perform_create(self, serializer):
        self._guard_scope()
        super().perform_create(serializer)

    def perform_update(self, serializer):
        self._guard_scope()
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        self._guard_scope()
        super().perform_destroy(instance)


class ServiceViewSet(MspWideWritesMixin, PsaModelViewSet):
    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    node_prefix = "catalog.service"
    sort_fields = {"service_name": "name", "default_rate": "default_rate", **DATED_SORTS}
    default_sort = "name"


class ProductViewSet(MspWideWritesMixin, PsaModelViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    node_prefix = "catalog.product"
    sort_fields = {
        "product_name": "name", "sku": "sku", "manufacturer": "manufacturer", "unit_price": "unit_price",
        "on_hand": "on_hand", **DATED_SORTS,
    }  # fmt: skip
    default_sort = "name"
