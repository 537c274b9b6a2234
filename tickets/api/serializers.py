"""Ticket API serializers. Writes are validated here and applied by :mod:`tickets.services`."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from clients.models import Client, Contact, Location
from psa.api.serializers import GatedModelSerializer, PassiveSerializer, ScopedPrimaryKeyRelatedField
from psa.utils import is_uuid
from tickets.models import (
    Board,
    Category,
    Priority,
    Status,
    Ticket,
    TicketWatcher,
)

DESCRIPTION_MAX_LENGTH = 100_000
MAX_TAGS = 30
MAX_WATCHERS = 100
MAX_EXTRA_ATTRIBUTES_BYTES = 16_384

# ``fields=mobile_list`` stands for exactly these (seed 001).
MOBILE_LIST_FIELDS = (
    "ticket_id", "ticket_number", "title", "status_id", "status_name", "status_is_closed", "priority_name",
    "assigned_to_name", "client_name", "contact_name", "updated_at", "entered_at", "closed_at", "tags",
)  # fmt: skip
# Fields a detail response has that the default list leaves out (ask for them with ``fields``).
DETAIL_ONLY_FIELDS = frozenset({
    "description_html", "attributes", "watchers", "additional_agents", "tags", "contact_name_id", "contact_email",
    "contact_phone", "client_email", "client_phone", "contact_avatar_url", "client_logo_url",
})  # fmt: skip
# The two flags of AlgaPSA's mobile app: accepted on every ticket write, recorded with the change.
SUPPRESS_FLAGS = {"suppressContactNotifications": "contact", "suppressInternalNotifications": "internal"}


def user_name(user: User | None) -> str | None:
    return str(user) if user is not None else None


class ActiveUserField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "No active user with id '{pk_value}'.",
        "incorrect_type": "Give a user id.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not is_uuid(data):
            self.fail("does_not_exist", pk_value=data[:64])
        return super().to_internal_value(data)


class SafePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation whose malformed ids are a 400 naming the field, never a database error."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not is_uuid(data):
            self.fail("does_not_exist", pk_value=data[:64])
        return super().to_internal_value(data)


class SafeScopedField(ScopedPrimaryKeyRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, str) and not is_uuid(data):
            self.fail("does_not_exist", pk_value=data[:64])
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "tag_id": {"type": "string", "format": "uuid"},
                "tag_text": {"type": "string"},
                "background_color": {"type": "string"},
                "text_color": {"type": "string"},
            },
        },
        "description": "Read: the ticket's tags. Write: a list of tag texts (or tag ids); unknown texts create tags.",
    }
)
class TagsField(serializers.Field):
    lean_context_free = True  # its output reads only the tags (psa.api.lean)
    lean_reads_all = True  # ... and only through value.all(): the lean path hands it the prefetched rows

    def to_representation(self, value):
        tags = sorted(value.all(), key=lambda tag: tag.text.lower())
        return [
            {
                "tag_id": str(t.pk),
                "tag_text": t.text,
                "background_color": t.background_color,
                "text_color": t.text_color,
            }
            for t in tags
        ]

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of tag texts.")
        if len(data) > MAX_TAGS:
            raise serializers.ValidationError(f"At most {MAX_TAGS} tags.")
        texts: dict[str, str] = {}
        for item in data:
            if not isinstance(item, str) or not item.strip():
                raise serializers.ValidationError("Each tag is a non-empty text.")
            text = item.strip()
            if len(text) > 50:
                raise serializers.ValidationError("A tag is at most 50 characters.")
            texts.setdefault(text.lower(), text)
        return list(texts.values())


class WatcherInputSerializer(PassiveSerializer):
    user_id = ActiveUserField(required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        user = attrs.get("user_id")
        email = (attrs.get("email") or "").strip().lower()
        if bool(user) == bool(email):
            raise serializers.ValidationError("Give either user_id or email.")
        return {"user": user, "email": "" if user else email, "name": attrs.get("name", "")}


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid", "readOnly": True},
                "user_id": {"type": "string", "format": "uuid", "nullable": True},
                "email": {"type": "string"},
                "name": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            },
            "additionalProperties": False,  # a written item takes user_id, or email and name (WatcherInputSerializer)
        },
        "description": "Users or e-mail addresses told about the ticket. Writing replaces the whole list.",
    }
)
class WatchersField(serializers.Field):
    lean_context_free = True  # its output reads only the watchers (psa.api.lean)

    def to_representation(self, value):
        return [watcher_data(w) for w in value.all()]

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of {user_id} or {email, name} objects.")
        if len(data) > MAX_WATCHERS:
            raise serializers.ValidationError(f"At most {MAX_WATCHERS} watchers.")
        items = []
        for index, item in enumerate(data):
            sub = WatcherInputSerializer(data=item)
            if not sub.is_valid():
                raise serializers.ValidationError({index: sub.errors})
            items.append(sub.validated_data)
        return {"mode": "all", "items": _dedupe_watchers(items)}


def _dedupe_watchers(items: list[dict]) -> list[dict]:
    seen, unique = set(), []
    for item in items:
        key = ("u", item["user"].pk) if item["user"] else ("e", item["email"])
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def watcher_data(watcher: TicketWatcher) -> dict:
    return {
        "id": str(watcher.pk),
        "user_id": str(watcher.user_id) if watcher.user_id else None,
        "email": watcher.user.email if watcher.user_id else watcher.email,
        "name": str(watcher.user) if watcher.user_id else watcher.name,
        "created_at": serializers.DateTimeField().to_representation(watcher.created_at),
    }


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "additionalProperties": True,
        "description": (
            "AlgaPSA-style attributes. Read: free-form keys plus description, due_date and watcher_user_ids. "
            "Write (PUT /tickets/{id}): replaces them all; description, due_date and watcher_user_ids update the "
            "ticket's own fields (a key left out clears it), other keys are kept as they are sent."
        ),
    }
)
class AttributesField(serializers.Field):
    lean_context_free = True  # its output reads only the ticket (psa.api.lean)

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, ticket: Ticket):
        data = dict(ticket.attributes or {})
        if ticket.description:
            data["description"] = ticket.description
        if ticket.due_date:
            data["due_date"] = serializers.DateTimeField().to_representation(ticket.due_date)
        users = [str(w.user_id) for w in ticket.watchers.all() if w.user_id]
        if users:
            data["watcher_user_ids"] = users
        return data

    def validate_empty_values(self, data):
        if data is None:
            return True, {"attributes": {}}
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected an object or null.")
        return {"attributes": data}


def parse_attributes(data: dict) -> dict:
    """Split AlgaPSA-style attributes into the ticket's own fields and the free-form rest."""
    extra = dict(data)
    description = extra.pop("description", None)
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX_LENGTH:
        raise serializers.ValidationError({"attributes": {"description": ["Expected text up to 100,000 characters."]}})
    due = extra.pop("due_date", None)
    due_date = None
    if due not in (None, ""):
        try:
            due_date = serializers.DateTimeField().to_internal_value(due)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"attributes": {"due_date": exc.detail}}) from None
    raw_ids = extra.pop("watcher_user_ids", None) or []
    if not isinstance(raw_ids, list) or len(raw_ids) > MAX_WATCHERS:
        raise serializers.ValidationError({"attributes": {"watcher_user_ids": ["Expected a list of user ids."]}})
    field = ActiveUserField()
    users = []
    for value in raw_ids:
        try:
            users.append(field.to_internal_value(value))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"attributes": {"watcher_user_ids": exc.detail}}) from None
    if len(json.dumps(extra, default=str)) > MAX_EXTRA_ATTRIBUTES_BYTES:
        raise serializers.ValidationError({"attributes": ["Too large: keep extra attributes under 16 KB."]})
    watchers = _dedupe_watchers([{"user": user, "email": "", "name": ""} for user in users])
    return {
        "description": description,
        "due_date": due_date,
        "watchers": {"mode": "users", "items": watchers},
        "extra": extra,
    }


