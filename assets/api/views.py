from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assets import expirations
from assets.api import serializers as s
from assets.filtersets import (
    AssetFilterSet,
    AssetInterfaceFilterSet,
    CertificateFilterSet,
    DomainFilterSet,
    NetworkFilterSet,
    SoftwareFilterSet,
    SoftwareSeatFilterSet,
)
from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software, SoftwareSeat
from assets.seats import lock_free_seat
from psa import audit
from psa.access import has_node, restrict
from psa.api.lean_retrieve import serializer_columns
from psa.api.pagination import EnvelopePagination
from psa.api.viewsets import NestedViewSetMixin, PsaAPIView, PsaGenericViewSet, PsaModelViewSet

DATED_SORTS = {"name": "name", "created_at": "created_at", "updated_at": "updated_at"}


class AssetViewSet(PsaModelViewSet):
    queryset = Asset.objects.prefetch_related("interfaces")
    serializer_class = s.AssetSerializer
    filterset_class = AssetFilterSet
    node_prefix = "asset"
    action_nodes = {"upsert": ["asset.upsert"]}
    sort_fields = {**DATED_SORTS, "type": "type", "status": "status", "serial": "serial",
                   "warranty_expires": "warranty_expires"}  # fmt: skip
    default_sort = "name"
    # every field plainly reads columns; interfaces too (a list reads them by its prefetch)
    retrieve_columns = list_columns = serializer_columns(s.AssetSerializer)

    @extend_schema(
        request=s.AssetUpsertSerializer,
        responses={200: s.AssetSerializer, 201: s.AssetSerializer},
        summary="Create or update an asset found by serial number or MAC address (idempotent, for RMM scripts)",
    )
    @action(detail=False, methods=["put"], url_path="upsert", filterset_class=None)
    def upsert(self, request):
        body = s.AssetUpsertSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            asset, created = self._upsert(data)
        except IntegrityError:
            # Another request created the same serial a moment ago: now it is an update.
            asset, created = self._upsert(data)
        asset = self.get_queryset().get(pk=asset.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.AssetSerializer(asset, context=self.get_serializer_context()).data, status=code)

    def _find(self, client, serial: str, mac: str) -> Asset | None:
        candidates = Asset.objects.select_for_update().filter(client=client)
        if serial:
            found = candidates.filter(serial__iexact=serial).first()
            if found is not None:
                return found
        if mac:
            return candidates.filter(interfaces__mac=mac).order_by("created_at", "id").first()
        return None

    def _upsert(self, data: dict) -> tuple[Asset, bool]:
        client, serial, mac = data.pop("client"), data.pop("serial"), data.pop("mac", "")
        interfaces = data.pop("interfaces", None)
        with transaction.atomic():
            asset = self._find(client, serial, mac)
            created = asset is None
            before = {} if created else audit.snapshot(asset)
            if created:
                asset = Asset(client=client, name=data.get("name") or serial or mac)
            for field, value in data.items():
                setattr(asset, field, value)
            if serial and not asset.serial:
                asset.serial = serial
            asset.save()
            self._merge_interfaces(asset, mac, interfaces)
            changes = audit.diff(before, audit.snapshot(asset))
            if created or changes:
                audit.record(self.request, "create" if created else "update", asset, changes=changes)
        return asset, created

    @staticmethod
    def _merge_interfaces(asset: Asset, mac: str, interfaces: list[dict] | None) -> None:
        """Interfaces are matched by MAC (else by name) and updated in place; none is ever duplicated."""
        wanted = list(interfaces or [])
        if mac and not any(item.get("mac") == mac for item in wanted):
            implicit = {"name": "primary", "mac": mac}
            if not asset.interfaces.exists():
                implicit["is_primary"] = True  # the first interface an RMM reports is the primary one
            wanted.append(implicit)
        existing = list(asset.interfaces.all())
        for item in wanted:
            match = next((i for i in existing if item.get("mac") and i.mac == item["mac"]), None)
            match = match or next((i for i in existing if i.name == item["name"] and not i.mac), None)
            if item.get("is_primary"):
                asset.interfaces.exclude(pk=getattr(match, "pk", None)).update(is_primary=False)
            if match is None:
                existing.append(AssetInterface.objects.create(asset=asset, **item))
            else:
                for field, value in item.items():
                    setattr(match, field, value)
                match.save()


