"""Seed 004's sales routes under ``/api/v1/sales``.

Opportunities are served from the local mirror, hydrated with their company (address, contacts), activities and,
in the detail, the site; ``meta.connectwise`` says whether the live parts are fresh, cached or unavailable. The
products, notes and contacts sub-resources exist only in ConnectWise: a failure there is ``UPSTREAM_UNAVAILABLE``.
Opportunities are client-owned: outside the caller's client scope they are 404.
"""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.connectwise.live_calls import UpstreamUnavailable, connectwise, live_meta
from integrations.connectwise.sales import store_opportunity
from integrations.models import ExternalRecord
from psa.api.exceptions import error_response
from psa.api.query_params import filterset_parameters
from psa.api.schema import documented_error
from psa.api.viewsets import PsaAPIView, PsaReadOnlyViewSet
from sales import live
from sales.api.serializers import (
    MAX_LINES,
    NoteCreateSerializer,
    NoteUpdateSerializer,
    OpportunitySerializer,
    SequenceSerializer,
)
from sales.filtersets import OpportunityFilterSet
from sales.hydration import hydrate
from sales.models import Opportunity

READ = ["sales.opportunity.read"]
# The live sub-resources answer ConnectWise's records as ``data`` beside ``meta.connectwise`` (fresh or cached).
UPSTREAM = {
    502: documented_error("UPSTREAM_UNAVAILABLE: ConnectWise answered in a way we cannot use"),
    503: documented_error("UPSTREAM_UNAVAILABLE: ConnectWise cannot be reached or is failing"),
}
LIVE_META = {"type": "object", "properties": {"connectwise": {"type": "object"}}}


def _live(data: dict) -> dict:
    return {"type": "object", "required": ["data", "meta"], "properties": {"data": data, "meta": LIVE_META}}


# A whole body, not a partial one as drf-spectacular reads PATCH; the same lines as SequenceSerializer.
SEQUENCE_BODY = {
    "type": "object",
    "required": ["ordered_ids"],
    "additionalProperties": False,
    "properties": {
        "ordered_ids": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1},
            "minItems": 1,
            "maxItems": MAX_LINES,
            "uniqueItems": True,
            "description": SequenceSerializer().fields["ordered_ids"].help_text,
        }
    },
}
# The live parts of an opportunity the deletion scan archived are gone with it in ConnectWise: 409, nothing asked.
ARCHIVED = {409: documented_error("ARCHIVED: the opportunity was deleted in ConnectWise")}
LIVE_LIST = {200: _live({"type": "array", "items": {"type": "object"}}), **UPSTREAM, **ARCHIVED}
LIVE_ONE = {200: _live({"type": "object"}), **UPSTREAM, **ARCHIVED}
NOTE = OpenApiParameter("note_id", int, OpenApiParameter.PATH, description="The note's ConnectWise id")


def _live_response(data, from_cache: bool, code: int = status.HTTP_200_OK) -> Response:
    response = Response({"data": data, "meta": live_meta(from_cache)}, status=code)
    response.enveloped = True
    return response


OPPORTUNITY_TYPES = inline_serializer(
    "OpportunityType",
    {
        "id": serializers.IntegerField(allow_null=True, help_text="ConnectWise's id"),
        "name": serializers.CharField(allow_null=True),
        **{flag: serializers.BooleanField() for flag in ("won_flag", "lost_flag", "closed_flag", "inactive_flag",
                                                          "default_flag")},
        "entered_by": serializers.CharField(allow_null=True),
        "date_entered": serializers.CharField(allow_null=True),
        "cw_last_updated": serializers.CharField(allow_null=True),
    },
    many=True,
)  # fmt: skip


class OpportunityTypesView(PsaAPIView):
    action_nodes = {"GET": READ}
    pagination_class = None  # a plain list

    @extend_schema(
        summary="The quote statuses (opportunity types) mirrored from ConnectWise, with their flags",
        operation_id="sales_opportunity_types",
        responses={200: OPPORTUNITY_TYPES},
    )
    def get(self, request):
        rows = ExternalRecord.objects.filter(
            kind="opportunity_status", deleted_at__isnull=True, source__kind="connectwise"
        ).order_by("external_id", "source_id")
        types, seen = [], set()
        for record in rows:
            p = record.payload
            if record.external_id in seen or not isinstance(p, dict):
                continue
            seen.add(record.external_id)
            info = p.get("_info") if isinstance(p.get("_info"), dict) else {}
            types.append(
                {
                    "id": p.get("id"), "name": p.get("name"),
                    **{flag: p.get(key) is True for flag, key in (
                        ("won_flag", "wonFlag"), ("lost_flag", "lostFlag"), ("closed_flag", "closedFlag"),
                        ("inactive_flag", "inactiveFlag"), ("default_flag", "defaultFlag"))},
                    "entered_by": p.get("enteredBy"), "date_entered": p.get("dateEntered"),
                    "cw_last_updated": info.get("lastUpdated"),
                }
            )  # fmt: skip
        types.sort(key=lambda t: (str(t["name"]), str(t["id"])))
        return Response(types)