class TicketSerializer(GatedModelSerializer):
    """A ticket. ``fields`` (a list of names) narrows the representation, as ``?fields=`` does."""

    gating_scope = "ticket"
    gating_label = "Ticket"
    fields_selectable = True  # ?fields= picks the output fields: the schema requires none (psa.api.schema)
    _USER = ("obj.user.name", "obj.user.login")  # str(user)
    gating_derived = {
        "description_html": ("description",),
        "attributes": ("description", "due_date", "watchers"),
        "client_name": ("obj.client.name",),
        "contact_name": ("obj.contact.first_name", "obj.contact.last_name"),
        "location_name": ("obj.location.name",),
        "contact_email": ("obj.contact.email",),
        "contact_phone": ("obj.contact.phone",),
        "client_email": ("obj.client.email",),
        "client_phone": ("obj.client.phone",),
        "assigned_to_name": _USER,
        "entered_by_name": _USER,
        "updated_by_name": _USER,
        "closed_by_name": _USER,
    }

    ticket_id = serializers.UUIDField(source="id", read_only=True)
    title = serializers.CharField(max_length=255, min_length=1)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH, trim_whitespace=False
    )
    description_html = serializers.SerializerMethodField()
    attributes = AttributesField()
    client_id = SafeScopedField(source="client", queryset=Client.objects.all())
    client_name = serializers.CharField(source="client.name", read_only=True)
    contact_id = SafeScopedField(source="contact", queryset=Contact.objects.all(), required=False, allow_null=True)
    contact_name = serializers.CharField(source="contact", read_only=True)
    contact_name_id = SafeScopedField(
        source="contact", queryset=Contact.objects.all(), required=False, allow_null=True,
        help_text="AlgaPSA's name for contact_id; send one of the two",
    )  # fmt: skip
    contact_email = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    contact_avatar_url = serializers.SerializerMethodField(help_text="Always null: PSA stores no contact photos")
    client_email = serializers.SerializerMethodField()
    client_phone = serializers.SerializerMethodField()
    client_logo_url = serializers.SerializerMethodField(help_text="Always null: PSA stores no client logos")
    suppressContactNotifications = serializers.BooleanField(write_only=True, required=False)
    suppressInternalNotifications = serializers.BooleanField(write_only=True, required=False)
    location_id = SafeScopedField(source="location", queryset=Location.objects.all(), required=False, allow_null=True)
    location_name = serializers.CharField(source="location.name", read_only=True, allow_null=True)  # null: no site
    board_id = SafePrimaryKeyRelatedField(source="board", queryset=Board.objects.all(), required=False)
    board_name = serializers.CharField(source="board.name", read_only=True)
    status_id = SafePrimaryKeyRelatedField(source="status", queryset=Status.objects.all(), required=False)
    status_name = serializers.CharField(source="status.name", read_only=True)
    status_is_closed = serializers.BooleanField(source="status.is_closed", read_only=True)
    priority_id = SafePrimaryKeyRelatedField(source="priority", queryset=Priority.objects.all(), required=False)
    priority_name = serializers.CharField(source="priority.name", read_only=True)
    category_id = SafePrimaryKeyRelatedField(
        source="category", queryset=Category.objects.all(), required=False, allow_null=True
    )
    category_name = serializers.CharField(source="category.name", read_only=True)
    subcategory_id = SafePrimaryKeyRelatedField(
        source="subcategory", queryset=Category.objects.all(), required=False, allow_null=True
    )
    subcategory_name = serializers.CharField(source="subcategory.name", read_only=True)
    assigned_to = ActiveUserField(required=False, allow_null=True)
    assigned_to_name = serializers.CharField(source="assigned_to", read_only=True)
    additional_agents = serializers.SerializerMethodField()
    watchers = WatchersField(required=False)
    tags = TagsField(required=False)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=Ticket.Source.choices, required=False)
    entered_by = serializers.UUIDField(source="entered_by_id", read_only=True)
    entered_by_name = serializers.CharField(source="entered_by", read_only=True)
    updated_by = serializers.UUIDField(source="updated_by_id", read_only=True)
    updated_by_name = serializers.CharField(source="updated_by", read_only=True)
    closed_by = serializers.UUIDField(source="closed_by_id", read_only=True)
    closed_by_name = serializers.CharField(source="closed_by", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id", "ticket_id", "ticket_number", "title", "description", "description_html", "attributes",
            "client_id", "client_name", "client_email", "client_phone", "client_logo_url", "contact_id",
            "contact_name_id", "contact_name", "contact_email", "contact_phone", "contact_avatar_url",
            "location_id", "location_name",
            "board_id", "board_name", "status_id", "status_name", "status_is_closed", "is_closed",
            "priority_id", "priority_name", "category_id", "category_name", "subcategory_id", "subcategory_name",
            "assigned_to", "assigned_to_name", "additional_agents", "watchers", "tags", "due_date", "is_overdue",
            "source", "entered_by", "entered_by_name", "entered_at", "updated_by", "updated_by_name", "updated_at",
            "closed_by", "closed_by_name", "closed_at", "suppressContactNotifications",
            "suppressInternalNotifications",
        ]  # fmt: skip
        read_only_fields = ["ticket_number", "is_closed", "entered_at", "updated_at", "closed_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, ticket: Ticket) -> str:
        return ticket.rendered_description

    def get_contact_email(self, ticket: Ticket) -> str | None:
        return (ticket.contact.email or None) if ticket.contact_id else None

    def get_contact_phone(self, ticket: Ticket) -> str | None:
        return (ticket.contact.phone or ticket.contact.mobile or None) if ticket.contact_id else None

    def get_contact_avatar_url(self, ticket: Ticket) -> str | None:
        return None

    def get_client_email(self, ticket: Ticket) -> str | None:
        return ticket.client.email or None

    def get_client_phone(self, ticket: Ticket) -> str | None:
        return ticket.client.phone or None

    def get_client_logo_url(self, ticket: Ticket) -> str | None:
        return None

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "user_id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string"},
                    "email": {"type": "string"},
                    "role": {"type": "string"},
                    "assigned_at": {"type": "string", "format": "date-time"},
                },
            },
        }
    )
    def get_additional_agents(self, ticket: Ticket) -> list[dict]:
        return [agent_data(agent) for agent in ticket.agents.all()]

    # Validation of the fields that depend on each other; the service applies the result.
    def validate(self, attrs: dict) -> dict:
        sent = self.initial_data if isinstance(getattr(self, "initial_data", None), dict) else {}
        if "contact_id" in sent and "contact_name_id" in sent and sent["contact_id"] != sent["contact_name_id"]:
            raise serializers.ValidationError({"contact_name_id": ["Send contact_id or contact_name_id, not both."]})
        attrs = super().validate(attrs)
        ticket: Ticket | None = self.instance
        if "attributes" in attrs:
            raw = attrs.pop("attributes")
            clash = sorted({"description", "due_date", "watchers"} & set(attrs))
            if clash:
                raise serializers.ValidationError(
                    {"attributes": [f"Send {', '.join(clash)} either at the top level or inside attributes, not both."]}
                )
            parsed = parse_attributes(raw)
            attrs.update(
                description=parsed["description"],
                due_date=parsed["due_date"],
                watchers=parsed["watchers"],
                attributes=parsed["extra"],
            )
        if ticket is not None and "source" in attrs:
            raise serializers.ValidationError({"source": ["The source is set when the ticket is created."]})
        self._validate_board(attrs, ticket)
        self._validate_client(attrs, ticket)
        self._validate_assignee(attrs, ticket)
        return attrs

    def _validate_board(self, attrs: dict, ticket: Ticket | None) -> None:
        board = attrs.get("board", ticket.board if ticket else None)
        board_changed = "board" in attrs and (ticket is None or attrs["board"].pk != ticket.board_id)
        if board is None:
            board = Board.objects.filter(is_default=True, is_active=True).first()
            if board is None:
                raise serializers.ValidationError({"board_id": ["This field is required: there is no default board."]})
            attrs["board"] = board
            board_changed = True
        if board_changed and not board.is_active:
            raise serializers.ValidationError({"board_id": ["This board is inactive."]})
        status = attrs.get("status")
        if ticket is None and status is None:
            status = default_status(board)
            if status is None:
                raise serializers.ValidationError(
                    {"status_id": ["This board has no statuses: choose a status or configure the board."]}
                )
            attrs["status"] = status
        elif ticket is not None and board_changed and status is None:
            raise serializers.ValidationError({"status_id": ["Changing the board requires a status of the new board."]})
        if status is not None and status.board_id != board.pk:
            raise serializers.ValidationError({"status_id": [f"This status does not belong to the board '{board}'."]})
        if ticket is None and "priority" not in attrs:
            priority = default_priority(board)
            if priority is None:
                raise serializers.ValidationError(
                    {"priority_id": ["This field is required: there is no default priority."]}
                )
            attrs["priority"] = priority
        # Categories belong to a board: a board change drops the old ones unless new ones are sent.
        keep_old = ticket is not None and not board_changed
        category = attrs.get("category", ticket.category if keep_old else None)
        subcategory = attrs.get("subcategory", ticket.subcategory if keep_old and "category" not in attrs else None)
        if subcategory is not None and category is None:
            category = subcategory.parent
        if category is not None and category.parent_id is not None:
            raise serializers.ValidationError({"category_id": ["This is a subcategory: send it as subcategory_id."]})
        if category is not None and category.board_id != board.pk:
            raise serializers.ValidationError(
                {"category_id": [f"This category does not belong to the board '{board}'."]}
            )
        if subcategory is not None and (category is None or subcategory.parent_id != category.pk):
            raise serializers.ValidationError(
                {"subcategory_id": ["This is not a subcategory of the ticket's category."]}
            )
        if ticket is None or board_changed or "category" in attrs or "subcategory" in attrs:
            attrs["category"], attrs["subcategory"] = category, subcategory

    def _validate_client(self, attrs: dict, ticket: Ticket | None) -> None:
        client = attrs.get("client", ticket.client if ticket else None)
        client_changed = ticket is not None and "client" in attrs and attrs["client"].pk != ticket.client_id
        for name in ("contact", "location"):
            if name in attrs:
                related = attrs[name]
            elif client_changed:
                related = None
                attrs[name] = None  # the old client's contact/site no longer fits
            else:
                continue
            if related is not None and related.client_id != client.pk:
                raise serializers.ValidationError({f"{name}_id": [f"This {name} belongs to another client."]})

    def _validate_assignee(self, attrs: dict, ticket: Ticket | None) -> None:
        if "assigned_to" not in attrs and not (ticket and "client" in attrs):
            return
        user = attrs.get("assigned_to", ticket.assigned_to if ticket else None)
        client = attrs.get("client", ticket.client if ticket else None)
        if user is not None and not can_see_client(user, client):
            raise serializers.ValidationError({"assigned_to": ["This user cannot see this client's tickets."]})


