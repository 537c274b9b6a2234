"""The audit log page: events as a person reads them, with human action names, object links and what changed.

Values pass through the same gate as the API (``psa.gating`` via ``gated_events``): a field the reader may not see
shows as changed, never with its values. Object links and sentences come from the apps' activity describers
(``psa.dashboard``), so this module imports no app.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import render

from psa.access import restrict
from psa.api.audit import AuditEventFilterSet
from psa.dashboard import describe
from psa.models import AuditEvent
from psa.views import gated_events, paginate, query_without_page, require_nodes

# What each action is called on the page; apps add theirs with register_action_label().
ACTION_LABELS: dict[str, str] = {
    "create": "Created",
    "update": "Updated",
    "delete": "Deleted",
    "restore": "Restored",
    "deactivate": "Deactivated",
    "reveal": "Revealed a secret",
    "login": "Signed in",
    "login_failed": "Failed sign-in",
    "lockout": "Locked out",
    "set_password": "Set a password",
    "password_change": "Changed a password",
    "password_reset": "Reset a password",
}
VALUES_SHOWN = 6  # a created row lists its first values, not every column
VALUE_CHARS = 80
INTERNAL_KEYS = {"id", "created_at", "updated_at"}


def register_action_label(action: str, label: str) -> None:
    ACTION_LABELS.setdefault(action, label)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


def _short(value: Any) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def change_summary(event: AuditEvent) -> list[str]:
    """Short lines saying what the event did: revealed fields, created values, or old → new per changed field."""
    changes = event.changes or {}
    if event.action == "reveal":
        fields = ", ".join(changes.get("fields") or []) or "a secret"
        what = "one-time codes of " if changes.get("kind") == "totp_code" else ""
        line = f"{'Copied' if changes.get('purpose') == 'copy' else 'Revealed'} {what}{fields}"
        if changes.get("codes_shown", 1) > 1:
            line += f" ({changes['codes_shown']} codes shown)"
        return [line] + ([changes["reason"]] if changes.get("reason") else [])
    if event.action in ("login_failed", "lockout") and changes.get("login"):
        return [f"login tried: {_short(changes['login'])}"]
    lines = []
    for key, change in changes.items():
        if key in INTERNAL_KEYS:
            continue
        if not isinstance(change, dict) or change.get("hidden"):
            lines.append(f"{key.replace('_', ' ')}: changed (hidden)" if isinstance(change, dict) else key)
            continue
        old, new = change.get("old"), change.get("new")
        if event.action == "create":
            if new not in (None, "", [], {}, False):
                lines.append(f"{key.replace('_', ' ')}: {_short(new)}")
        elif event.action == "delete":
            continue
        else:
            lines.append(f"{key.replace('_', ' ')}: {_short(old) if old not in (None, '') else '—'} → "
                         f"{_short(new) if new not in (None, '') else '—'}")  # fmt: skip
    if event.action == "create" and len(lines) > VALUES_SHOWN:
        lines = [*lines[:VALUES_SHOWN], f"and {len(lines) - VALUES_SHOWN} more"]
    return lines


def _as_datetime_filters(params):
    """The page's date inputs (``since``/``until`` as days) become the API filter's datetimes; ``until`` includes its day."""
    data = params.copy()
    for name, extra in (("since", 0), ("until", 1)):
        value = data.get(name, "")
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            continue
        data[name] = datetime.datetime.combine(day + datetime.timedelta(days=extra), datetime.time()).isoformat()
    return data


@require_nodes("audit.read")
def audit_list(request):
    queryset = restrict(AuditEvent.objects.select_related("client", "actor"), request)
    filterset = AuditEventFilterSet(_as_datetime_filters(request.GET) or None, queryset=queryset, request=request)
    page = paginate(request, filterset.qs, per_page=50)
    events = gated_events(request, list(page.object_list))
    rows = [
        {"event": event, "actor": actor, "activity": activity, "label": action_label(event.action),
         "summary": change_summary(event)}
        for event, actor, activity in describe(events, request)
    ]  # fmt: skip
    actions = sorted(set(restrict(AuditEvent.objects.all(), request).values_list("action", flat=True).distinct()))
    actor_ids = restrict(AuditEvent.objects.filter(actor__isnull=False), request).values("actor_id").distinct()
    context = {
        "section": "audit",
        "filter": filterset,
        "page": page,
        "rows": rows,
        "query": query_without_page(request),
        "action_choices": [(action, action_label(action)) for action in actions],
        "actors": get_user_model().objects.filter(pk__in=actor_ids).order_by("name", "login"),
        "object_types": sorted(
            set(restrict(AuditEvent.objects.all(), request).values_list("object_type", flat=True).distinct()) - {""}
        ),
    }
    return render(request, "audit/event_list.html", context)
