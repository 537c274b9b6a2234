from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from assets.api.serializers import AssetSerializer
from assets.models import Asset
from clients.api.list_rows import CLIENT_LIST_VALUES, CONTACT_LIST_VALUES
from clients.api.serializers import (
    ClientDetailSerializer,
    ClientSerializer,
    ContactSerializer,
    LocationSerializer,
    VendorSerializer,
)
from clients.filtersets import ClientFilterSet, ContactFilterSet, LocationFilterSet, VendorFilterSet
from clients.models import Client, Contact, Location, Vendor
from integrations.live import configurations_meta, live_client_response
from psa.access import client_scope, has_node
from psa.api import lean_retrieve
from psa.api.viewsets import PsaModelViewSet

INCLUDES = {
    "include_address": ("address", "client.read.address"),
    "include_primary_contact": ("primary_contact", "contact.read"),
    "include_all_contacts": ("all_contacts", "client.read.contacts"),
}
TRUE_VALUES = {"1", "true", "yes"}
# The lean retrieve's columns (psa.api.lean_retrieve): the serializer's plain ones, and what its methods read.
CLIENT_COLUMNS = {
    **lean_retrieve.serializer_columns(ClientSerializer),
    "is_inactive": ("archived_at",),
    "is_active": ("archived_at",),
    "logoUrl": (),
}
CONTACT_COLUMNS = {
    **lean_retrieve.serializer_columns(ContactSerializer),
    "name": ("first_name", "last_name"),
    "full_name": ("first_name", "last_name"),
    "default_phone_number": ("phone", "mobile"),
    "is_inactive": ("is_active",),
    "avatarUrl": (),
}


class ClientViewSet(PsaModelViewSet):
    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet
    node_prefix = "client"
    action_nodes = {
        "configurations": ["client.read", "client.read.configurations", "asset.read"],
        "contacts": ["client.read", "contact.read"],
        "locations": ["client.read", "location.read"],
    }
    sort_fields = {
        "name": "name",
        "client_name": "name",  # AlgaPSA's name, sent by its mobile app
        "identifier": "identifier",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "name"
    retrieve_columns = list_columns = CLIENT_COLUMNS
    list_values = CLIENT_LIST_VALUES

    def _includes(self) -> list[str]:
        """The optional parts asked for; each needs its own node (403 without it)."""
        wanted = []
        for param, (part, node) in INCLUDES.items():
            if self.request.query_params.get(param, "").lower() in TRUE_VALUES:
                if not has_node(self.request, node):
                    raise PermissionDenied(f"{param} needs the permission node {node}.")
                wanted.append(part)
        return wanted

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("locations", queryset=Location.objects.filter(is_primary=True)),
                Prefetch("contacts", queryset=Contact.objects.order_by("last_name", "first_name", "id")),
            )
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter(name, OpenApiTypes.BOOL, required=False) for name in INCLUDES],
        responses=ClientSerializer,
    )
    def retrieve(self, request, *args, **kwargs):
        includes = self._includes()
        # Without optional parts the detail is the plain client's representation: the lean retrieve reads it (the
        # ConnectWise link's column always, for the live data).
        found = None if includes else lean_retrieve.fetch(self, ClientSerializer, always=("cw_company_id",))
        if found is not None:
            instance, data = found
        else:
            instance = self.get_object()
            context = {**self.get_serializer_context(), "include": includes}
            data = ClientDetailSerializer(instance, context=context).data
        return live_client_response(instance, data)  # adds live ConnectWise data for a linked company

    @extend_schema(responses=AssetSerializer(many=True), summary="A client's configurations")
    @action(detail=True, methods=["get"], filterset_class=None)
    def configurations(self, request, pk=None):
        """The client's assets (ConnectWise configurations are added by the integration later)."""
        client = self.get_object()
        assets = Asset.objects.prefetch_related("interfaces").filter(client=client).order_by("name", "id")
        self.configurations_meta = configurations_meta(client)  # the mirror's freshness (integrations)
        page = self.paginate_queryset(assets)
        serializer = AssetSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def get_list_meta(self, queryset):
        return getattr(self, "configurations_meta", None) or super().get_list_meta(queryset)

    @extend_schema(responses=ContactSerializer(many=True), summary="A client's contacts, by name")
    @action(detail=True, methods=["get"], filterset_class=None)
    def contacts(self, request, pk=None):
        client = self.get_object()
        contacts = Contact.objects.filter(client=client).order_by("last_name", "first_name", "id")
        page = self.paginate_queryset(contacts)
        return self.get_paginated_response(
            ContactSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses=LocationSerializer(many=True), summary="A client's locations (sites), by name")
    @action(detail=True, methods=["get"], filterset_class=None)
    def locations(self, request, pk=None):
        client = self.get_object()
        locations = Location.objects.filter(client=client).order_by("name", "id")
        page = self.paginate_queryset(locations)
        return self.get_paginated_response(
            LocationSerializer(page, many=True, context=self.get_serializer_context()).data
        )


class ContactViewSet(PsaModelViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    node_prefix = "contact"
    sort_fields = {
        "last_name": "last_name",
        "first_name": "first_name",
        "email": "email",
        "full_name": "first_name,last_name",  # AlgaPSA's name, sent by its mobile app
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "last_name,first_name"
    retrieve_columns = list_columns = CONTACT_COLUMNS
    list_values = CONTACT_LIST_VALUES


class LocationViewSet(PsaModelViewSet):
    queryset = Location.objects.all()
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    node_prefix = "location"
    sort_fields = {"name": "name", "city": "city", "created_at": "created_at", "updated_at": "updated_at"}
    default_sort = "name"
    retrieve_columns = list_columns = lean_retrieve.serializer_columns(LocationSerializer)


class VendorViewSet(PsaModelViewSet):
    """Vendors of one client, or of the MSP (no client). Client-scoped callers read MSP vendors but cannot change them."""

    queryset = Vendor.objects.all()
    serializer_class = VendorSerializer
    filterset_class = VendorFilterSet
    node_prefix = "vendor"
    sort_fields = {"name": "name", "created_at": "created_at", "updated_at": "updated_at"}
    default_sort = "name"
    retrieve_columns = list_columns = lean_retrieve.serializer_columns(VendorSerializer)

    def _guard_shared(self, client) -> None:
        if client is None and client_scope(self.request) is not None:
            raise PermissionDenied("Client-scoped callers cannot create or change the MSP's own vendors.")

    def perform_create(self, serializer):
        self._guard_shared(serializer.validated_data.get("client"))
        super().perform_create(serializer)

    def perform_update(self, serializer):
        self._guard_shared(serializer.instance.client)
        self._guard_shared(serializer.validated_data.get("client", serializer.instance.client))
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        self._guard_shared(instance.client)
        super().perform_destroy(instance)
