"""Ticket bundles: ``/tickets/{id}/bundle`` and its children, promote and settings routes (seed 000, reference §1.12).

The rules themselves are in :mod:`tickets.bundles`; these views validate bodies and answer with the bundle as
``GET /tickets/{id}/bundle`` shows it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from psa.access import restrict
from psa.api.serializers import PassiveSerializer
from psa.api.viewsets import UUID_REGEX, PsaGenericViewSet
from tickets import bundles
from tickets.bundle_models import TicketBundle
from tickets.models import Ticket

CHILD_ID = OpenApiParameter("child_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class BundleCreateSerializer(PassiveSerializer):
    child_ticket_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=bundles.MAX_CHILDREN
    )
    mode = serializers.ChoiceField(choices=TicketBundle.Mode.choices, default=TicketBundle.Mode.SYNC_UPDATES)


class BundleChildrenSerializer(PassiveSerializer):
    child_ticket_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=bundles.MAX_CHILDREN
    )


class BundlePromoteSerializer(PassiveSerializer):
    new_master_ticket_id = serializers.UUIDField()


class BundleSettingsSerializer(PassiveSerializer):
    mode = serializers.ChoiceField(choices=TicketBundle.Mode.choices, required=False)
    reopen_on_child_reply = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give mode, reopen_on_child_reply or both.")
        return attrs


class BundleTicketSerializer(PassiveSerializer):
    ticket_id = serializers.UUIDField()
    ticket_number = serializers.CharField()
    title = serializers.CharField()
    status_id = serializers.UUIDField()
    status_name = serializers.CharField()
    is_closed = serializers.BooleanField()
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()


class BundleSettingsOutSerializer(PassiveSerializer):
    mode = serializers.ChoiceField(choices=TicketBundle.Mode.choices)
    reopen_on_child_reply = serializers.BooleanField()


class BundleSerializer(PassiveSerializer):
    role = serializers.ChoiceField(choices=["master", "child", "standalone"])
    master_ticket_id = serializers.UUIDField(allow_null=True)
    master = BundleTicketSerializer(allow_null=True)
    children = BundleTicketSerializer(many=True, help_text="Ordered by ticket number; only those the caller may see")
    settings = BundleSettingsOutSerializer(allow_null=True)


class TicketBundleViewSet(PsaGenericViewSet):
    queryset = Ticket.objects.all()
    filterset_class = None
    action_nodes = {
        "bundle": ["ticket.read"],
        "create_bundle": ["ticket.update"],
        "delete_bundle": ["ticket.update"],
        "add_children": ["ticket.update"],
        "remove_child": ["ticket.update"],
        "promote": ["ticket.update"],
        "bundle_settings": ["ticket.update"],
    }

    def _ticket(self) -> Ticket:
        return get_object_or_404(restrict(Ticket.objects.all(), self.request), pk=self.kwargs["pk"])

    def _body(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def _answer(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        return Response(bundles.describe(self.request, ticket), status=code)

    @extend_schema(summary="The ticket's bundle role (master, child or standalone), master, children and settings",
                   responses=BundleSerializer)  # fmt: skip
    @action(detail=True, methods=["get"], url_path="bundle", url_name="detail")
    def bundle(self, request, pk=None):
        return self._answer(self._ticket())

    @extend_schema(
        summary="Bundle tickets under this one as master (mode sync_updates by default, or link_only)",
        request=BundleCreateSerializer,
        responses={201: BundleSerializer},
    )
    @bundle.mapping.post
    def create_bundle(self, request, pk=None):
        ticket = self._ticket()
        data = self._body(BundleCreateSerializer)
        bundles.create(request, ticket, data["child_ticket_ids"], data["mode"])
        return self._answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(summary="Detach every child and remove the bundle's settings", responses=BundleSerializer)
    @bundle.mapping.delete
    def delete_bundle(self, request, pk=None):
        ticket = self._ticket()
        bundles.dissolve(request, ticket)
        return self._answer(ticket)

    @extend_schema(summary="Add child tickets to this master's bundle", request=BundleChildrenSerializer,
                   responses=BundleSerializer)  # fmt: skip
    @action(detail=True, methods=["post"], url_path="bundle/children", url_name="children")
    def add_children(self, request, pk=None):
        ticket = self._ticket()
        bundles.add_children(request, ticket, self._body(BundleChildrenSerializer)["child_ticket_ids"])
        return self._answer(ticket)

    @extend_schema(summary="Remove one child; the settings go with the last child", parameters=[CHILD_ID],
                   responses=BundleSerializer)  # fmt: skip
    @action(
        detail=True, methods=["delete"], url_path=rf"bundle/children/(?P<child_id>{UUID_REGEX})",
        url_name="child",
    )  # fmt: skip
    def remove_child(self, request, pk=None, child_id=None):
        ticket = self._ticket()
        bundles.remove_child(request, ticket, child_id)
        return self._answer(ticket)

    @extend_schema(
        summary="Make a child the master: the settings move to it, the old master and the siblings become its children",
        request=BundlePromoteSerializer,
        responses=BundleSerializer,
    )
    @action(detail=True, methods=["post"], url_path="bundle/promote", url_name="promote")
    def promote(self, request, pk=None):
        ticket = self._ticket()
        bundle = bundles.promote(request, ticket, self._body(BundlePromoteSerializer)["new_master_ticket_id"])
        return self._answer(bundle.master)

    @extend_schema(summary="Change the bundle's mode and/or reopen_on_child_reply", request=BundleSettingsSerializer,
                   responses=BundleSerializer)  # fmt: skip
    @action(detail=True, methods=["put"], url_path="bundle/settings", url_name="settings")
    def bundle_settings(self, request, pk=None):
        ticket = self._ticket()
        bundles.update_settings(request, ticket, self._body(BundleSettingsSerializer))
        return self._answer(ticket)
