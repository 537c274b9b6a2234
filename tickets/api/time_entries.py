"""``/time-entries`` (CRUD and the timer) and ``GET /tickets/{id}/time-entries`` with the mobile app's totals.

A caller reads its own entries with ``time_entry.read`` and everybody's with ``time_entry.read.other``; changing
or deleting another user's entry also needs ``time_entry.update.other``. Entries are client-scoped through their
ticket.
"""

from __future__ import annotations

import functools
import uuid

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from psa import gating
from psa.access import has_node, restrict
from psa.api.schema import documented_error
from psa.api.viewsets import UUID_REGEX, PsaAPIView, PsaModelViewSet
from tickets import time_services
from tickets.api import time_serializers as s
from tickets.models import Ticket
from tickets.time_filtersets import TimeEntryFilterSet
from tickets.time_models import TimeEntry, TimeTrackingSession

OTHERS_NODE = "time_entry.update.other"
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def visible_entries(request, queryset=None):
    """Time entries the caller may read: in its client scope, and only its own without ``time_entry.read.other``."""
    queryset = restrict(queryset if queryset is not None else TimeEntry.objects.all(), request)
    return queryset if has_node(request, "time_entry.read.other") else queryset.filter(user=request.user)


def own_session(request) -> TimeTrackingSession | None:
    sessions = TimeTrackingSession.objects.select_related("ticket", "service").filter(user=request.user)
    return restrict(sessions, request).first()


