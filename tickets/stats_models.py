"""Ticket counts kept in step with ``tickets_ticket`` by database triggers, behind ``GET /tickets/stats``.

A row counts the tickets of one group: one board, status and priority, open or closed, assigned or not (and, in
:class:`ClientTicketGroupCount`, one client). :class:`TicketGroupCount` is the same over all clients, a few dozen
rows, so the stats of a caller who sees every client sum a few dozen rows instead of counting 250,000 tickets.

Nothing in Python writes these tables. Triggers created by migration ``0010_ticket_stats_counters`` do, on every
insert, update and delete of a ticket, whatever issued it: a model save, ``QuerySet.update()``, ``bulk_create``,
a cascade from a deleted client, raw SQL or COPY. Each change is an upsert of a difference
(``tickets = tickets + EXCLUDED.tickets``), so concurrent writers add up instead of overwriting each other, and a
group whose count reaches zero is deleted. PostgreSQL's triggers run once per statement over its transition tables
and take the row locks in key order; SQLite's run per row (it has one writer at a time).
"""

from __future__ import annotations

from django.db import models

GROUP_KEY = ("board_id", "status_id", "priority_id", "is_closed", "is_assigned")


class TicketGroupCountBase(models.Model):
    board_id = models.UUIDField()
    status_id = models.UUIDField()
    priority_id = models.UUIDField()
    is_closed = models.BooleanField()
    is_assigned = models.BooleanField(help_text="Has a primary assignee.")
    tickets = models.BigIntegerField(default=0)
    with_due_date = models.BigIntegerField(default=0, help_text="Of them, tickets with a due date.")
    resolved = models.BigIntegerField(default=0, help_text="Of them, closed tickets with a closing time.")
    resolution_ms = models.BigIntegerField(
        default=0, help_text="The resolved tickets' closed_at - entered_at, summed, in whole milliseconds."
    )

    class Meta:
        abstract = True


class TicketGroupCount(TicketGroupCountBase):
    """The counts over all clients."""

    class Meta:
        ordering = GROUP_KEY
        constraints = [models.UniqueConstraint(fields=GROUP_KEY, name="ticket_group_count_key")]

    def __str__(self) -> str:
        return f"{self.tickets} tickets"


class ClientTicketGroupCount(TicketGroupCountBase):
    """The counts per client, for a caller scoped to some clients."""

    client_id = models.UUIDField()  # no foreign key: a deleted client's rows go with its tickets, by the triggers

    class Meta:
        ordering = ("client_id", *GROUP_KEY)
        constraints = [models.UniqueConstraint(fields=("client_id", *GROUP_KEY), name="client_ticket_group_count_key")]

    def __str__(self) -> str:
        return f"{self.tickets} tickets of {self.client_id}"
