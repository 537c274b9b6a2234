"""Serializers of time entries, the timer and materials. Field names follow AlgaPSA's REST API and mobile app."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from catalog.api.serializers import MoneyField, normalise_currency
from catalog.models import Product, Service
from psa import gating
from psa.api.serializers import GatedModelSerializer, PassiveSerializer
from psa.utils import is_uuid
from tickets.api.serializers import SafePrimaryKeyRelatedField, SafeScopedField
from tickets.models import Ticket
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession, WorkItemType
from tickets.time_services import check_duration, minutes_between

NOTES_MAX_LENGTH = 10_000
MAX_QUANTITY = 1_000_000


def _active(model):
    return model.objects.filter(is_active=True)


class ActiveServiceField(SafePrimaryKeyRelatedField):
    default_error_messages = {"does_not_exist": "No active service with id '{pk_value}'."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", _active(Service))
        super().__init__(**kwargs)


class TicketRefField(SafeScopedField):
    """``work_item_id``: a ticket within the caller's client scope (others do not exist)."""

    default_error_messages = {
        "does_not_exist": "No ticket with id '{pk_value}'.",
        "incorrect_type": "Give a ticket id.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Ticket.objects.all())
        super().__init__(**kwargs)


class TimeEntrySerializer(GatedModelSerializer):
    """A time entry. Give ``start_time`` and ``end_time``, or ``duration_minutes`` with either of them (or alone:
    the work then ends now); ``is_billable`` defaults to the service's billable default."""

    gating_scope = "time_entry"
    gating_label = "Time entry"
    # The ticket, client and user an entry names are gated by their own nodes, as TicketBriefSerializer's are.
    gating_derived = {
        "work_item_title": ("obj.ticket.title",),
        "ticket_number": ("obj.ticket.ticket_number",),
        "client_name": ("obj.client.name",),
        "user_name": ("obj.user.name", "obj.user.login"),
    }
    entry_id = serializers.UUIDField(source="id", read_only=True)
    work_item_type = serializers.ChoiceField(choices=WorkItemType.choices, default=WorkItemType.TICKET)
    work_item_id = TicketRefField(source="ticket")
    work_item_title = serializers.CharField(source="ticket.title", read_only=True)
    ticket_number = serializers.CharField(source="ticket.ticket_number", read_only=True)
    client_id = serializers.UUIDField(source="ticket.client_id", read_only=True)
    client_name = serializers.CharField(source="ticket.client.name", read_only=True)
    user_id = SafePrimaryKeyRelatedField(source="user", queryset=User.objects.filter(is_active=True), required=False)
    user_name = serializers.SerializerMethodField()
    service_id = ActiveServiceField(source="service", required=False, allow_null=True)
    service_name = serializers.CharField(source="service.name", read_only=True, default=None)
    start_time = serializers.DateTimeField(required=False)
    end_time = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(required=False, min_value=1)
    billable_duration = serializers.IntegerField(read_only=True)
    duration_hours = serializers.SerializerMethodField()
    is_billable = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=NOTES_MAX_LENGTH)
    work_timezone = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = [
            "id", "entry_id", "work_item_type", "work_item_id", "work_item_title", "ticket_number", "client_id",
            "client_name", "user_id", "user_name", "service_id", "service_name", "start_time", "end_time",
            "work_date", "work_timezone", "duration_minutes", "billable_duration", "duration_hours", "is_billable",
            "notes", "approval_status", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["work_date", "approval_status", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_user_name(self, entry) -> str | None:
        return str(entry.user) if entry.user_id else None

    def get_duration_hours(self, entry) -> float:
        return round(entry.billable_duration / 60, 2)

    def get_work_timezone(self, entry) -> str:
        return settings.WORK_TIME_ZONE

    def validate_notes(self, value):
        return value or ""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start, end = self._times(attrs)
        attrs.pop("duration_minutes", None)
        attrs["start_time"], attrs["end_time"] = start, end
        check_duration(minutes_between(start, end))
        if self.instance is None and "is_billable" not in attrs:
            service = attrs.get("service")
            attrs["is_billable"] = service.is_billable if service is not None else True
        return attrs

    def _times(self, attrs) -> tuple[datetime.datetime, datetime.datetime]:
        start, end, minutes = attrs.get("start_time"), attrs.get("end_time"), attrs.get("duration_minutes")
        if self.instance is not None:
            if end is None and minutes is not None:
                start = start or self.instance.start_time
            else:
                start = start or self.instance.start_time
                end = end or self.instance.end_time
        if start is not None and end is not None:
            if end <= start:
                raise serializers.ValidationError({"end_time": ["Must be after start_time."]})
            if minutes is not None and abs(minutes_between(start, end) - minutes) > 1:
                raise serializers.ValidationError(
                    {"duration_minutes": ["Does not match start_time and end_time; give two of the three."]}
                )
            return start, end
        if minutes is None:
            raise serializers.ValidationError(
                {"end_time": ["Give start_time and end_time, or duration_minutes (with or without one of them)."]}
            )
        check_duration(minutes, "duration_minutes")
        delta = datetime.timedelta(minutes=minutes)
        if start is not None:
            return start, start + delta
        end = end or timezone.now().replace(second=0, microsecond=0)
        return end - delta, end


class TicketTimeEntrySerializer(PassiveSerializer):
    """One entry as ``GET /tickets/{id}/time-entries`` lists it (AlgaPSA's ``TicketTimeEntrySummaryItem``).

    Each field is gated by the time entry's own node (``obj.time_entry.notes``...), as in ``GET /time-entries``, so
    none is required: a field the caller may not see is left out (``is_own`` goes with ``user_id``).
    """

    entry_id = serializers.UUIDField(required=False)
    user_id = serializers.UUIDField(required=False)
    user_name = serializers.CharField(required=False, allow_null=True)
    start_time = serializers.DateTimeField(required=False)
    end_time = serializers.DateTimeField(required=False)
    work_date = serializers.DateField(required=False)
    duration_minutes = serializers.IntegerField(required=False)
    billable_duration = serializers.IntegerField(required=False)
    is_billable = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_null=True)
    approval_status = serializers.CharField(required=False)
    service_id = serializers.UUIDField(required=False, allow_null=True)
    service_name = serializers.CharField(required=False, allow_null=True)
    is_own = serializers.BooleanField(required=False)

    def to_representation(self, instance: dict) -> dict:
        # A field left out of the item stays out (DRF would answer null for a nullable one).
        return {name: value for name, value in super().to_representation(instance).items() if name in instance}


class TicketTimeSummarySerializer(PassiveSerializer):
    """Minutes are worked minutes (end - start). Others' entries the caller may not read are counted, not listed."""

    entries = TicketTimeEntrySerializer(many=True)
    ownTotalMinutes = serializers.IntegerField()  # camelCase: the mobile app reads these names
    ownEntryCount = serializers.IntegerField()
    othersTotalMinutes = serializers.IntegerField()
    othersEntryCount = serializers.IntegerField()
    othersVisibleMinutes = serializers.IntegerField()
    othersVisibleCount = serializers.IntegerField()
    othersHiddenMinutes = serializers.IntegerField()
    othersHiddenCount = serializers.IntegerField()
    totalMinutes = serializers.IntegerField()
    billableMinutes = serializers.IntegerField()
    entriesTruncated = serializers.BooleanField()


class StartTrackingSerializer(PassiveSerializer):
    work_item_type = serializers.ChoiceField(choices=WorkItemType.choices, default=WorkItemType.TICKET)
    work_item_id = TicketRefField()
    service_id = ActiveServiceField(required=False, allow_null=True)
    notes = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=NOTES_MAX_LENGTH, default=""
    )
    is_billable = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_notes(self, value):
        return value or ""


