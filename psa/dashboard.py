"""The dashboard: a page of panels and counts that each app contributes, and the recent-activity feed.

``psa`` imports no app. An app declares its parts in ``<app>/dashboard.py`` (found like the admin's modules)::

    @dashboard_stat("clients", label="Active clients", order=10, url_name="clients:client_list")
    def active_clients(request) -> int | None: ...          # None: this caller may not see it

    @dashboard_panel("my_tickets", title="My open tickets", order=10, template="tickets/_panel_list.html")
    def my_tickets(request) -> dict | None: ...             # the panel template's ``data``; None hides it

    @activity_describer("tickets.ticket")
    def describe_tickets(events, request) -> dict[event id, Activity]  # sentences for the activity feed

Every panel, count and sentence works under the caller's permission nodes and client scope: the functions get the
request and use ``restrict()`` and ``has_node()`` like any view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import autodiscover_modules

from psa import gating
from psa.access import has_node, restrict
from psa.models import AuditEvent

ACTIVITY_SHOWN = 12


@dataclass(frozen=True)
class Stat:
    key: str
    label: str
    order: int
    url_name: str | None
    compute: Callable


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    order: int
    template: str
    compute: Callable


@dataclass(frozen=True)
class Activity:
    """One line of the feed: ``<actor> <verb> <target>`` with ``target`` linked to ``url`` (when there is one)."""

    verb: str
    target: str
    url: str | None = None
    detail: str = ""


_STATS: dict[str, Stat] = {}
_PANELS: dict[str, Panel] = {}
_DESCRIBERS: dict[str, Callable[[list[AuditEvent]], dict]] = {}
_discovered = False


def dashboard_stat(key: str, *, label: str, order: int = 50, url_name: str | None = None) -> Callable:
    def register(fn: Callable) -> Callable:
        _STATS[key] = Stat(key, label, order, url_name, fn)
        return fn

    return register


def dashboard_panel(key: str, *, title: str, template: str, order: int = 50) -> Callable:
    def register(fn: Callable) -> Callable:
        _PANELS[key] = Panel(key, title, order, template, fn)
        return fn

    return register


def activity_describer(*object_types: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for object_type in object_types:
            _DESCRIBERS[object_type] = fn
        return fn

    return register


def discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True


# --- the activity feed -----------------------------------------------------------------------------------------------

VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "restore": "restored",
    "deactivate": "deactivated",
    "reveal": "revealed a secret of",
    "set_password": "set the password of",
}


def _label(object_type: str) -> str:
    return object_type.rsplit(".", 1)[-1].replace("_", " ") if object_type else "object"


def default_activity(event: AuditEvent) -> Activity:
    verb = VERBS.get(event.action, event.action.replace("_", " "))
    target = event.object_repr or _label(event.object_type)
    if event.action != "delete" and event.object_repr:
        target = f"{_label(event.object_type)} {event.object_repr}"
    return Activity(verb=verb, target=target)


def actor_display(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.name or event.actor.login
    return event.actor_name or "System"


def describe(events: list[AuditEvent], request=None) -> list[tuple[AuditEvent, str, Activity]]:
    """``(event, actor, activity)`` per event; each app's describer sees only its own object type's events, and
    reads what else it shows (a comment's ticket) through the caller's field gate."""
    discover()
    by_type: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_type.setdefault(event.object_type, []).append(event)
    described: dict = {}
    for object_type, group in by_type.items():
        describer = _DESCRIBERS.get(object_type)
        if describer is not None:
            described.update(describer(group, request))
    return [(e, actor_display(e), described.get(e.pk) or default_activity(e)) for e in events]


def recent_activity(request, limit: int = ACTIVITY_SHOWN) -> list | None:
    if not has_node(request, "audit.read"):
        return None
    events = list(restrict(AuditEvent.objects.select_related("actor"), request)[:limit])
    for event in events:  # the same gate as the audit log: hidden fields' names and values stay hidden
        gated = gating.gate_event(request, event)
        event.changes, event.object_repr = gated["changes"], gated["object_repr"]
    return describe(events, request)


def safe_reverse(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the page ----------------------------------------------------------------------------------------------------------


def computed(items: Iterable, request) -> list[tuple]:
    results = []
    for item in sorted(items, key=lambda i: (i.order, i.key)):
        value = item.compute(request)
        if value is not None:
            results.append((item, value))
    return results


@login_required
def dashboard(request):
    discover()
    stats = computed(_STATS.values(), request)
    panels = computed(_PANELS.values(), request)
    context = {
        "section": "dashboard",
        "stats": [(stat, value, safe_reverse(stat.url_name) if stat.url_name else None) for stat, value in stats],
        "counts": {stat.key: value for stat, value in stats},
        "panels": panels,
        "panel_data": {panel.key: data for panel, data in panels},
        "recent_events": recent_activity(request),
    }
    return render(request, "dashboard.html", context)
