"""Asset links (``/tickets/{id}/assets``, ``/assets/{id}/tickets``) and tickets opened from an asset
(``/tickets/from-asset``), as seed 000 and reference §1.13 describe them.

Changing links needs ``update`` on the side whose links change and ``read`` on the other; reading needs both reads.
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assets.api.serializers import AssetBriefSerializer
from assets.models import Asset
from psa.access import restrict
from psa.api.serializers import PassiveSerializer
from psa.api.viewsets import UUID_REGEX, PsaGenericViewSet
from psa.utils import is_uuid
from tickets import asset_links
from tickets.api.serializers import TicketBriefSerializer, TicketSerializer
from tickets.asset_link_models import DEFAULT_RELATIONSHIP, TicketAssetLink
from tickets.models import Ticket

ASSET_ID = OpenApiParameter("asset_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
TICKET_ID = OpenApiParameter("ticket_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
RELATIONSHIP_HELP = "Free text, default 'affected' (the UI offers affected and related)"


class LinkFieldsMixin(serializers.Serializer):
    relationship_type = serializers.CharField(
        max_length=50, required=False, default=DEFAULT_RELATIONSHIP, help_text=RELATIONSHIP_HELP
    )
    notes = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)


class LinkAssetSerializer(LinkFieldsMixin, PassiveSerializer):
    asset_id = serializers.UUIDField()


class LinkTicketSerializer(LinkFieldsMixin, PassiveSerializer):
    ticket_id = serializers.UUIDField()


GATED = "Absent when the caller may not see the field (its obj.<scope>.<field> node)"


class LinkedAssetSerializer(PassiveSerializer):
    link_id = serializers.UUIDField()
    asset_id = serializers.UUIDField()
    asset_tag = serializers.CharField(
        required=False, help_text="The asset's serial number (there is no separate asset tag). " + GATED
    )
    name = serializers.CharField(required=False, help_text=GATED)
    type = serializers.CharField(required=False, help_text=GATED)
    status = serializers.CharField(required=False, help_text=GATED)
    serial = serializers.CharField(required=False, help_text=GATED)
    client_id = serializers.UUIDField(required=False, help_text=GATED)
    relationship_type = serializers.CharField()
    notes = serializers.CharField()
    created_by = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class LinkedTicketSerializer(PassiveSerializer):
    link_id = serializers.UUIDField()
    ticket_id = serializers.UUIDField()
    ticket_number = serializers.CharField(required=False, help_text=GATED)
    title = serializers.CharField(required=False, help_text=GATED)
    status_id = serializers.UUIDField(required=False, help_text=GATED)
    status_name = serializers.CharField(required=False, help_text=GATED)
    is_closed = serializers.BooleanField(required=False, help_text=GATED)
    priority_name = serializers.CharField(required=False, help_text=GATED)
    assigned_to_name = serializers.CharField(required=False, allow_null=True, help_text=GATED)
    client_id = serializers.UUIDField(required=False, help_text=GATED)
    entered_at = serializers.DateTimeField(required=False, help_text=GATED)
    updated_at = serializers.DateTimeField(required=False, help_text=GATED)
    relationship_type = serializers.CharField()
    notes = serializers.CharField()
    created_by = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


LINKED_TICKET_FIELDS = tuple(name for name in LinkedTicketSerializer._declared_fields if name != "link_id")


def _stamp(value):
    return serializers.DateTimeField().to_representation(value)


def _link_data(link: TicketAssetLink) -> dict:
    return {
        "link_id": str(link.pk),
        "relationship_type": link.relationship_type,
        "notes": link.notes,
        "created_by": str(link.created_by_id) if link.created_by_id else None,
        "created_at": _stamp(link.created_at),
    }


def linked_asset_data(request, link: TicketAssetLink) -> dict:
    """The link and the asset in brief (:class:`AssetBriefSerializer`: each field through the asset's gate)."""
    brief = AssetBriefSerializer(link.asset, context={"request": request}).data
    data = {**_link_data(link), "asset_id": str(link.asset_id)}
    data.update({name: value for name, value in brief.items() if name != "id"})
    if "serial" in brief:
        data["asset_tag"] = brief["serial"]
    return data


def linked_ticket_data(request, link: TicketAssetLink) -> dict:
    """The link and the ticket in brief (:class:`TicketBriefSerializer`: each field through the ticket's gate)."""
    brief = TicketBriefSerializer(link.ticket, context={"request": request}, fields=LINKED_TICKET_FIELDS).data
    return {**_link_data(link), **brief, "ticket_id": str(link.ticket_id)}


def asset_links_of(request, ticket: Ticket):
    assets = restrict(Asset.objects.all(), request)
    return (
        TicketAssetLink.objects.filter(ticket=ticket, asset__in=assets)
        .select_related("asset")
        .order_by("created_at", "id")
    )


def ticket_links_of(request, asset: Asset):
    tickets = restrict(Ticket.objects.all(), request)
    return (
        TicketAssetLink.objects.filter(asset=asset, ticket__in=tickets)
        .select_related("ticket__status", "ticket__priority", "ticket__assigned_to")
        .order_by("-ticket__entered_at", "-id")
    )


def _scoped(request, model, pk, field: str):
    """The object ``pk`` names in the body, within the caller's scope; otherwise a 400 naming the field."""
    found = restrict(model.objects.all(), request).filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: [f"No {model._meta.verbose_name} with id '{pk}'."]})
    return found


