"""The technician UI of time and materials: "My time" (a week per day), and the plain-form paths of the ticket
page's time, timer and materials sections (which JavaScript drives through the API when it runs).

Every write goes through the API's serializers and :mod:`tickets.time_services`, so the rules and the audit trail are
those of the API.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as ApiValidationError

from psa.access import has_node, restrict
from psa.api.exceptions import flatten_errors
from psa.views import require_nodes
from tickets import time_services
from tickets.api.time_entries import own_session, visible_entries
from tickets.api.time_serializers import MaterialCreateSerializer, StartTrackingSerializer, TimeEntrySerializer
from tickets.models import Ticket
from tickets.time_models import TicketMaterial, TimeEntry

WEEK_ENTRIES_MAX = 1000


def _ticket(request, pk) -> Ticket:
    return get_object_or_404(restrict(Ticket.objects.select_related("client"), request), pk=pk)


def _back(ticket: Ticket, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("tickets:ticket_detail", args=[ticket.pk]) + f"#{anchor}")


def _report(request, exc: APIException) -> None:
    if isinstance(exc, ApiValidationError):
        for item in flatten_errors(exc.detail):
            where = ".".join(str(p) for p in item["path"])
            messages.error(request, f"{where}: {item['message']}" if where else item["message"])
    else:
        messages.error(request, str(exc.detail))


def _local_datetime(value: str) -> str | None:
    """A ``datetime-local`` value (no zone) as ISO 8601 in the work time zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value  # the serializer names the field and the problem
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=time_services.work_time_zone())
    return naive.isoformat()


def log_time_data(post, ticket: Ticket) -> dict:
    """The API body of the one-line "log time" form: a duration, or a start and an end."""
    data: dict = {"work_item_type": "ticket", "work_item_id": str(ticket.pk), "notes": post.get("notes", "").strip()}
    duration = post.get("duration_minutes", "").strip()
    if duration:
        data["duration_minutes"] = duration
    for name in ("start_time", "end_time"):
        value = _local_datetime(post.get(name, ""))
        if value:
            data[name] = value
    if post.get("service_id"):
        data["service_id"] = post["service_id"]
    data["is_billable"] = post.get("is_billable") == "true"
    return data


@require_POST
@require_nodes("ticket.read", "time_entry.create")
def log_time(request, pk):
    ticket = _ticket(request, pk)
    serializer = TimeEntrySerializer(data=log_time_data(request.POST, ticket), context={"request": request})
    try:
        serializer.is_valid(raise_exception=True)
        entry = time_services.create_entry(request, {**serializer.validated_data, "user": request.user})
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Logged {entry.duration_minutes} minutes.")
    return _back(ticket, "time")


@require_POST
@require_nodes("time_entry.delete")
def delete_entry(request, entry_id):
    entry = get_object_or_404(visible_entries(request).select_related("ticket"), pk=entry_id)
    if entry.user_id != request.user.pk and not has_node(request, "time_entry.update.other"):
        messages.error(request, "You can only delete your own time entries.")
    else:
        time_services.delete_entry(request, entry)
        messages.success(request, "Time entry deleted.")
    return _next_or(request, reverse("tickets:ticket_detail", args=[entry.ticket_id]) + "#time")


def _next_or(request, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    return HttpResponseRedirect(target if target.startswith("/") and not target.startswith("//") else fallback)


@require_POST
@require_nodes("ticket.read", "time_entry.create")
def start_timer(request, pk):
    ticket = _ticket(request, pk)
    body = {"work_item_type": "ticket", "work_item_id": str(ticket.pk), "notes": request.POST.get("notes", "")}
    if request.POST.get("service_id"):
        body["service_id"] = request.POST["service_id"]
    serializer = StartTrackingSerializer(data=body, context={"request": request})
    try:
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        time_services.start_tracking(request, request.user, ticket, data.get("service_id"), data["notes"], None)
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, "Timer started.")
    return _back(ticket, "time")


@require_POST
@require_nodes("time_entry.create")
def stop_timer(request):
    session = own_session(request)
    if session is None:
        messages.info(request, "No timer is running.")
        return _next_or(request, reverse("work:my_time"))
    try:
        entry = time_services.stop_tracking(request, session, {})
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Timer stopped: logged {entry.duration_minutes} minutes on {session.ticket}.")
    return _next_or(request, reverse("work:my_time"))


@require_POST
@require_nodes("ticket.read", "material.create")
def add_material(request, pk):
    ticket = _ticket(request, pk)
    body = {"quantity": request.POST.get("quantity", "").strip() or "1"}
    item = request.POST.get("item", "")
    kind, _, item_id = item.partition(":")
    body["product_id" if kind == "product" else "service_id"] = item_id
    if request.POST.get("description", "").strip():
        body["description"] = request.POST["description"].strip()
    serializer = MaterialCreateSerializer(data=body, context={"request": request})
    try:
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        material = time_services.add_material(request, ticket, data.pop("item"), data)
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Added {material.quantity} x {material.item_name}.")
    return _back(ticket, "materials")


@require_POST
@require_nodes("ticket.read", "material.delete")
def delete_material(request, pk, material_id):
    ticket = _ticket(request, pk)
    material = get_object_or_404(TicketMaterial.objects.filter(ticket=ticket), pk=material_id)
    try:
        time_services.delete_material(request, material)
    except APIException as exc:
        _report(request, exc)
    else:
        messages.success(request, "Material removed.")
    return _back(ticket, "materials")


def _week_start(request) -> datetime.date:
    raw = request.GET.get("week", "")
    try:
        day = datetime.date.fromisoformat(raw) if raw else timezone.now().astimezone(time_services.work_time_zone())
    except ValueError:
        day = timezone.now().astimezone(time_services.work_time_zone())
    day = day.date() if isinstance(day, datetime.datetime) else day
    return day - datetime.timedelta(days=day.weekday())


@require_nodes("time_entry.read")
def my_time(request):
    """The caller's week, Monday to Sunday in the work time zone: each day's entries and totals."""
    monday = _week_start(request)
    sunday = monday + datetime.timedelta(days=6)
    entries = (
        restrict(TimeEntry.objects.filter(user=request.user), request)
        .filter(work_date__range=(monday, sunday))
        .select_related("ticket__client", "service")
        .order_by("start_time", "id")
    )
    rows = list(entries[:WEEK_ENTRIES_MAX])
    days = []
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        day_entries = [e for e in rows if e.work_date == day]
        days.append(
            {
                "date": day,
                "entries": day_entries,
                "minutes": sum(e.duration_minutes for e in day_entries),
                "billable": sum(e.billable_duration for e in day_entries),
            }
        )
    totals = entries.aggregate(minutes=Sum("duration_minutes"))
    context = {
        "section": "time",
        "days": days,
        "monday": monday,
        "sunday": sunday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "week_minutes": totals["minutes"] or 0,
        "week_billable": sum(d["billable"] for d in days),
        "truncated": len(rows) >= WEEK_ENTRIES_MAX,
        "session": own_session(request),
        "can_delete": has_node(request, "time_entry.delete"),
        "can_stop": has_node(request, "time_entry.create"),
        "time_zone": time_services.work_time_zone().key,
    }
    return render(request, "tickets/my_time.html", context)
