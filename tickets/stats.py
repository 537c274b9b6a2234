"""``GET /tickets/stats``: SQL aggregates over the caller's (scoped, filtered) tickets; no row is scanned in Python."""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone


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
    totals["average_resolution_time"] = round(average.total_seconds() / 3600, 2) if average is not None else None
    by_status = (
        base.values("status_id", "status__name", "status__board_id")
        .annotate(count=Count("pk"))
        .order_by("status__board__name", "status__order", "status__name", "status_id")
    )
    by_priority = (
        base.values("priority_id", "priority__name")
        .annotate(count=Count("pk"))
        .order_by("priority__order", "priority__name", "priority_id")
    )
    by_board = base.values("board_id", "board__name").annotate(count=Count("pk")).order_by("board__name", "board_id")
    totals["tickets_by_status"] = [
        {
            "status_id": r["status_id"],
            "status_name": r["status__name"],
            "board_id": r["status__board_id"],
            "count": r["count"],
        }
        for r in by_status
    ]
    totals["tickets_by_priority"] = [
        {"priority_id": r["priority_id"], "priority_name": r["priority__name"], "count": r["count"]}
        for r in by_priority
    ]
    totals["tickets_by_board"] = [
        {"board_id": r["board_id"], "board_name": r["board__name"], "count": r["count"]} for r in by_board
    ]
    return totals