class TicketAssetViewSet(PsaGenericViewSet):
    """``/tickets/{id}/assets``: the assets linked to a ticket."""

    queryset = Ticket.objects.all()
    filterset_class = None
    action_nodes = {
        "linked_assets": ["ticket.read", "asset.read"],
        "link_asset": ["ticket.update", "asset.read"],
        "unlink_asset": ["ticket.update", "asset.read"],
    }

    def _ticket(self) -> Ticket:
        return get_object_or_404(restrict(Ticket.objects.all(), self.request), pk=self.kwargs["pk"])

    @extend_schema(summary="Assets linked to the ticket", responses=LinkedAssetSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="assets", url_name="list")
    def linked_assets(self, request, pk=None):
        page = self.paginate_queryset(asset_links_of(request, self._ticket()))
        return self.get_paginated_response([linked_asset_data(request, link) for link in page])

    @extend_schema(summary="Link an asset to the ticket (409 if already linked)", request=LinkAssetSerializer,
                   responses={201: LinkedAssetSerializer})  # fmt: skip
    @linked_assets.mapping.post
    def link_asset(self, request, pk=None):
        ticket = self._ticket()
        body = LinkAssetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        asset = _scoped(request, Asset, data["asset_id"], "asset_id")
        link = asset_links.link(
            request, ticket, asset, relationship_type=data["relationship_type"], notes=data["notes"], field="asset_id"
        )
        return Response(linked_asset_data(request, link), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove the link between the ticket and an asset", parameters=[ASSET_ID],
                   responses={204: None})  # fmt: skip
    @action(detail=True, methods=["delete"], url_path=rf"assets/(?P<asset_id>{UUID_REGEX})", url_name="detail")
    def unlink_asset(self, request, pk=None, asset_id=None):
        link = get_object_or_404(asset_links_of(request, self._ticket()), asset_id=asset_id)
        asset_links.unlink(request, link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetTicketViewSet(PsaGenericViewSet):
    """``/assets/{id}/tickets``: the tickets linked to an asset."""

    queryset = Asset.objects.all()
    filterset_class = None
    action_nodes = {
        "linked_tickets": ["asset.read", "ticket.read"],
        "link_ticket": ["asset.update", "ticket.read"],
        "unlink_ticket": ["asset.update", "ticket.read"],
    }

    def _asset(self) -> Asset:
        return get_object_or_404(restrict(Asset.objects.all(), self.request), pk=self.kwargs["pk"])

    @extend_schema(summary="Tickets linked to the asset, newest first", responses=LinkedTicketSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="tickets", url_name="list")
    def linked_tickets(self, request, pk=None):
        page = self.paginate_queryset(ticket_links_of(request, self._asset()))
        return self.get_paginated_response([linked_ticket_data(request, link) for link in page])

    @extend_schema(summary="Link a ticket to the asset (409 if already linked)", request=LinkTicketSerializer,
                   responses={201: LinkedTicketSerializer})  # fmt: skip
    @linked_tickets.mapping.post
    def link_ticket(self, request, pk=None):
        asset = self._asset()
        body = LinkTicketSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = _scoped(request, Ticket, data["ticket_id"], "ticket_id")
        link = asset_links.link(
            request, ticket, asset, relationship_type=data["relationship_type"], notes=data["notes"], field="ticket_id"
        )
        link = ticket_links_of(request, asset).get(pk=link.pk)
        return Response(linked_ticket_data(request, link), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove the link between the asset and a ticket", parameters=[TICKET_ID],
                   responses={204: None})  # fmt: skip
    @action(detail=True, methods=["delete"], url_path=rf"tickets/(?P<ticket_id>{UUID_REGEX})", url_name="detail")
    def unlink_ticket(self, request, pk=None, ticket_id=None):
        link = get_object_or_404(ticket_links_of(request, self._asset()), ticket_id=ticket_id)
        asset_links.unlink(request, link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FromAssetSerializer(PassiveSerializer):
    asset_id = serializers.UUIDField()
    relationship_type = serializers.CharField(
        max_length=50, required=False, default=DEFAULT_RELATIONSHIP, help_text=RELATIONSHIP_HELP
    )


class FromAssetTicketSerializer(TicketSerializer):
    """What POST /tickets/from-asset takes, for the schema: a ticket's body plus the asset; the client is the asset's."""

    asset_id = serializers.UUIDField()
    relationship_type = serializers.CharField(max_length=50, required=False, help_text=RELATIONSHIP_HELP)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "asset_id", "relationship_type"]

    def get_fields(self):
        fields = super().get_fields()
        fields["client_id"].required = False
        return fields


class FromAssetPrefillSerializer(PassiveSerializer):
    asset_id = serializers.UUIDField()
    asset_name = serializers.CharField()
    client_id = serializers.UUIDField()
    location_id = serializers.UUIDField(allow_null=True)
    contact_id = serializers.UUIDField(allow_null=True)
    title = serializers.CharField(help_text="A starting title: the asset's name")


class FromAssetViewSet(PsaGenericViewSet):
    """``/tickets/from-asset``: a ticket with the asset's client, location and contact, linked to the asset."""

    queryset = Ticket.objects.all()
    filterset_class = None
    action_nodes = {
        "from_asset_prefill": ["ticket.create", "asset.read"],
        "from_asset": ["ticket.create", "asset.read"],
    }

    def _asset(self, value, field: str = "asset_id") -> Asset:
        if value in (None, ""):
            raise ValidationError({field: ["This field is required."]})
        if not is_uuid(str(value)):
            raise ValidationError({field: ["Must be a valid UUID."]})
        return _scoped(self.request, Asset, value, field)

    @extend_schema(
        summary="The ticket POST /tickets/from-asset would start with: the asset's client, location and contact",
        parameters=[OpenApiParameter("asset_id", OpenApiTypes.UUID, required=True)],
        responses=FromAssetPrefillSerializer,
    )
    @action(detail=False, methods=["get"], url_path="from-asset", url_name="list")
    def from_asset_prefill(self, request):
        asset = self._asset(request.query_params.get("asset_id"))
        return Response({**asset_links.prefill(asset), "asset_id": str(asset.pk), "asset_name": asset.name})

    @extend_schema(
        summary="Create a ticket from an asset (its client, location and contact) and link the asset, in one step",
        description="The body is a ticket's (POST /tickets) plus `asset_id` and an optional `relationship_type`; "
        "client, location and contact default to the asset's, and a client_id other than the asset's is a 400. "
        "`contact_name_id` is accepted for contact_id.",
        request=FromAssetTicketSerializer,
        responses={201: TicketSerializer},
    )
    @from_asset_prefill.mapping.post
    def from_asset(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = dict(request.data)
        link_body = FromAssetSerializer(data={k: data.pop(k) for k in ("asset_id", "relationship_type") if k in data})
        link_body.is_valid(raise_exception=True)
        asset = self._asset(link_body.validated_data["asset_id"])
        if "contact_name_id" in data:
            if "contact_id" in data:
                raise ValidationError({"contact_name_id": ["Send contact_id or contact_name_id, not both."]})
            data["contact_id"] = data.pop("contact_name_id")
        if data.get("client_id") not in (None, str(asset.client_id)):
            raise ValidationError({"client_id": ["The ticket's client must be the asset's client."]})
        defaults = asset_links.prefill(asset)
        for name in ("client_id", "location_id", "contact_id"):
            if defaults[name] is not None:
                data.setdefault(name, defaults[name])
        serializer = TicketSerializer(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            ticket = asset_links.create_from_asset(
                request, asset, serializer.validated_data, source=Ticket.Source.ASSET,
                relationship_type=link_body.validated_data["relationship_type"],
            )  # fmt: skip
        from tickets.api.views import ALL_FIELDS, optimise

        ticket = optimise(Ticket.objects.filter(pk=ticket.pk), ALL_FIELDS).get()
        return Response(
            TicketSerializer(ticket, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
