"""``GET /tickets/stats``: ticket counts, from the maintained group counts or from SQL over the tickets.

Two paths give the same answer:

- :func:`counted_ticket_stats`, for the caller's client scope with no filter: the group counts of
  :mod:`tickets.stats_models` (kept exact by triggers) summed, plus the parts that depend on the clock (created
  today / this week / this month, and the open tickets due from now on, which the counts turn into the overdue ones)
  as index range counts over the recent tickets. One statement.
- :func:`ticket_stats`, for any filtered queryset: SQL aggregates over the tickets. Two statements.

No row is scanned in Python on either.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, IntegerField, QuerySet, UUIDField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from psa import references
from psa.db import CountRows
from tickets.models import Board, Priority, Status, Ticket
from tickets.stats_models import ClientTicketGroupCount, TicketGroupCount

# A resolved ticket's closed_at - entered_at in whole milliseconds, per row, as the counts' triggers compute it
# (migration 0010), so that both paths sum the same integers.
RESOLUTION_MS = {
    "sqlite": 'CAST(ROUND((julianday("tickets_ticket"."closed_at") - julianday("tickets_ticket"."entered_at")) '
    "* 86400000) AS INTEGER)",
    "postgresql": 'ROUND(EXTRACT(EPOCH FROM "tickets_ticket"."closed_at" - "tickets_ticket"."entered_at") * 1000)'
    "::bigint",
}
MS_PER_HOUR = 3_600_000
# is_closed IN (...), not is_closed=...: SQLite writes the latter as a bare column or NOT column, which no index
# can seek; an IN list is an equality it can.
OPEN, CLOSED = {"is_closed__in": [False]}, {"is_closed__in": [True]}
COUNTED = (
    "open_tickets", "unassigned_tickets", "overdue_tickets",
    "tickets_created_today", "tickets_created_this_week", "tickets_created_this_month",
)  # fmt: skip
# A group of the counts: (board_id, status_id, priority_id, tickets).
Group = tuple[uuid.UUID, uuid.UUID, uuid.UUID, int]


def period_starts(now: datetime.datetime | None = None) -> dict[str, datetime.datetime]:
    """Midnight today, Monday of this week and the 1st of this month, in UTC."""
    now = (now or timezone.now()).astimezone(datetime.UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "today": today,
        "week": today - datetime.timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }


def _created_since(base: QuerySet, now: datetime.datetime) -> dict[str, tuple[str, tuple]]:
    starts = period_starts(now)
    return {
        "tickets_created_today": _count(base.filter(entered_at__gte=starts["today"])),
        "tickets_created_this_week": _count(base.filter(entered_at__gte=starts["week"])),
        "tickets_created_this_month": _count(base.filter(entered_at__gte=starts["month"])),
    }


# ---- the SQL path: any filters -------------------------------------------------------------------------------------


def ticket_stats(queryset: QuerySet, now: datetime.datetime | None = None) -> dict:
    """The stats of ``queryset`` (the caller's tickets, filtered), by SQL over the tickets."""
    now = now or timezone.now()
    base = queryset.order_by()
    # One statement of scalar subqueries, each counting one slice of the tickets through the index that serves it
    # (open, unassigned, overdue, created since ...), instead of one pass over every row evaluating every filter.
    # The total comes from the group-by below.
    parts = {
        "open_tickets": _count(base.filter(**OPEN)),
        "unassigned_tickets": _count(base.filter(**OPEN, assigned_to__isnull=True)),
        "overdue_tickets": _count(base.filter(**OPEN, due_date__lt=now)),
        **_created_since(base, now),
    }
    resolution_sql, resolution_params = _resolution(base.filter(**CLOSED, closed_at__isnull=False))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(sql for sql, _ in parts.values())
            + ", resolved.ms, resolved.n FROM "
            + resolution_sql,
            [p for _, params in parts.values() for p in params] + list(resolution_params),
        )
        *values, resolution_ms, resolved = cursor.fetchone()
    counts = dict(zip(parts, values, strict=True))
    # One group-by over the foreign keys alone (served by the board-status-priority index, no join).
    groups = base.values_list("board_id", "status_id", "priority_id").annotate(count=CountRows()).order_by()
    return _stats(groups, counts, resolution_ms, resolved)


def _count(queryset: QuerySet) -> tuple[str, tuple]:
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. a key scoped to no client
        return "0", ()
    return f"(SELECT COUNT(*) FROM ({sql}) counted)", params


def _resolution(queryset: QuerySet) -> tuple[str, tuple]:
    """A one-row subquery ``resolved``: the milliseconds summed (``ms``) over ``n`` resolved tickets."""
    expression = RawSQL(RESOLUTION_MS[connection.vendor], (), output_field=IntegerField())
    try:
        sql, params = queryset.annotate(resolution_ms=expression).values("resolution_ms").query.sql_with_params()
    except EmptyResultSet:
        return "(SELECT NULL AS ms, 0 AS n) resolved", ()
    return f"(SELECT SUM(resolution_ms) AS ms, COUNT(*) AS n FROM ({sql}) resolutions) resolved", params


# ---- the counted path: the caller's scope, no filter ---------------------------------------------------------------