class OpportunityViewSet(PsaReadOnlyViewSet):
    queryset = Opportunity.objects.select_related("client", "source")
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}|\d{1,10}"
    action_nodes = {
        "list": READ, "retrieve": READ, "count": READ, "products": READ, "notes": READ, "note": READ,
        "contacts": READ, "refresh": ["sales.opportunity.refresh"],
        "products_sequence": ["sales.opportunity.product.update"], "create_note": ["sales.opportunity.note.create"],
        "update_note": ["sales.opportunity.note.update"], "delete_note": ["sales.opportunity.note.delete"],
    }  # fmt: skip
    sort_fields = {
        "name": "name", "expected_close_date": "expected_close_date", "probability": "probability",
        "cw_opportunity_id": "cw_opportunity_id", "updated_at": "updated_at",
    }  # fmt: skip
    default_sort = "expected_close_date,name"

    def get_object(self):
        queryset = self.get_queryset()
        value = self.kwargs["pk"]
        try:
            found = get_object_or_404(queryset, pk=uuid.UUID(value))
        except ValueError:
            found = get_object_or_404(queryset, cw_opportunity_id=int(value)) if value.isdigit() else None
        if found is None:
            return get_object_or_404(queryset.none())
        self.check_object_permissions(self.request, found)
        return found

    def _detail(self, opportunity) -> Response:
        hydration = hydrate([opportunity], detail=True)
        context = {**self.get_serializer_context(), "hydration": hydration}
        response = Response({"data": self.get_serializer_class()(opportunity, context=context).data,
                             "meta": hydration.meta})  # fmt: skip
        response.enveloped = True
        return response

    @extend_schema(summary="Opportunities, each with its company (address, contacts) and activities")
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        hydration = hydrate(page)
        self.paginator.meta = {**self.paginator.meta, **hydration.meta}
        context = {**self.get_serializer_context(), "hydration": hydration}
        return self.get_paginated_response(self.get_serializer_class()(page, many=True, context=context).data)

    @extend_schema(summary="One opportunity (our id or ConnectWise id), with company, site and activities")
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        summary="How many opportunities match the list's filters",
        parameters=filterset_parameters(OpportunityFilterSet),
        responses={200: inline_serializer("OpportunityCount", {"count": serializers.IntegerField()})},
    )
    def count(self, request):
        return Response({"count": self.filter_queryset(self.get_queryset()).count()})

    @extend_schema(summary="Re-read the opportunity from ConnectWise and store it", request=None,
                   responses={200: OpportunitySerializer, **UPSTREAM})  # fmt: skip
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        opportunity = self.get_object()
        with connectwise(opportunity.source, "The opportunity") as api:
            payload = api.get_object(f"sales/opportunities/{opportunity.cw_opportunity_id}")
        errors = store_opportunity(opportunity.source, payload)
        if errors:
            raise UpstreamUnavailable(f"ConnectWise sent an opportunity we cannot store: {errors[0]['message']}",
                                      status.HTTP_502_BAD_GATEWAY)  # fmt: skip
        return self._detail(self.get_object())

    @extend_schema(summary="The forecast lines, live, with cancellation data and our stock", responses=LIVE_LIST)
    @action(detail=True, methods=["get"])
    def products(self, request, pk=None):
        return _live_response(*live.products(self.get_object()))

    @extend_schema(
        summary="Reorder the products: all lines, in the new order; on a failure the old order is put back",
        request={"application/json": SEQUENCE_BODY},
        responses=LIVE_ONE,
    )
    @action(detail=True, methods=["patch"], url_path="products/sequence")
    def products_sequence(self, request, pk=None):
        opportunity = self.get_object()
        body = SequenceSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        try:
            result = live.resequence(request, opportunity, body.validated_data["ordered_ids"])
        except live.ReorderFailed as failure:
            stuck = failure.details["not_restored_lines"]
            message = ("ConnectWise refused a line; the order was put back as it was." if not stuck else
                       "ConnectWise refused a line and some lines could not be put back; see details.")  # fmt: skip
            return error_response(status.HTTP_502_BAD_GATEWAY, "UPSTREAM_UNAVAILABLE", message, failure.details)
        return _live_response(result, False)

    @extend_schema(summary="The opportunity's notes, live", responses=LIVE_LIST)
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        return _live_response(*live.notes(self.get_object()))

    @extend_schema(summary="Add a note in ConnectWise", request=NoteCreateSerializer, responses={
        201: LIVE_ONE[200], **UPSTREAM, **ARCHIVED})  # fmt: skip
    @notes.mapping.post
    def create_note(self, request, pk=None):
        opportunity = self.get_object()
        body = NoteCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return _live_response(live.create_note(request, opportunity, body.validated_data), False, 201)

    @extend_schema(
        summary="One note, live", parameters=[NOTE], responses=LIVE_ONE, operation_id="sales_opportunity_note"
    )
    @action(detail=True, methods=["get"], url_path=r"notes/(?P<note_id>\d{1,12})")
    def note(self, request, pk=None, note_id=None):
        return _live_response(live.note(self.get_object(), int(note_id)), False)

    @extend_schema(summary="Change a note in ConnectWise", parameters=[NOTE], request=NoteUpdateSerializer,
                   responses=LIVE_ONE, operation_id="sales_opportunity_note_update")  # fmt: skip
    @note.mapping.patch
    def update_note(self, request, pk=None, note_id=None):
        opportunity = self.get_object()
        body = NoteUpdateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return _live_response(live.update_note(request, opportunity, int(note_id), body.validated_data), False)

    @extend_schema(summary="Delete a note in ConnectWise", parameters=[NOTE], responses={204: None, **UPSTREAM, **ARCHIVED},
                   operation_id="sales_opportunity_note_delete")  # fmt: skip
    @note.mapping.delete
    def delete_note(self, request, pk=None, note_id=None):
        live.delete_note(request, self.get_object(), int(note_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="The opportunity's contacts (with their sales roles), live", responses=LIVE_LIST)
    @action(detail=True, methods=["get"])
    def contacts(self, request, pk=None):
        return _live_response(*live.contacts(self.get_object()))
