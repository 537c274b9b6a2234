"""The ticket filters, shared by ``GET /tickets``, ``/tickets/stats`` and the UI's ticket list.

Semantics (both values of every boolean mean something, unlike AlgaPSA where ``false`` was a no-op):

- ``is_open=true``: open tickets; ``is_open=false``: closed ones. ``is_closed`` is the mirror image.
- ``has_assignment=true|false``: with / without a primary assignee.
- ``overdue=true``: open and past due; ``overdue=false``: everything else.
- ``assigned_to``: a user id, or ``me`` for the caller.
- ``priority_name``/``status_name``: exact name, case-insensitive (a status name matches on every board).
- ``status_ids``/``tags``: comma-separated (or a JSON array); ``tags`` matches tickets with any of the tag texts.
- ``*_from``/``*_to``: ISO 8601 datetimes or dates, inclusive; a date ``*_to`` covers that whole day (UTC).
- ``due_before``: due strictly before the datetime; a date means due on or before that day.
"""

from __future__ import annotations

import datetime
import uuid

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field

from psa.api.parsers import loads_bounded
from psa.filtersets import BaseFilterSet
from tickets.models import Board, Category, Priority, Status, Tag, Ticket

BOOLEAN_HELP = "true or false"


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
        raise forms.ValidationError("Use true or false.")


@extend_schema_field({"type": "boolean"})  # a query string's "true" or "false" (psa.api.query_params)
class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


def _split(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            items = loads_bounded(value)
        except ValueError:
            raise forms.ValidationError("Malformed JSON array.") from None
        if not isinstance(items, list):
            raise forms.ValidationError("Expected a list.")
        return [str(item).strip() for item in items if str(item).strip()]
    return [item.strip() for item in value.split(",") if item.strip()]


class UUIDListField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        items = _split(str(value))
        if len(items) > 100:
            raise forms.ValidationError("At most 100 ids.")
        try:
            return [uuid.UUID(item) for item in items]
        except ValueError:
            raise forms.ValidationError("Give ids separated by commas.") from None


class TextListField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        items = _split(str(value))
        if len(items) > 100:
            raise forms.ValidationError("At most 100 values.")
        return [item.lower()[:100] for item in items]


@extend_schema_field({"type": "string", "description": "Comma-separated ids, or a JSON array"})
class UUIDListFilter(django_filters.Filter):
    field_class = UUIDListField


@extend_schema_field({"type": "string", "description": "Comma-separated texts, or a JSON array"})
class TextListFilter(django_filters.Filter):
    field_class = TextListField


class Moment:
    """A parsed datetime, remembering whether the caller gave only a date."""

    __slots__ = ("date_only", "value")

    def __init__(self, value: datetime.datetime, date_only: bool) -> None:
        self.value, self.date_only = value, date_only


class MomentField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().replace(" ", "+") if "T" in str(value) else str(value).strip()
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is not None and ("T" in text or ":" in text):
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, datetime.UTC)
            # In UTC: an offset such as +17:32 is valid ISO 8601, but PostgreSQL refuses it (±15:59).
            return Moment(parsed.astimezone(datetime.UTC), False)
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise forms.ValidationError("Use an ISO 8601 datetime (2025-01-31T09:00:00Z) or date (2025-01-31).")
        return Moment(datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC), True)


@extend_schema_field({"type": "string", "description": "ISO 8601 datetime or date"})
class MomentFilter(django_filters.Filter):
    field_class = MomentField


class UserRefField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip()
        if text.lower() == "me":
            return "me"
        try:
            return uuid.UUID(text)
        except ValueError:
            raise forms.ValidationError("Give a user id or 'me'.") from None


@extend_schema_field({"type": "string", "description": "A user id, or me"})
class UserRefFilter(django_filters.Filter):
    field_class = UserRefField


def _next_day(moment: Moment) -> datetime.datetime:
    return moment.value + datetime.timedelta(days=1)