def counted_ticket_stats(clients: Iterable[uuid.UUID] | None, now: datetime.datetime | None = None) -> dict:
    """The stats of the tickets of ``clients`` (a caller's client scope; ``None``: every client), unfiltered, from
    the maintained group counts: the same answer as :func:`ticket_stats` on the same tickets."""
    now = now or timezone.now()
    clients = None if clients is None else sorted(clients)
    if clients == []:  # a caller who sees no client
        return _stats([], dict.fromkeys(COUNTED, 0), None, 0)
    client_params = [] if clients is None else [UUIDField().get_db_prep_value(pk, connection) for pk in clients]
    base = Ticket.objects.order_by()
    if clients is not None:
        # SQLite: +client_id, which no index serves, so that each count seeks its time range (a few recent or
        # future tickets) rather than every ticket of the clients.
        column = '"tickets_ticket"."client_id"'
        column = f"+{column}" if connection.vendor == "sqlite" else column
        marks = ", ".join(["%s"] * len(clients))
        base = base.filter(RawSQL(f"{column} IN ({marks})", client_params, output_field=BooleanField()))
    parts = {
        **_created_since(base, now),
        # Overdue = open with a due date (counted) - open and due from now on (few: the counts hold the rest).
        "due_from_now": _count(base.filter(**OPEN, due_date__gte=now)),
    }
    columns = "board_id, status_id, priority_id, is_closed, is_assigned"
    sums = "tickets, with_due_date, resolved, resolution_ms"
    if clients is None:
        groups_sql, group_params = f"SELECT {columns}, {sums} FROM {TicketGroupCount._meta.db_table}", []
    else:
        group_params = client_params
        groups_sql = (
            f"SELECT {columns}, SUM(tickets), SUM(with_due_date), SUM(resolved), SUM(resolution_ms) "
            f"FROM {ClientTicketGroupCount._meta.db_table} WHERE client_id IN ({', '.join(['%s'] * len(clients))}) "
            f"GROUP BY {columns}"
        )
    # The clock's counts once, joined to every group (and to none: the counts of no ticket are one row of them).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(sql for sql, _ in parts.values())}, grouped.* FROM (SELECT 1) one "
            f"LEFT JOIN ({groups_sql}) grouped ON 1 = 1",
            [p for _, params in parts.values() for p in params] + group_params,
        )
        rows = cursor.fetchall()
    counts = dict(zip(parts, rows[0], strict=False))
    open_ = unassigned = with_due = resolved = resolution_ms = 0
    groups: list[Group] = []
    for *_, board_id, status_id, priority_id, is_closed, is_assigned, tickets, due, closed, ms in rows:
        if not tickets:
            continue  # no row (no ticket at all)
        groups.append((_uuid(board_id), _uuid(status_id), _uuid(priority_id), int(tickets)))
        if is_closed:
            resolved, resolution_ms = resolved + int(closed), resolution_ms + int(ms)
        else:
            open_ += int(tickets)
            unassigned += 0 if is_assigned else int(tickets)
            with_due += int(due)
    counts.update(
        open_tickets=open_, unassigned_tickets=unassigned, overdue_tickets=with_due - counts.pop("due_from_now")
    )
    return _stats(groups, counts, resolution_ms if resolved else None, resolved)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)  # SQLite stores them as hex text


# ---- the answer ----------------------------------------------------------------------------------------------------


def _stats(groups: Iterable[Group], counts: dict, resolution_ms: int | None, resolved: int) -> dict:
    """The response from the groups' counts, summed here into the three breakdowns (named from the reference cache),
    and the counts of ``open_tickets``, ``unassigned_tickets``, ``overdue_tickets`` and ``tickets_created_*``."""
    by_status: Counter = Counter()
    by_priority: Counter = Counter()
    by_board: Counter = Counter()
    total = 0
    for board_id, status_id, priority_id, count in groups:
        total += count
        by_board[board_id] += count
        by_status[status_id] += count
        by_priority[priority_id] += count
    average = round(int(resolution_ms) / resolved / MS_PER_HOUR, 2) if resolved else None
    stats = {
        "total_tickets": total,
        "open_tickets": counts["open_tickets"],
        "closed_tickets": total - counts["open_tickets"],
        "unassigned_tickets": counts["unassigned_tickets"],
        "overdue_tickets": counts["overdue_tickets"],
        "tickets_created_today": counts["tickets_created_today"],
        "tickets_created_this_week": counts["tickets_created_this_week"],
        "tickets_created_this_month": counts["tickets_created_this_month"],
        "average_resolution_time": average,
    }
    statuses, priorities, boards = references.rows(Status), references.rows(Priority), references.rows(Board)
    status_list = sorted(
        (statuses[pk] for pk in by_status), key=lambda s: (boards[s.board_id].name, s.order, s.name, str(s.pk))
    )
    stats["tickets_by_status"] = [
        {"status_id": s.pk, "status_name": s.name, "board_id": s.board_id, "count": by_status[s.pk]}
        for s in status_list
    ]
    stats["tickets_by_priority"] = [
        {"priority_id": p.pk, "priority_name": p.name, "count": by_priority[p.pk]}
        for p in sorted((priorities[pk] for pk in by_priority), key=lambda p: (p.order, p.name, str(p.pk)))
    ]
    stats["tickets_by_board"] = [
        {"board_id": b.pk, "board_name": b.name, "count": by_board[b.pk]}
        for b in sorted((boards[pk] for pk in by_board), key=lambda b: (b.name, str(b.pk)))
    ]
    return stats