def can_see_client(user: User, client: Client) -> bool:
    scope = user.client_scope()
    return scope is None or client.pk in scope


def default_status(board: Board) -> Status | None:
    statuses = list(Status.objects.filter(board=board).order_by("-is_default", "is_closed", "order", "name"))
    return statuses[0] if statuses else None


def default_priority(board: Board | None = None) -> Priority | None:
    if board is not None and board.default_priority_id:
        return board.default_priority
    return Priority.objects.order_by("-is_default", "order", "name").first()


def agent_data(agent) -> dict:
    return {
        "user_id": str(agent.user_id),
        "name": str(agent.user),
        "email": agent.user.email,
        "role": agent.role,
        "assigned_at": serializers.DateTimeField().to_representation(agent.created_at),
    }


def user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"user_id": str(user.pk), "name": str(user), "email": user.email}


# ---- request bodies of the sub-resources -------------------------------------------------------------------


class SuppressFlagsMixin(serializers.Serializer):
    suppressContactNotifications = serializers.BooleanField(required=False)
    suppressInternalNotifications = serializers.BooleanField(required=False)


def suppressed(data: dict) -> frozenset[str]:
    """Pop the mobile app's notification flags from validated data: the audiences not to notify."""
    return frozenset(audience for flag, audience in SUPPRESS_FLAGS.items() if data.pop(flag, False))