class AssetInterfaceViewSet(NestedViewSetMixin, PsaModelViewSet):
    queryset = AssetInterface.objects.all()
    serializer_class = s.AssetInterfaceSerializer
    filterset_class = AssetInterfaceFilterSet
    parent_model, parent_kwarg, parent_field = Asset, "asset_id", "asset"
    action_nodes = {
        "list": ["asset.read"],
        "retrieve": ["asset.read"],
        "create": ["asset.update"],
        "update": ["asset.update"],
        "partial_update": ["asset.update"],
        "destroy": ["asset.update"],
    }
    sort_fields = {"name": "name", "mac": "mac", "created_at": "created_at"}
    default_sort = "name"


class NetworkViewSet(PsaModelViewSet):
    queryset = Network.objects.all()
    serializer_class = s.NetworkSerializer
    filterset_class = NetworkFilterSet
    node_prefix = "network"
    sort_fields = {**DATED_SORTS, "vlan": "vlan", "cidr": "cidr"}
    default_sort = "name"
    retrieve_columns = list_columns = serializer_columns(s.NetworkSerializer)


class DomainViewSet(PsaModelViewSet):
    queryset = Domain.objects.all()
    serializer_class = s.DomainSerializer
    filterset_class = DomainFilterSet
    node_prefix = "domain"
    sort_fields = {**DATED_SORTS, "expires_on": "expires_on"}
    default_sort = "name"
    retrieve_columns = list_columns = serializer_columns(s.DomainSerializer)


class CertificateViewSet(PsaModelViewSet):
    queryset = Certificate.objects.all()
    serializer_class = s.CertificateSerializer
    filterset_class = CertificateFilterSet
    node_prefix = "certificate"
    sort_fields = {**DATED_SORTS, "expires_on": "expires_on", "domain": "domain"}
    default_sort = "name"
    retrieve_columns = list_columns = serializer_columns(s.CertificateSerializer)


class SoftwareViewSet(PsaModelViewSet):
    queryset = Software.objects.annotate(seats_used=Count("seat_assignments"))
    serializer_class = s.SoftwareSerializer
    filterset_class = SoftwareFilterSet
    node_prefix = "software"
    sort_fields = {**DATED_SORTS, "expires_on": "expires_on", "type": "type"}
    default_sort = "name"

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance.seats_used = 0

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance.seats_used = serializer.instance.seat_assignments.count()


class SoftwareSeatViewSet(
    NestedViewSetMixin, PsaGenericViewSet, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin
):
    queryset = SoftwareSeat.objects.all()
    serializer_class = s.SoftwareSeatSerializer
    filterset_class = SoftwareSeatFilterSet
    parent_model, parent_kwarg, parent_field = Software, "software_id", "software"
    action_nodes = {"list": ["software.read"], "create": ["software.update"], "destroy": ["software.update"]}
    sort_fields = {"created_at": "created_at"}
    default_sort = "created_at"

    def perform_create(self, serializer):
        with transaction.atomic():
            lock_free_seat(self.get_parent().pk)
            super().perform_create(serializer)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExpirationsView(PsaAPIView):
    """Domains, certificates, licences and warranties expiring within ``within_days`` (expired ones included)."""

    action_nodes = {"GET": ["asset.read"]}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "within_days",
                {"type": "integer", "minimum": 0, "maximum": 3650},
                required=False,
                description="0 to 3650, default 30",
            ),
            OpenApiParameter("page", OpenApiTypes.INT, required=False),
            OpenApiParameter("limit", OpenApiTypes.INT, required=False),
        ],
        responses=s.ExpirationSerializer(many=True),
        summary="What is about to expire",
    )
    def get(self, request):
        raw = request.query_params.get("within_days", "30")
        if not raw.isdigit() or int(raw) > 3650:
            raise ValidationError({"within_days": ["A whole number of days from 0 to 3650."]})
        kinds = [kind for kind, (_m, _f, node) in expirations.SOURCES.items() if has_node(request, node)]
        rows = expirations.expiring_queryset(int(raw), lambda qs: restrict(qs, request), kinds)
        paginator = EnvelopePagination()
        page = [expirations.as_row(raw) for raw in paginator.paginate_queryset(rows, request, self)]
        return paginator.get_paginated_response(s.ExpirationSerializer(page, many=True).data)
