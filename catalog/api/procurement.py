"""Seed 004's procurement routes under ``/api/v1/procurement``: the catalog as the procurement view shows it.

Items are the catalog's products (local and synced from ConnectWise alike), found by our id, their ConnectWise
catalog id or their SKU. Reads are local; ``refresh-inventory`` asks ConnectWise for the on-hand count, live.
Catalog items are MSP-wide: client-scoped callers may read them but not change them (stock or links).
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from catalog import procurement
from catalog.api.serializers import (
    CatalogItemSerializer,
    LinkedItemSerializer,
    LinkRequestSerializer,
    UnlinkRequestSerializer,
)
from catalog.api.views import MspWideWritesMixin
from catalog.models import CatalogCategory, CatalogItem, Ecosystem, Product, ProductLink
from catalog.procurement_filtersets import ProcurementFilterSet
from integrations.connectwise.procurement import EXTERNAL_SOURCE
from psa import gating
from psa.api.query_params import filterset_parameters
from psa.api.schema import documented_error
from psa.api.viewsets import PsaAPIView, PsaReadOnlyViewSet

READ = ["procurement.catalog.read"]
ITEM_LOOKUP = r"[^/]{1,100}"
BOOL = OpenApiTypes.BOOL


def find_item(queryset, identifier: str):
    """An item by our id (a UUID), its ConnectWise catalog id (digits) or its SKU; 404 otherwise."""
    try:
        return get_object_or_404(queryset, pk=uuid.UUID(identifier))
    except ValueError:
        pass
    if identifier.isdigit():
        found = queryset.filter(external_source=EXTERNAL_SOURCE, external_id=identifier).first()
        if found is not None:
            return found
    return get_object_or_404(queryset.order_by("pk"), sku__iexact=identifier) if identifier.strip() else None


def linked_items(item: Product) -> list[Product]:
    """Items linked to ``item`` either way, each marked with ``link_kind`` and ``link_direction``."""
    links = ProductLink.objects.filter(Q(source=item) | Q(target=item)).select_related("source", "target")
    found = []
    for link in links.order_by("created_at", "id"):
        other = link.target if link.source_id == item.pk else link.source
        other.__class__ = CatalogItem
        other.link_kind, other.link_direction = link.kind, "to" if link.source_id == item.pk else "from"
        found.append(other)
    return found


ITEM_SUMMARY = inline_serializer(
    "CatalogItemLinks",
    {
        "id": serializers.UUIDField(),
        "cw_catalog_id": serializers.IntegerField(allow_null=True),
        "identifier": serializers.CharField(),
        "name": serializers.CharField(),
        "linked_items": LinkedItemSerializer(many=True),
    },
)


class ProcurementItemViewSet(MspWideWritesMixin, PsaReadOnlyViewSet):
    queryset = CatalogItem.objects.all()
    serializer_class = CatalogItemSerializer
    filterset_class = ProcurementFilterSet
    lookup_value_regex = ITEM_LOOKUP
    action_nodes = {
        "list": READ,
        "retrieve": READ,
        "count": READ,
        "linked": READ,
        "refresh_inventory": ["procurement.catalog.inventory.refresh"],
        "link": ["procurement.catalog.link"],
        "unlink": ["procurement.catalog.link"],
    }
    sort_fields = {
        "name": "name", "identifier": "sku", "price": "unit_price", "on_hand": "on_hand",
        "manufacturer": "manufacturer", "category": "category,subcategory", "updated_at": "updated_at",
    }  # fmt: skip
    default_sort = "name"

    def get_object(self):
        item = find_item(self.get_queryset(), self.kwargs["pk"])
        self.check_object_permissions(self.request, item)
        return item

    @extend_schema(
        summary="One catalog item, by our id, its ConnectWise catalog id or its SKU",
        parameters=[OpenApiParameter("include_linked_items", BOOL, description="Add linked_items (default false)")],
    )
    def retrieve(self, request, *args, **kwargs):
        include = request.query_params.get("include_linked_items", "")
        if include.lower() not in ("", "true", "false", "1", "0"):
            raise ValidationError({"include_linked_items": ["Use true or false."]})
        item = self.get_object()
        data = self.get_serializer(item).data
        if include.lower() in ("true", "1"):
            data["linked_items"] = self._linked(item)
        return Response(data)

    @extend_schema(
        summary="How many catalog items match the list's filters",
        parameters=filterset_parameters(ProcurementFilterSet),
        responses={200: inline_serializer("CatalogItemCount", {"count": serializers.IntegerField()})},
    )
    def count(self, request):
        return Response({"count": self.filter_queryset(self.get_queryset()).count()})

    @extend_schema(summary="Items linked to this one, either way", responses={200: LinkedItemSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)  # a plain list
    def linked(self, request, pk=None):
        return Response(self._linked(self.get_object()))

    @extend_schema(
        summary="Fetch the item's on-hand count from ConnectWise now and store it",
        request=None,
        responses={
            200: CatalogItemSerializer,
            502: documented_error("UPSTREAM_UNAVAILABLE: ConnectWise answered in a way we cannot use"),
            503: documented_error("UPSTREAM_UNAVAILABLE: ConnectWise cannot be reached or is failing"),
        },
    )
    @action(detail=True, methods=["post"], url_path="refresh-inventory")
    def refresh_inventory(self, request, pk=None):
        self._guard_scope()
        item = self.get_object()
        item = procurement.refresh_on_hand(request, item)
        return Response(self.get_serializer(item).data)

    @extend_schema(summary="Link another item to this one", request=LinkRequestSerializer,
                   responses={200: ITEM_SUMMARY})  # fmt: skip
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        self._guard_scope()
        item = self.get_object()
        body = LinkRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        target = self._target(body.validated_data["target_id"], item)
        procurement.link(request, item, target, body.validated_data["kind"])
        return Response(self._summary(item))

    @extend_schema(summary="Remove the link between this item and another (either way)",
                   request=UnlinkRequestSerializer, responses={200: ITEM_SUMMARY})  # fmt: skip
    @action(detail=True, methods=["post"])
    def unlink(self, request, pk=None):
        self._guard_scope()
        item = self.get_object()
        body = UnlinkRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        target = self._target(body.validated_data["target_id"], item)
        procurement.unlink(request, item, target)
        return Response(self._summary(item))

    def _target(self, identifier: str, item: Product) -> Product:
        try:
            target = find_item(CatalogItem.objects.all(), identifier.strip())
        except Http404:  # the body names the item: say which field, not "not found"
            target = None
        if target is None:
            raise ValidationError({"target_id": ["No catalog item has this id, ConnectWise id or SKU."]})
        if target.pk == item.pk:
            raise ValidationError({"target_id": ["An item cannot be linked to itself."]})
        return target

    def _linked(self, item: Product) -> list[dict]:
        return LinkedItemSerializer(linked_items(item), many=True, context=self.get_serializer_context()).data

    def _summary(self, item: Product) -> dict:
        data = self.get_serializer(item).data
        keep = {key: data[key] for key in ("id", "cw_catalog_id", "identifier", "name") if key in data}
        return {**keep, "linked_items": self._linked(item)}


def _category_tree() -> list[dict]:
    tree = []
    for category in CatalogCategory.objects.prefetch_related("subcategories__group"):
        entries, groups = [], {}
        for sub in category.subcategories.all():
            leaf = {"name": sub.name, "cw_id": sub.cw_id}
            if sub.group is None:
                entries.append({"type": "subcategory", **leaf})
                continue
            if sub.group_id not in groups:
                groups[sub.group_id] = {"type": "group", "name": sub.group.name, "subcategories": []}
                entries.append(groups[sub.group_id])
            groups[sub.group_id]["subcategories"].append(leaf)
        tree.append({"name": category.name, "cw_id": category.cw_id, "entries": entries})
    return tree


def _ecosystems() -> list[dict]:
    return [
        {
            "name": ecosystem.name,
            "manufacturers": [
                {
                    "name": r.manufacturer,
                    "cw_id": r.manufacturer_cw_id,
                    "category": r.category,
                    "subcategory_prefix": r.subcategory_prefix,
                }
                for r in ecosystem.rules.all()
            ],
        }
        for ecosystem in Ecosystem.objects.prefetch_related("rules")
    ]


class ProcurementCategoriesView(PsaAPIView):
    action_nodes = {"GET": READ}

    @extend_schema(
        summary="The category tree (category → group → subcategory) and the ecosystems' rules",
        operation_id="procurement_categories",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response({"categories": _category_tree(), "ecosystems": _ecosystems()})


def _distinct(queryset, field: str) -> list[str]:
    return list(queryset.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct())


CASCADE = (("categories", "category"), ("subcategories", "subcategory"), ("manufacturers", "manufacturer"))


def cascade_values(request, params) -> dict[str, list[str]]:
    """The dropdown values, each narrowed by the choices above it; a field the caller may not see lists nothing,
    and narrowing by it is refused (as filtering on it is)."""
    include = params.get("include_inactive", "").lower()
    if include not in ("", "true", "false", "1", "0"):
        raise ValidationError({"include_inactive": ["Use true or false."]})
    visible = {field: gating.field_visible(request, "catalogItem", field) for _, field in CASCADE}
    hidden = [field for field in ("category", "subcategory") if params.get(field) and not visible[field]]
    if hidden:
        raise PermissionDenied(f"You may not filter on fields you may not see: {', '.join(hidden)}.")
    items = CatalogItem.objects.all() if include in ("true", "1") else CatalogItem.objects.filter(is_active=True)
    category, subcategory = params.get("category", "").strip(), params.get("subcategory", "").strip()
    scopes = {"category": items}
    scopes["subcategory"] = items.filter(category__iexact=category) if category else items
    scopes["manufacturer"] = (
        scopes["subcategory"].filter(subcategory__iexact=subcategory) if subcategory else scopes["subcategory"]
    )
    return {key: _distinct(scopes[field], field) if visible[field] else [] for key, field in CASCADE}


class ProcurementFiltersView(PsaAPIView):
    action_nodes = {"GET": READ}

    @extend_schema(
        summary="The categories, subcategories and manufacturers in the catalog, narrowed so dropdowns cascade",
        operation_id="procurement_filters",
        parameters=[
            OpenApiParameter("category", str, description="Narrow subcategories and manufacturers to this category"),
            OpenApiParameter("subcategory", str, description="Narrow manufacturers to this subcategory"),
            OpenApiParameter("include_inactive", BOOL, description="Count inactive items too (default false)"),
        ],
        responses={
            200: inline_serializer(
                "ProcurementFilterValues",
                {
                    "categories": serializers.ListField(child=serializers.CharField()),
                    "subcategories": serializers.ListField(child=serializers.CharField()),
                    "manufacturers": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request):
        return Response(cascade_values(request, request.query_params))