@extend_schema_view(
    list=extend_schema(
        summary="List time entries",
        parameters=[
            OpenApiParameter(
                "totals",
                OpenApiTypes.BOOL,
                description="Add meta.total_minutes and meta.billable_minutes over all matches (one more aggregate)",
            )
        ],
    ),
    create=extend_schema(summary="Log time on a ticket", responses={201: s.TimeEntrySerializer}),
    update=extend_schema(summary="Change a time entry (only the fields sent change)"),
    partial_update=extend_schema(summary="Change a time entry (only the fields sent change)"),
)
class TimeEntryViewSet(PsaModelViewSet):
    queryset = TimeEntry.objects.select_related("user", "service", "ticket__client")
    serializer_class = s.TimeEntrySerializer
    filterset_class = TimeEntryFilterSet
    node_prefix = "time_entry"
    action_nodes = {
        "start_tracking": ["time_entry.create"],
        "stop_tracking": ["time_entry.create"],
        "active_session": ["time_entry.read"],
        "discard_session": ["time_entry.create"],
    }
    sort_fields = {
        "start_time": "start_time", "end_time": "end_time", "work_date": "work_date",
        "duration": "duration_minutes", "created_at": "created_at", "updated_at": "updated_at",
    }  # fmt: skip
    default_sort = "-start_time"

    def get_queryset(self):
        return visible_entries(self.request, super().get_queryset())

    def get_list_meta(self, queryset):
        wanted = self.request.query_params.get("totals", "false").strip().lower()
        if wanted not in ("true", "false"):
            raise ValidationError({"totals": ["Use true or false."]})
        if wanted == "false":
            return {}
        totals = queryset.aggregate(
            total=Sum("duration_minutes"), billable=Sum("duration_minutes", filter=Q(is_billable=True))
        )
        return {"total_minutes": totals["total"] or 0, "billable_minutes": totals["billable"] or 0}

    def _guard_owner(self, user) -> None:
        if user is not None and user.pk != self.request.user.pk and not has_node(self.request, OTHERS_NODE):
            raise PermissionDenied(f"Missing permission: {OTHERS_NODE} (other users' time entries).")

    def _respond(self, entry, code=status.HTTP_200_OK) -> Response:
        entry = TimeEntry.objects.select_related("user", "service", "ticket__client").get(pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("user", request.user)
        self._guard_owner(data["user"])
        return self._respond(time_services.create_entry(request, data), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        entry = self.get_object()
        self._guard_owner(entry.user)
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self._guard_owner(serializer.validated_data.get("user"))
        return self._respond(time_services.update_entry(request, entry, serializer.validated_data))

    def destroy(self, request, *args, **kwargs):
        entry = self.get_object()
        self._guard_owner(entry.user)
        time_services.delete_entry(request, entry)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ---- the timer -----------------------------------------------------------------------------------------------

    @extend_schema(
        summary="Start the caller's timer on a ticket (409 if one is already running)",
        request=s.StartTrackingSerializer,
        responses={201: s.TrackingSessionSerializer},
    )
    @action(detail=False, methods=["post"], url_path="start-tracking", filterset_class=None)
    def start_tracking(self, request):
        body = s.StartTrackingSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session = time_services.start_tracking(
            request, request.user, data["work_item_id"], data.get("service_id"), data["notes"], data["is_billable"]
        )
        return Response(
            s.TrackingSessionSerializer(session, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Stop the caller's timer: it becomes a time entry ending now (or at end_time)",
        parameters=[SESSION_ID],
        request=s.StopTrackingSerializer,
        responses=s.TimeEntrySerializer,
    )
    @action(
        detail=False, methods=["post"], url_path=rf"stop-tracking/(?P<session_id>{UUID_REGEX})", filterset_class=None
    )
    def stop_tracking(self, request, session_id=None):
        session = own_session(request)
        if session is None or session.pk != uuid.UUID(session_id):
            raise NotFound()
        body = s.StopTrackingSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "service_id" in changes:
            changes["service"] = changes.pop("service_id")
        entry = time_services.stop_tracking(request, session, changes)
        return self._respond(entry)

    @extend_schema(
        summary="The caller's running timer, or null",
        responses=s.TrackingSessionSerializer(allow_null=True),
    )
    @action(detail=False, methods=["get"], url_path="active-session", filterset_class=None)
    def active_session(self, request):
        session = own_session(request)
        return Response(
            s.TrackingSessionSerializer(session, context={"request": request}).data if session is not None else None
        )

    @extend_schema(
        summary="Discard the caller's running timer without logging time",
        responses={204: None, 404: documented_error("No timer is running")},
    )
    @active_session.mapping.delete
    def discard_session(self, request):
        session = own_session(request)
        if session is None:
            raise NotFound("No timer is running.")
        time_services.discard_tracking(request, session)
        return Response(status=status.HTTP_204_NO_CONTENT)


def ticket_time_summary(request, ticket: Ticket) -> dict:
    """The ticket's entries the caller may read, and totals over all of them (others' hidden ones only counted)."""
    me = request.user.pk
    entries = TimeEntry.objects.filter(ticket=ticket)
    totals = entries.aggregate(
        own_minutes=Sum("duration_minutes", filter=Q(user_id=me)),
        own_count=Count("id", filter=Q(user_id=me)),
        others_minutes=Sum("duration_minutes", filter=~Q(user_id=me)),
        others_count=Count("id", filter=~Q(user_id=me)),
        billable=Sum("duration_minutes", filter=Q(is_billable=True)),
    )
    see_others = has_node(request, "time_entry.read.other")
    readable = entries if see_others else entries.filter(user_id=me)
    limit = settings.TICKET_TIME_ENTRIES_MAX
    rows = list(readable.select_related("user", "service").order_by("-start_time", "-id")[: limit + 1])
    truncated = len(rows) > limit
    rows = rows[:limit]
    own_minutes, own_count = totals["own_minutes"] or 0, totals["own_count"]
    others_minutes, others_count = totals["others_minutes"] or 0, totals["others_count"]
    if see_others:
        visible_minutes, visible_count = others_minutes, others_count
    else:
        visible_minutes, visible_count = 0, 0
    hidden = summary_fields_hidden(request)  # the API and the ticket page both list what this returns
    items = [_summary_item(entry, me) for entry in rows]
    for item in items if hidden else ():
        for name in hidden:
            del item[name]
    return {
        "entries": items,
        "ownTotalMinutes": own_minutes,
        "ownEntryCount": own_count,
        "othersTotalMinutes": others_minutes,
        "othersEntryCount": others_count,
        "othersVisibleMinutes": visible_minutes,
        "othersVisibleCount": visible_count,
        "othersHiddenMinutes": others_minutes - visible_minutes,
        "othersHiddenCount": others_count - visible_count,
        "totalMinutes": own_minutes + others_minutes,
        "billableMinutes": totals["billable"] or 0,
        "entriesTruncated": truncated,
    }


def _summary_item(entry: TimeEntry, me) -> dict:
    return {
        "entry_id": entry.pk, "user_id": entry.user_id, "user_name": str(entry.user), "start_time": entry.start_time,
        "end_time": entry.end_time, "work_date": entry.work_date, "duration_minutes": entry.duration_minutes,
        "billable_duration": entry.billable_duration, "is_billable": entry.is_billable, "notes": entry.notes or None,
        "approval_status": entry.approval_status, "service_id": entry.service_id,
        "service_name": entry.service.name if entry.service_id else None, "is_own": entry.user_id == me,
    }  # fmt: skip


class TicketTimeEntriesView(PsaAPIView):
    """``GET /tickets/{ticket_id}/time-entries``: AlgaPSA's ``TicketTimeEntriesSummary``."""

    queryset = TimeEntry.objects.all()  # what the route lists, for the route harness
    action_nodes = {"GET": ["ticket.read", "time_entry.read"]}

    @extend_schema(
        summary="A ticket's time entries with own/others totals in minutes (others' unreadable entries are counted, "
        "not listed)",
        responses=s.TicketTimeSummarySerializer,
    )
    def get(self, request, ticket_id):
        ticket = get_object_or_404(restrict(Ticket.objects.all(), request), pk=ticket_id)
        return Response(s.TicketTimeSummarySerializer(ticket_time_summary(request, ticket)).data)


@functools.cache
def _summary_gated_fields() -> frozenset[str]:
    # Built once: constructing a serializer's fields per request would copy them for nothing.
    fields = frozenset(s.TicketTimeEntrySerializer().fields) & frozenset(s.TimeEntrySerializer.Meta.fields)
    return fields - {"entry_id"}


def summary_fields_hidden(request) -> frozenset[str]:
    """The summary item's fields the caller may not see: the same gate as the entry's own serializer. ``entry_id``
    is the entry's id (always visible, as ``id`` is); ``is_own`` goes with ``user_id``."""
    gated = _summary_gated_fields()
    shown = gating.visible_fields(request, s.TimeEntrySerializer.gating_scope, gated,
                                  s.TimeEntrySerializer.gating_derived)  # fmt: skip
    hidden = gated - shown
    return hidden | {"is_own"} if "user_id" in hidden else hidden
