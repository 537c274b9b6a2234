"""``GET /tickets/stats``: SQL aggregates over the caller's (scoped, filtered) tickets; no row is scanned in Python."""

from __future__ import annotations

import datetime
from collections import Counter

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from psa import references
from psa.db import CountRows
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
    # One statement of scalar subqueries, each counting one slice of the tickets through the index that serves it
    # (open, unassigned, overdue, created since ...), instead of one pass over every row evaluating every filter.
    # The total comes from the group-by below.
    # is_closed IN (...), not is_closed=...: SQLite writes the latter as a bare column or NOT column, which no index
    # can seek; an IN list is an equality it can.
    open_, closed = {"is_closed__in": [False]}, {"is_closed__in": [True]}
    parts = {
        "open_tickets": _count(base.filter(**open_)),
        "unassigned_tickets": _count(base.filter(**open_, assigned_to__isnull=True)),
        "overdue_tickets": _count(base.filter(**open_, due_date__lt=now)),
        "tickets_created_today": _count(base.filter(entered_at__gte=starts["today"])),
        "tickets_created_this_week": _count(base.filter(entered_at__gte=starts["week"])),
        "tickets_created_this_month": _count(base.filter(entered_at__gte=starts["month"])),
        "average_resolution": _average(base.filter(**closed, closed_at__isnull=False), resolution),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(sql for sql, _ in parts.values()), [p for _, params in parts.values() for p in params]
        )
        totals = dict(zip(parts, cursor.fetchone(), strict=True))
    average = totals.pop("average_resolution")
    seconds = average.total_seconds() if isinstance(average, datetime.timedelta) else average
    totals["average_resolution_time"] = round(seconds / 3600, 2) if seconds is not None else None
    # One group-by over the foreign keys alone (served by the board-status-priority index, no join), summed here
    # into the three breakdowns; the groups are named from the reference cache.
    by_status: Counter = Counter()
    by_priority: Counter = Counter()
    by_board: Counter = Counter()
    groups = base.values_list("board_id", "status_id", "priority_id").annotate(count=CountRows()).order_by()
    total = 0
    for board_id, status_id, priority_id, count in groups:
        total += count
        by_board[board_id] += count
        by_status[status_id] += count
        by_priority[priority_id] += count
    totals = {
        "total_tickets": total,
        "open_tickets": totals["open_tickets"],
        "closed_tickets": total - totals["open_tickets"],
        **totals,
    }
    statuses, priorities, boards = references.rows(Status), references.rows(Priority), references.rows(Board)
    status_list = sorted(
        (statuses[pk] for pk in by_status), key=lambda s: (boards[s.board_id].name, s.order, s.name, str(s.pk))
    )
    totals["tickets_by_status"] = [
        {"status_id": s.pk, "status_name": s.name, "board_id": s.board_id, "count": by_status[s.pk]}
        for s in status_list
    ]
    totals["tickets_by_priority"] = [
        {"priority_id": p.pk, "priority_name": p.name, "count": by_priority[p.pk]}
        for p in sorted((priorities[pk] for pk in by_priority), key=lambda p: (p.order, p.name, str(p.pk)))
    ]
    totals["tickets_by_board"] = [
        {"board_id": b.pk, "board_name": b.name, "count": by_board[b.pk]}
        for b in sorted((boards[pk] for pk in by_board), key=lambda b: (b.name, str(b.pk)))
    ]
    return totals


def _count(queryset: QuerySet) -> tuple[str, tuple]:
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. a key scoped to no client
        return "0", ()
    return f"(SELECT COUNT(*) FROM ({sql}) counted)", params


def _average(queryset: QuerySet, expression) -> tuple[str, tuple]:
    try:
        sql, params = (
            queryset.annotate(resolution_seconds=expression).values("resolution_seconds").query.sql_with_params()
        )
    except EmptyResultSet:
        return "NULL", ()
    return f"(SELECT AVG(resolution_seconds) FROM ({sql}) resolved)", params