class StopTrackingSerializer(PassiveSerializer):
    end_time = serializers.DateTimeField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=NOTES_MAX_LENGTH)
    service_id = ActiveServiceField(required=False, allow_null=True)
    is_billable = serializers.BooleanField(required=False)

    def validate_notes(self, value):
        return value or ""

    def validate_end_time(self, value):
        if value > timezone.now() + datetime.timedelta(minutes=1):
            raise serializers.ValidationError("Cannot be in the future.")
        return value


class TrackingSessionSerializer(serializers.ModelSerializer):
    """The running timer (AlgaPSA's ``ActiveTimeSession``)."""

    session_id = serializers.UUIDField(source="id", read_only=True)
    work_item_id = serializers.UUIDField(source="ticket_id", read_only=True)
    work_item_title = serializers.CharField(source="ticket.title", read_only=True)
    ticket_number = serializers.CharField(source="ticket.ticket_number", read_only=True)
    user_id = serializers.UUIDField(read_only=True)
    service_id = serializers.UUIDField(read_only=True, allow_null=True)
    service_name = serializers.CharField(source="service.name", read_only=True, default=None)
    notes = serializers.CharField(read_only=True, allow_null=True)
    elapsed_minutes = serializers.SerializerMethodField()

    class Meta:
        model = TimeTrackingSession
        fields = [
            "session_id", "work_item_id", "work_item_type", "work_item_title", "ticket_number", "start_time",
            "notes", "service_id", "service_name", "user_id", "is_billable", "elapsed_minutes",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, session) -> dict:
        data = super().to_representation(session)
        request = self.context.get("request")
        for name, ticket_field in (("work_item_title", "title"), ("ticket_number", "ticket_number")):
            if request is not None and not gating.field_visible(request, "ticket", ticket_field):
                data.pop(name)  # the ticket's own gate, as everywhere else
        return data

    def get_elapsed_minutes(self, session) -> int:
        return max(0, int((timezone.now() - session.start_time).total_seconds() // 60))


@extend_schema_field(OpenApiTypes.UUID)
class CatalogItemField(serializers.Field):
    """A catalog id. ``service_id`` may name a service or a product (AlgaPSA keeps both in one catalog)."""

    def __init__(self, models: tuple[type, ...], **kwargs):
        self.models = models
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not is_uuid(data):
            raise serializers.ValidationError("Give the id of a catalog item.")
        for model in self.models:
            item = model.objects.filter(pk=data).first()
            if item is not None:
                if not item.is_active:
                    raise serializers.ValidationError(f"'{item.name}' is inactive.")
                return item
        raise serializers.ValidationError(f"No catalog item with id '{data[:64]}'.")

    def to_representation(self, value):
        return str(value.pk)


class MaterialCreateSerializer(PassiveSerializer):
    service_id = CatalogItemField((Service, Product), required=False)
    product_id = CatalogItemField((Product,), required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    rate = MoneyField(required=False)
    currency_code = serializers.CharField(max_length=3, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, default="")
    is_billed = serializers.BooleanField(required=False, default=False)

    def validate_currency_code(self, value: str) -> str:
        return normalise_currency(value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        items = [attrs.pop(name) for name in ("service_id", "product_id") if name in attrs]
        if len(items) != 1:
            raise serializers.ValidationError({"service_id": ["Give exactly one of service_id and product_id."]})
        item = items[0]
        currency = attrs.get("currency_code", item.currency)
        if "rate" not in attrs:
            if currency != item.currency:
                raise serializers.ValidationError(
                    {"rate": [f"Give a rate: the item is priced in {item.currency}, not {currency}."]}
                )
            attrs["rate"] = item.unit_price if isinstance(item, Product) else item.default_rate
        attrs["currency_code"] = currency
        attrs["item"] = item
        return attrs


class MaterialSerializer(serializers.ModelSerializer):
    ticket_material_id = serializers.UUIDField(source="id", read_only=True)
    ticket_id = serializers.UUIDField(read_only=True)
    service_id = serializers.SerializerMethodField()
    product_id = serializers.UUIDField(read_only=True, allow_null=True)
    item_type = serializers.SerializerMethodField()
    service_name = serializers.CharField(source="item_name", read_only=True)
    sku = serializers.SerializerMethodField()
    total = serializers.IntegerField(read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = TicketMaterial
        fields = [
            "id", "ticket_material_id", "ticket_id", "item_type", "service_id", "product_id", "service_name", "sku",
            "quantity", "rate", "currency_code", "total", "description", "is_billed", "billed_at", "created_by",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.UUID)
    def get_service_id(self, material) -> str:
        """The catalog item's id, a service's or a product's (as AlgaPSA's one catalog has it)."""
        return str(material.service_id or material.product_id)

    def get_item_type(self, material) -> str:
        return "product" if material.product_id else "service"

    @extend_schema_field(OpenApiTypes.STR)
    def get_sku(self, material) -> str | None:
        return material.product.sku if material.product_id else None
