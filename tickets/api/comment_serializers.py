"""Ticket comments (bodies, reactions and the comment itself) and a ticket's history rows."""

from __future__ import annotations

import unicodedata

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from psa import gating
from psa.api.serializers import GatedModelSerializer, PassiveSerializer
from tickets.models import COMMENT_MAX_LENGTH, Comment, Ticket, TicketChange


class CommentCreateSerializer(PassiveSerializer):
    comment_text = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=False)
    is_internal = serializers.BooleanField(required=False, default=False)
    is_resolution = serializers.BooleanField(required=False, default=False)
    parent_comment_id = serializers.UUIDField(required=False, allow_null=True)

    def validate_comment_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class CommentUpdateSerializer(PassiveSerializer):
    comment_text = serializers.CharField(max_length=COMMENT_MAX_LENGTH, trim_whitespace=False)
    is_resolution = serializers.BooleanField(required=False)

    def validate_comment_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


def is_emoji(value: str) -> bool:
    """One emoji (possibly with modifiers, variation selectors and zero-width joiners), nothing else."""
    if not value or len(value) > 16:
        return False
    pictographic = False
    for char in value:
        code = ord(char)
        category = unicodedata.category(char)
        if char in "\u200d\ufe0f\ufe0e\u20e3" or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
            continue  # joiners, variation selectors, keycap, skin tones, tag sequences
        if category == "So" or 0x1F1E6 <= code <= 0x1F1FF:
            pictographic = True
            continue
        if char in "#*0123456789" and "\u20e3" in value:
            continue
        return False
    return pictographic


class ReactionSerializer(PassiveSerializer):
    emoji = serializers.CharField(max_length=32, trim_whitespace=True)

    def validate_emoji(self, value: str) -> str:
        if not is_emoji(value):
            raise serializers.ValidationError("Give a single emoji, e.g. 👍.")
        return value


class ReactionResultSerializer(PassiveSerializer):
    added = serializers.BooleanField()


class CommentSerializer(GatedModelSerializer):
    gating_scope = "ticket_comment"
    gating_label = "Ticket comment"
    gating_derived = {"comment_html": ("comment_text",)}

    comment_id = serializers.UUIDField(source="id", read_only=True)
    ticket_id = serializers.UUIDField(read_only=True)
    comment_text = serializers.CharField(source="text", read_only=True)
    comment_html = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="author_user_id", read_only=True)
    created_by_name = serializers.CharField(source="author_name", read_only=True)
    author_contact_id = serializers.UUIDField(read_only=True)
    author_contact_name = serializers.CharField(source="author_contact", read_only=True)
    parent_comment_id = serializers.UUIDField(source="parent_id", read_only=True)
    thread_id = serializers.UUIDField(read_only=True)
    reactions = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id", "comment_id", "ticket_id", "comment_text", "comment_html", "is_internal", "is_resolution",
            "is_system", "author_type", "created_by", "created_by_name", "author_contact_id", "author_contact_name",
            "parent_comment_id", "thread_id", "reactions", "created_at", "updated_at", "edited_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_comment_html(self, comment: Comment) -> str:
        return comment.html

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "emoji": {"type": "string"},
                    "count": {"type": "integer"},
                    "user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                    "reacted": {"type": "boolean", "description": "Whether the caller is among them"},
                    "userIds": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                    "currentUserReacted": {"type": "boolean", "description": "AlgaPSA's name for reacted"},
                },
            },
        }
    )
    def get_reactions(self, comment: Comment) -> list[dict]:
        request = self.context.get("request")
        me = getattr(getattr(request, "user", None), "pk", None)
        grouped: dict[str, list[str]] = {}
        for reaction in comment.reactions.all():
            grouped.setdefault(reaction.emoji, []).append(reaction.user_id)
        reactions = []
        for emoji, users in grouped.items():
            ids, reacted = [str(u) for u in users], me in users
            # Our names and AlgaPSA's (its mobile app reads userIds and currentUserReacted).
            reactions.append(
                {"emoji": emoji, "count": len(users), "user_ids": ids, "reacted": reacted, "userIds": ids,
                 "currentUserReacted": reacted}
            )  # fmt: skip
        return reactions


class TicketChangeSerializer(GatedModelSerializer):
    """A history row; a change of a ticket field the caller may not see shows only that it changed."""

    actor_id = serializers.UUIDField(read_only=True)
    values_hidden = serializers.SerializerMethodField()

    class Meta:
        model = TicketChange
        fields = [
            "id", "action", "field", "old_value", "new_value", "old_display", "new_display", "values_hidden",
            "actor_id", "actor_name", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_values_hidden(self, change: TicketChange) -> bool:
        return not gating.value_visible(self._request(), Ticket, change.field)

    def to_representation(self, instance: TicketChange) -> dict:
        data = super().to_representation(instance)
        if data.get("values_hidden"):
            data.update(old_value=None, new_value=None, old_display="", new_display="")
        return data