class StatusChangeSerializer(SuppressFlagsMixin, PassiveSerializer):
    status_id = SafePrimaryKeyRelatedField(queryset=Status.objects.all())


class AssignmentSerializer(SuppressFlagsMixin, PassiveSerializer):
    assigned_to = ActiveUserField(allow_null=True)


class AgentAddSerializer(PassiveSerializer):
    user_id = ActiveUserField()
    role = serializers.CharField(max_length=50, required=False, default="support")


class AgentRemoveSerializer(PassiveSerializer):
    user_id = serializers.UUIDField()


class WatcherSerializer(WatcherInputSerializer):
    """Add a watcher: ``{user_id}`` or ``{email, name?}``."""


class WatcherRemoveSerializer(PassiveSerializer):
    user_id = serializers.UUIDField(required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate(self, attrs):
        if bool(attrs.get("user_id")) == bool(attrs.get("email")):
            raise serializers.ValidationError("Give either user_id or email.")
        return attrs


class AgentsSerializer(PassiveSerializer):
    """``GET /tickets/{id}/agents``."""

    ticket_id = serializers.UUIDField()
    primary_agent = serializers.DictField(allow_null=True)
    additional_agents = serializers.ListField(child=serializers.DictField())


class WatcherOutSerializer(PassiveSerializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField(allow_null=True)
    email = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


def safe_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class TicketBriefSerializer(GatedModelSerializer):
    """A ticket in brief, wherever another object's response names one (asset links, bundles).

    The one summary of a ticket: each field is gated by the ticket's own node (``obj.ticket.title``...), as in
    ``GET /tickets/{id}``, so no nested summary shows what the ticket itself withholds. ``fields`` narrows it.
    """

    gating_scope = "ticket"
    gating_label = "Ticket"
    gating_derived = {name: TicketSerializer.gating_derived[name] for name in ("client_name", "assigned_to_name")}

    ticket_id = serializers.UUIDField(source="id", read_only=True)
    status_id = serializers.UUIDField(read_only=True)
    status_name = serializers.CharField(source="status.name", read_only=True)
    priority_name = serializers.CharField(source="priority.name", read_only=True)
    assigned_to_name = serializers.CharField(source="assigned_to", read_only=True, allow_null=True)
    client_id = serializers.UUIDField(read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "ticket_id", "ticket_number", "title", "status_id", "status_name", "is_closed", "priority_name",
            "assigned_to_name", "client_id", "client_name", "entered_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def __init__(self, *args, fields: list[str] | tuple[str, ...] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [n for n in self.fields if fields is not None and n not in fields]:
            self.fields.pop(name)
