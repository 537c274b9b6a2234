"""``GET /tickets/stats``: SQL aggregates over the caller's (scoped, filtered) tickets; no row is scanned in Python."""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tickets.models import Board, Priority, Status


def period_starts(now: datetime.datetime | None = None) -> dict[str, datetime.datetime]:
    """Midnight today, Monday of this week and the 1st of this month, in UTC."""
    now = (now or timezone.now()).astimezone(datetime.UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "today": today,
        "week": today - datetime.timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }


def ticket_stats(queryset: QuerySet, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    starts = period_starts(now)
    base = queryset.order_by()
    if connection.vendor == "sqlite":
        # Native julianday() arithmetic; a DurationField difference would call a Python function per row.
        resolution = RawSQL(
            '(julianday("tickets_ticket"."closed_at") - julianday("tickets_ticket"."entered_at")) * 86400.0',
            (),
            output_field=FloatField(),
        )
    else:
        resolution = ExpressionWrapper(F("closed_at") - F("entered_at"), output_field=DurationField())
    totals = base.aggregate(
        total_tickets=Count("pk"),
        open_tickets=Count("pk", filter=Q(is_closed=False)),
        closed_tickets=Count("pk", filter=Q(is_closed=True)),
        unassigned_tickets=Count("pk", filter=Q(is_closed=False, assigned_to__isnull=True)),
        overdue_tickets=Count("pk", filter=Q(is_closed=False, due_date__lt=now)),
        tickets_created_today=Count("pk", filter=Q(entered_at__gte=starts["today"])),
        tickets_created_this_week=Count("pk", filter=Q(entered_at__gte=starts["week"])),
        tickets_created_this_month=Count("pk", filter=Q(entered_at__gte=starts["month"])),
        average_resolution=Avg(resolution, filter=Q(is_closed=True, closed_at__isnull=False)),
    )
    average = totals.pop("average_resolution")
    seconds = average.total_seconds() if isinstance(average, datetime.timedelta) else average
    totals["average_resolution_time"] = round(seconds / 3600, 2) if seconds is not None else None
    # Group by the foreign keys alone (no join over the tickets), then name the few groups in small lookups.
    by_status = list(base.values("status_id").annotate(count=Count("pk")).order_by())
    by_priority = list(base.values("priority_id").annotate(count=Count("pk")).order_by())
    by_board = list(base.values("board_id").annotate(count=Count("pk")).order_by())
    statuses = {
        s.pk: s for s in Status.objects.select_related("board").filter(pk__in=[r["status_id"] for r in by_status])
    }
    priorities = {p.pk: p for p in Priority.objects.filter(pk__in=[r["priority_id"] for r in by_priority])}
    boards = {b.pk: b for b in Board.objects.filter(pk__in=[r["board_id"] for r in by_board])}
    by_status.sort(
        key=lambda r: (
            statuses[r["status_id"]].board.name,
            statuses[r["status_id"]].order,
            statuses[r["status_id"]].name,
        )
    )
    by_priority.sort(key=lambda r: (priorities[r["priority_id"]].order, priorities[r["priority_id"]].name))
    by_board.sort(key=lambda r: boards[r["board_id"]].name)
    totals["tickets_by_status"] = [
        {
            "status_id": r["status_id"],
            "status_name": statuses[r["status_id"]].name,
            "board_id": statuses[r["status_id"]].board_id,
            "count": r["count"],
        }
        for r in by_status
    ]
    totals["tickets_by_priority"] = [
        {"priority_id": r["priority_id"], "priority_name": priorities[r["priority_id"]].name, "count": r["count"]}
        for r in by_priority
    ]
    totals["tickets_by_board"] = [
        {"board_id": r["board_id"], "board_name": boards[r["board_id"]].name, "count": r["count"]} for r in by_board
    ]
    return totals
