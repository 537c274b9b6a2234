"""AlgaPSA's tag routes, as its mobile app calls them: a ticket's tags, the tag cloud and tag search.

``/tags/entity/ticket/{id}`` reads, adds and removes one ticket's tags (changes go through the ticket service, so
they land in the ticket's history and the audit log); ``/tags/cloud`` and ``/tags/search`` suggest tags, counted
over the tickets the caller may see. Only the ``ticket`` entity type exists here.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from psa.access import restrict
from psa.api.pagination import _positive_int
from psa.api.serializers import PassiveSerializer
from psa.api.viewsets import PsaGenericViewSet
from psa.filtersets import BaseFilterSet
from tickets import services
from tickets.api.serializers import MAX_TAGS, TagsField
from tickets.models import Tag, Ticket

ENTITY_TYPES = [("ticket", "ticket")]
SUGGESTION_LIMIT = 50


class EntityRefMixin(serializers.Serializer):
    entity_id = serializers.UUIDField(required=False)
    entity_type = serializers.ChoiceField(choices=ENTITY_TYPES, required=False)


class TagAddSerializer(EntityRefMixin, PassiveSerializer):
    tags = TagsField()


class TagRemoveSerializer(EntityRefMixin, PassiveSerializer):
    tag_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False, max_length=MAX_TAGS)


class TicketTagSerializer(serializers.Serializer):
    tag_id = serializers.UUIDField()
    tag_text = serializers.CharField()
    background_color = serializers.CharField()
    text_color = serializers.CharField()


class EntityTagsSerializer(serializers.Serializer):
    entity_id = serializers.UUIDField()
    entity_type = serializers.CharField()
    tags = TicketTagSerializer(many=True)
    total_tags = serializers.IntegerField()
    created_count = serializers.IntegerField(required=False)
    removed_count = serializers.IntegerField(required=False)


class TagSuggestionSerializer(serializers.Serializer):
    tag_id = serializers.UUIDField()
    tag_text = serializers.CharField()
    background_color = serializers.CharField()
    text_color = serializers.CharField()
    usage_count = serializers.IntegerField()


class TagCloudSerializer(serializers.Serializer):
    tags = TagSuggestionSerializer(many=True)


def _tag_data(tag: Tag) -> dict:
    return {
        "tag_id": str(tag.pk),
        "tag_text": tag.text,
        "background_color": tag.background_color,
        "text_color": tag.text_color,
    }


class TicketTagsViewSet(PsaGenericViewSet):
    """``/tags/entity/ticket/{id}``: GET the ticket's tags, POST ``{tags: [text]}``, DELETE ``{tag_ids: [id]}``."""

    queryset = Ticket.objects.all()
    filter_backends = []
    action_nodes = {"tags": ["ticket.read"], "add_tags": ["ticket.update"], "remove_tags": ["ticket.update"]}

    def _ticket(self) -> Ticket:
        return get_object_or_404(restrict(Ticket.objects.all(), self.request), pk=self.kwargs["pk"])

    def _body(self, serializer_class, ticket: Ticket) -> dict:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("entity_id") not in (None, ticket.pk):
            raise serializers.ValidationError({"entity_id": ["Must be the ticket of the URL."]})
        return data

    def _answer(self, ticket: Ticket, **counts) -> dict:
        tags = TagsField().to_representation(ticket.tags)
        return {"entity_id": str(ticket.pk), "entity_type": "ticket", "tags": tags, "total_tags": len(tags), **counts}

    @extend_schema(summary="A ticket's tags", responses=EntityTagsSerializer)
    def tags(self, request, pk=None):
        return Response(self._answer(self._ticket()))

    @extend_schema(
        summary="Add tags to a ticket by text (unknown texts create tags)",
        request=TagAddSerializer,
        responses={201: EntityTagsSerializer},
    )
    def add_tags(self, request, pk=None):
        with transaction.atomic():
            ticket = self._ticket()
            texts = self._body(TagAddSerializer, ticket)["tags"]
            have = {tag.text.lower() for tag in ticket.tags.all()}
            new = [text for text in texts if text.lower() not in have]
            if len(have) + len(new) > MAX_TAGS:
                raise serializers.ValidationError({"tags": [f"A ticket has at most {MAX_TAGS} tags."]})
            if new:
                current = [tag.text for tag in ticket.tags.all()]
                services.update_ticket(request, ticket, {"tags": current + new})
        return Response(self._answer(ticket, created_count=len(new)), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove tags from a ticket by id", request=TagRemoveSerializer, responses=EntityTagsSerializer
    )
    def remove_tags(self, request, pk=None):
        with transaction.atomic():
            ticket = self._ticket()
            ids = set(self._body(TagRemoveSerializer, ticket)["tag_ids"])
            current = list(ticket.tags.all())
            kept = [tag.text for tag in current if tag.pk not in ids]
            removed = len(current) - len(kept)
            if removed:
                services.update_ticket(request, ticket, {"tags": kept})
        return Response(self._answer(ticket, removed_count=removed))


class TagSuggestionFilterSet(BaseFilterSet):
    """The query of ``/tags/cloud`` and ``/tags/search``."""

    search_term = django_filters.CharFilter(field_name="text", lookup_expr="icontains", max_length=50)
    entity_type = django_filters.ChoiceFilter(choices=ENTITY_TYPES, method="filter_entity_type")

    class Meta:
        model = Tag
        fields = []

    def filter_entity_type(self, queryset, name, value):
        return queryset  # tickets are the only tagged entities


class TagSuggestionViewSet(PsaGenericViewSet, mixins.ListModelMixin):
    """Tags with how many of the caller's visible tickets carry them, most used first."""

    queryset = Tag.objects.all()
    serializer_class = TagSuggestionSerializer
    filterset_class = TagSuggestionFilterSet
    action_nodes = {"cloud": ["ticket.read"], "list": ["ticket.read"]}

    def get_queryset(self):
        visible = restrict(Ticket.objects.all(), self.request).values("pk")
        usage = Count("tickets", filter=Q(tickets__in=visible), distinct=True)
        return Tag.objects.annotate(usage_count=usage).order_by("-usage_count", "text", "id")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by("-usage_count", "text", "id")  # the sort backend's default would drop usage

    def _rows(self, queryset) -> list[dict]:
        return [{**_tag_data(tag), "usage_count": tag.usage_count} for tag in queryset]

    @extend_schema(summary="Search tags by text (search_term)", responses=TagSuggestionSerializer(many=True))
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._rows(page))

    @extend_schema(
        summary="The most used tags, as {tags: [...]}",
        responses=TagCloudSerializer,
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 100, default 50")],
    )
    def cloud(self, request):
        limit = _positive_int(request, "limit", SUGGESTION_LIMIT, 100)
        tags = self.filter_queryset(self.get_queryset())[:limit]
        return Response({"tags": self._rows(tags)})


urlpatterns = [
    path(
        "tags/entity/ticket/<uuid:pk>",
        TicketTagsViewSet.as_view({"get": "tags", "post": "add_tags", "delete": "remove_tags"}),
        name="ticket-entity-tags",
    ),
    path("tags/cloud", TagSuggestionViewSet.as_view({"get": "cloud"}), name="tag-cloud"),
    path("tags/search", TagSuggestionViewSet.as_view({"get": "list"}), name="tag-search"),
]
