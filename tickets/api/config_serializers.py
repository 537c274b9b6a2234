"""Ticket configuration (boards, statuses, priorities, categories, tags) and the responses of the aggregate
endpoints (``/tickets/stats``)."""

from __future__ import annotations

from rest_framework import serializers

from psa.api.serializers import GatedModelSerializer, PassiveSerializer
from tickets.api.serializers import SafePrimaryKeyRelatedField
from tickets.models import Board, Category, Priority, Status, Tag

# ---- configuration: boards, statuses, priorities, categories, tags -------------------------------------------


class BoardSerializer(GatedModelSerializer):
    board_id = serializers.UUIDField(source="id", read_only=True)
    board_name = serializers.CharField(source="name", max_length=100)
    default_assigned_to = serializers.SerializerMethodField(help_text="Always null: boards have no default assignee")
    default_priority_id = SafePrimaryKeyRelatedField(
        source="default_priority", queryset=Priority.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Board
        fields = [
            "id", "board_id", "board_name", "description", "is_default", "is_active", "display_order",
            "default_priority_id", "default_assigned_to", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"is_default": {"validators": []}}  # setting a new default clears the old one

    def get_default_assigned_to(self, board: Board) -> str | None:
        return None

    def validate_board_name(self, value: str) -> str:
        clash = Board.objects.filter(name__iexact=value.strip())
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another board has this name.")
        return value.strip()


class StatusSerializer(GatedModelSerializer):
    status_id = serializers.UUIDField(source="id", read_only=True)
    board_id = SafePrimaryKeyRelatedField(source="board", queryset=Board.objects.all())
    board_name = serializers.CharField(source="board.name", read_only=True)
    order_number = serializers.IntegerField(source="order", required=False, min_value=0, max_value=1_000_000)

    class Meta:
        model = Status
        fields = [
            "id", "status_id", "board_id", "board_name", "name", "is_closed", "is_default", "order_number", "color",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate() with a message naming the field

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "board" in attrs and attrs["board"].pk != self.instance.board_id:
            raise serializers.ValidationError({"board_id": ["A status cannot move to another board."]})
        board = attrs.get("board", getattr(self.instance, "board", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        clash = Status.objects.filter(board=board, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": ["This board already has a status with this name."]})
        return attrs


class PrioritySerializer(GatedModelSerializer):
    priority_id = serializers.UUIDField(source="id", read_only=True)
    priority_name = serializers.CharField(source="name", max_length=100)
    order_number = serializers.IntegerField(source="order", required=False, min_value=0, max_value=1_000_000)

    class Meta:
        model = Priority
        fields = [
            "id",
            "priority_id",
            "priority_name",
            "order_number",
            "color",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"is_default": {"validators": []}}  # setting a new default clears the old one

    def validate_priority_name(self, value: str) -> str:
        clash = Priority.objects.filter(name__iexact=value.strip())
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another priority has this name.")
        return value.strip()


class CategorySerializer(GatedModelSerializer):
    category_id = serializers.UUIDField(source="id", read_only=True)
    category_name = serializers.CharField(source="name", max_length=100)
    board_id = SafePrimaryKeyRelatedField(source="board", queryset=Board.objects.all())
    parent_category = SafePrimaryKeyRelatedField(
        source="parent", queryset=Category.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Category
        fields = [
            "id", "category_id", "category_name", "board_id", "parent_category", "description", "display_order",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is checked in validate() with a message naming the field

    def validate(self, attrs):
        attrs = super().validate(attrs)
        board = attrs.get("board", getattr(self.instance, "board", None))
        parent = attrs.get("parent", getattr(self.instance, "parent", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        if self.instance is not None and "board" in attrs and attrs["board"].pk != self.instance.board_id:
            raise serializers.ValidationError({"board_id": ["A category cannot move to another board."]})
        if parent is not None:
            if parent.parent_id is not None:
                raise serializers.ValidationError({"parent_category": ["Categories have two levels only."]})
            if parent.board_id != board.pk:
                raise serializers.ValidationError({"parent_category": ["The parent belongs to another board."]})
            if self.instance is not None and (parent.pk == self.instance.pk or self.instance.children.exists()):
                raise serializers.ValidationError({"parent_category": ["A category with subcategories has no parent."]})
        clash = Category.objects.filter(board=board, parent=parent, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"category_name": ["This name is already used at this level."]})
        return attrs


class TagSerializer(GatedModelSerializer):
    tag_id = serializers.UUIDField(source="id", read_only=True)
    tag_text = serializers.CharField(source="text", max_length=50)

    class Meta:
        model = Tag
        fields = ["id", "tag_id", "tag_text", "background_color", "text_color", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_tag_text(self, value: str) -> str:
        value = value.strip()
        clash = Tag.objects.filter(text__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("This tag already exists.")
        return value


# ---- responses of the aggregate endpoints ---------------------------------------------------------------------


class CountByStatusSerializer(PassiveSerializer):
    status_id = serializers.UUIDField()
    status_name = serializers.CharField()
    board_id = serializers.UUIDField()
    count = serializers.IntegerField()


class CountByPrioritySerializer(PassiveSerializer):
    priority_id = serializers.UUIDField()
    priority_name = serializers.CharField()
    count = serializers.IntegerField()


class CountByBoardSerializer(PassiveSerializer):
    board_id = serializers.UUIDField()
    board_name = serializers.CharField()
    count = serializers.IntegerField()


class TicketStatsSerializer(PassiveSerializer):
    total_tickets = serializers.IntegerField()
    open_tickets = serializers.IntegerField()
    closed_tickets = serializers.IntegerField()
    unassigned_tickets = serializers.IntegerField(help_text="Open tickets with no primary assignee")
    overdue_tickets = serializers.IntegerField(help_text="Open tickets whose due date has passed")
    tickets_by_status = CountByStatusSerializer(many=True)
    tickets_by_priority = CountByPrioritySerializer(many=True)
    tickets_by_board = CountByBoardSerializer(many=True)
    tickets_created_today = serializers.IntegerField(help_text="Since midnight UTC")
    tickets_created_this_week = serializers.IntegerField(help_text="Since Monday 00:00 UTC")
    tickets_created_this_month = serializers.IntegerField(help_text="Since the 1st, 00:00 UTC")
    average_resolution_time = serializers.FloatField(
        allow_null=True, help_text="Mean hours from entry to close over the closed tickets counted; null if none"
    )