class TicketFilterSet(BaseFilterSet):
    search_fields = ("title", "ticket_number", "client__name")
    search_uses_index = True  # search= finds what GET /tickets/search finds

    is_open = StrictBooleanFilter(method="filter_is_open", label="Open (true) or closed (false)")
    is_closed = StrictBooleanFilter(method="filter_is_closed", label="Closed (true) or open (false)")
    assigned_to = UserRefFilter(method="filter_assigned_to", label="Assignee (user id or 'me')")
    has_assignment = StrictBooleanFilter(method="filter_has_assignment", label="Has a primary assignee")
    priority_name = django_filters.CharFilter(method="filter_priority_name", label="Priority")
    status_name = django_filters.CharFilter(method="filter_status_name", label="Status name")
    status_id = django_filters.UUIDFilter(field_name="status_id")
    status_ids = UUIDListFilter(method="filter_status_ids", label="Statuses")
    priority_id = django_filters.UUIDFilter(field_name="priority_id")
    board_id = django_filters.UUIDFilter(field_name="board_id")
    client_id = django_filters.UUIDFilter(field_name="client_id")
    contact_id = django_filters.UUIDFilter(field_name="contact_id")
    contact_name_id = django_filters.UUIDFilter(field_name="contact_id", label="Contact (AlgaPSA name)")
    location_id = django_filters.UUIDFilter(field_name="location_id")
    category_id = django_filters.UUIDFilter(field_name="category_id")
    subcategory_id = django_filters.UUIDFilter(field_name="subcategory_id")
    entered_by = django_filters.UUIDFilter(field_name="entered_by_id")
    tags = TextListFilter(method="filter_tags", label="Any of these tags")
    updated_from = MomentFilter(method="filter_from", field_name="updated_at")
    updated_to = MomentFilter(method="filter_to", field_name="updated_at")
    entered_from = MomentFilter(method="filter_from", field_name="entered_at")
    entered_to = MomentFilter(method="filter_to", field_name="entered_at")
    closed_from = MomentFilter(method="filter_from", field_name="closed_at")
    closed_to = MomentFilter(method="filter_to", field_name="closed_at")
    due_before = MomentFilter(method="filter_due_before", label="Due before")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Open and past due")

    class Meta:
        model = Ticket
        fields = ["source"]

    # ``is_closed IN (x)``, not ``is_closed = x``: Django writes the latter as ``NOT is_closed`` on SQLite, which its
    # planner cannot seek on, so an index such as (assignee, is_closed, entered_at) served neither filter nor sort.
    def filter_is_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(is_closed__in=[not value])

    def filter_is_closed(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(is_closed__in=[value])

    def filter_assigned_to(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        if value == "me":
            user = getattr(self.request, "user", None)
            value = user.pk if user is not None and user.is_authenticated else None
        return queryset.filter(assigned_to_id=value)

    def filter_has_assignment(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(assigned_to__isnull=not value)

    # Names match through an id subquery, not a join: the ticket scan keeps its sort index and stops at the page.
    def filter_priority_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(priority_id__in=Priority.objects.filter(name__iexact=value).values("pk"))

    def filter_status_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status_id__in=Status.objects.filter(name__iexact=value).values("pk"))

    def filter_status_ids(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset if not value else queryset.filter(status_id__in=value)

    def filter_tags(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        tag_ids = Tag.objects.filter(Q(*(Q(text__iexact=text) for text in value), _connector=Q.OR)).values("pk")
        through = Ticket.tags.through
        return queryset.filter(Exists(through.objects.filter(ticket_id=OuterRef("pk"), tag_id__in=tag_ids)))

    def filter_from(self, queryset: QuerySet, name: str, value: Moment | None) -> QuerySet:
        return queryset if value is None else queryset.filter(**{f"{name}__gte": value.value})

    def filter_to(self, queryset: QuerySet, name: str, value: Moment | None) -> QuerySet:
        if value is None:
            return queryset
        if value.date_only:
            return queryset.filter(**{f"{name}__lt": _next_day(value)})
        return queryset.filter(**{f"{name}__lte": value.value})

    def filter_due_before(self, queryset: QuerySet, name: str, value: Moment | None) -> QuerySet:
        if value is None:
            return queryset
        limit = _next_day(value) if value.date_only else value.value
        return queryset.filter(due_date__lt=limit)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = Q(is_closed=False, due_date__lt=timezone.now())
        return queryset.filter(overdue if value else ~overdue)


# Query parameters of GET /tickets that are not filters of the set (pagination, sorting, field selection).
LIST_PARAMETERS = frozenset({"page", "limit", "sort", "order", "fields"})


class BoardFilterSet(BaseFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Board
        fields = ["is_active", "is_default"]


class StatusFilterSet(BaseFilterSet):
    search_fields = ("name",)
    board_id = django_filters.UUIDFilter(field_name="board_id")

    class Meta:
        model = Status
        fields = ["is_closed", "is_default"]


class PriorityFilterSet(BaseFilterSet):
    """``item_type`` as AlgaPSA's mobile app sends it: every PSA priority is a ticket priority."""

    search_fields = ("name",)
    item_type = django_filters.ChoiceFilter(
        choices=[("ticket", "ticket"), ("project_task", "project_task")], method="filter_item_type"
    )

    class Meta:
        model = Priority
        fields = ["is_default"]

    def filter_item_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == "ticket" else queryset.none()


class CategoryFilterSet(BaseFilterSet):
    search_fields = ("name", "description")
    board_id = django_filters.UUIDFilter(field_name="board_id")
    parent_category = django_filters.UUIDFilter(field_name="parent_id")
    is_subcategory = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Category
        fields = []


class TagFilterSet(BaseFilterSet):
    search_fields = ("text",)

    class Meta:
        model = Tag
        fields = []
