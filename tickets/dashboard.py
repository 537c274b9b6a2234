"""The tickets app's dashboard: my day (my open tickets, unassigned on my boards, overdue, recently updated),
the ticket counts, and ticket sentences for the activity feed ("Dana closed TIC1042 · Printer offline")."""

from __future__ import annotations

import datetime

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from psa.access import has_node, restrict
from psa.dashboard import Activity, activity_describer, dashboard_panel, default_activity, safe_reverse
from psa.ui_gate import gated
from tickets.models import Comment, Ticket
from tickets.views import dashboard_counts

ROWS_SHOWN = 8
MY_BOARDS_DAYS = 90
LIST = "tickets/_dashboard_tickets.html"


def _tickets(request) -> QuerySet | None:
    if not has_node(request, "ticket.read"):
        return None
    base = Ticket.objects.select_related("client", "status", "priority", "assigned_to").defer("description")
    return restrict(base, request)


def _panel(queryset: QuerySet, query: str, empty: str) -> dict:
    return {
        "rows": list(queryset[:ROWS_SHOWN]),
        "total": queryset.count(),
        "more_url": f"{reverse('tickets:ticket_list')}?{query}",
        "empty": empty,
        "now": timezone.now(),
    }


def _by_due_then_priority(queryset: QuerySet) -> QuerySet:
    return queryset.order_by(F("due_date").asc(nulls_last=True), "priority__order", "-updated_at", "pk")


@dashboard_panel("ticket_counts", title="Ticket counts", order=5, template="tickets/_dashboard_counts.html")
def ticket_counts(request) -> dict | None:
    return dashboard_counts(request)


@dashboard_panel("my_tickets", title="My open tickets", order=10, template=LIST)
def my_tickets(request) -> dict | None:
    tickets = _tickets(request)
    if tickets is None:
        return None
    mine = _by_due_then_priority(tickets.filter(assigned_to=request.user, is_closed=False))
    return _panel(mine, "assigned_to=me&is_open=true", "Nothing is assigned to you. Take one from Unassigned below.")


@dashboard_panel("unassigned", title="Unassigned on my boards", order=20, template=LIST)
def unassigned_on_my_boards(request) -> dict | None:
    tickets = _tickets(request)
    if tickets is None:
        return None
    # "My boards": where I worked tickets lately; someone new sees every board until they have.
    since = timezone.now() - datetime.timedelta(days=MY_BOARDS_DAYS)
    boards = tickets.filter(assigned_to=request.user, updated_at__gte=since).values("board_id")
    open_unassigned = tickets.filter(assigned_to__isnull=True, is_closed=False)
    if tickets.filter(assigned_to=request.user, updated_at__gte=since).exists():
        open_unassigned = open_unassigned.filter(board_id__in=boards)
    queryset = _by_due_then_priority(open_unassigned)
    return _panel(queryset, "has_assignment=false&is_open=true", "Every open ticket on your boards has an owner.")


@dashboard_panel("overdue", title="Overdue", order=30, template=LIST)
def overdue(request) -> dict | None:
    tickets = _tickets(request)
    if tickets is None:
        return None
    queryset = tickets.filter(is_closed=False, due_date__lt=timezone.now()).order_by("due_date", "pk")
    return _panel(queryset, "overdue=true", "Nothing is past its due date.")


@dashboard_panel("recently_updated", title="Recently updated", order=50, template=LIST)
def recently_updated(request) -> dict | None:
    tickets = _tickets(request)
    if tickets is None:
        return None
    queryset = tickets.order_by("-updated_at", "-pk")
    return _panel(queryset, "sort=updated_at&order=desc", "No tickets yet.")


def _ticket_verb(event) -> str:
    changes = event.changes or {}
    closed = (changes.get("is_closed") or {}).get("new")
    if event.action == "update" and closed is True:
        return "closed"
    if event.action == "update" and closed is False:
        return "reopened"
    if event.action == "update" and set(changes) <= {"assigned_to", "updated_by"} and "assigned_to" in changes:
        return "assigned" if changes["assigned_to"].get("new") else "unassigned"
    if event.action == "update" and "status" in changes:
        return "changed the status of"
    return default_activity(event).verb


def _ticket_target(repr_text: str) -> str:
    number, _, title = repr_text.partition(" ")
    return f"{number} · {title}" if title else number


@activity_describer("tickets.ticket")
def describe_tickets(events, request=None) -> dict:
    described = {}
    for event in events:
        url = safe_reverse("tickets:ticket_detail", event.object_id) if event.action != "delete" else None
        described[event.pk] = Activity(_ticket_verb(event), _ticket_target(event.object_repr), url)
    return described


@activity_describer("tickets.comment")
def describe_comments(events, request=None) -> dict:
    comments = Comment.objects.filter(pk__in=[e.object_id for e in events]).select_related("ticket")
    by_id = {str(c.pk): c for c in comments.only("id", "is_internal", "ticket__id", "ticket__ticket_number",
                                                  "ticket__title")}  # fmt: skip
    described = {}
    for event in events:
        comment = by_id.get(event.object_id)
        if comment is None or event.action not in ("create", "update"):
            continue
        verb = {"create": "added a note to" if comment.is_internal else "replied on", "update": "edited a comment on"}
        ticket = gated(request, comment.ticket)  # the ticket's title as the caller may see it
        url = safe_reverse("tickets:ticket_detail", ticket.pk)
        target = f"{ticket.ticket_number} · {ticket.title}" if ticket.title else ticket.ticket_number
        described[event.pk] = Activity(verb[event.action], target, url)
    return described
