"""The technician UI's dashboard and audit log, and the small helpers every UI view shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, User
from assets import expirations
from assets.models import ExpiringItem
from clients.models import Client, Contact
from integrations.dashboard import failing_sources_panel
from psa.access import has_node, restrict
from psa.api.audit import AuditEventFilterSet
from psa.models import AuditEvent, JobRun
from psa.nodes import all_nodes

PAGE_SIZE = 25


def require_nodes(*nodes: str) -> Callable:
    """Sign-in plus every node in ``nodes``; a missing node is a 403 page that names it."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            deny_unless(request, *nodes)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def deny_unless(request, *nodes: str) -> None:
    missing = [node for node in nodes if not has_node(request, node)]
    if missing:
        raise PermissionDenied(denied_message(missing))


def denied_message(missing: list[str]) -> str:
    described = ", ".join(
        f"{node} ({all_nodes()[node].description.lower()})" if node in all_nodes() else node for node in missing
    )
    plural = "s" if len(missing) > 1 else ""
    return f"This needs the permission{plural} {described}. Ask an administrator if you need access."


def paginate(request, queryset: QuerySet, per_page: int = PAGE_SIZE):
    """The requested page of ``queryset`` (an unknown or out-of-range page number gives the nearest page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current query string minus ``page``, for pagination links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def dashboard(request):
    counts = {}
    if has_node(request, "client.read"):
        counts["clients"] = restrict(Client.objects.filter(archived_at__isnull=True), request).count()
    if has_node(request, "contact.read"):
        counts["contacts"] = restrict(Contact.objects.filter(is_active=True), request).count()
    if has_node(request, "user.read.other"):
        counts["users"] = User.objects.filter(is_active=True).count()
    if has_node(request, "api_key.read"):
        counts["my_keys"] = ApiKey.objects.usable().filter(owner=request.user).count()
    recent = None
    if has_node(request, "audit.read"):
        recent = list(restrict(AuditEvent.objects.select_related("client"), request)[:10])
    context = {
        "section": "dashboard",
        "counts": counts,
        "recent_events": recent,
        "expirations": expirations_widget(request),
        "ticket_counts": _ticket_counts(request),
        "integrations_panel": failing_sources_panel(request),
    }
    return render(request, "dashboard.html", context)


def _ticket_counts(request) -> dict | None:
    from tickets.views import dashboard_counts  # tickets' views import this module

    return dashboard_counts(request)


EXPIRATIONS_SHOWN = 10
EXPIRATIONS_LIVE_DAYS = 30
EXPIRATION_TASK = "assets.tasks.record_expirations"
# kind -> (label, client tab of the object); warranties open the asset page
EXPIRATION_KINDS = {
    "domain": ("Domain", "domains"),
    "certificate": ("Certificate", "certificates"),
    "licence": ("Licence", "software"),
    "warranty": ("Warranty", None),
}


def _expiration_url(request, row: dict) -> str | None:
    tab = EXPIRATION_KINDS[row["kind"]][1]
    if tab is None:
        return reverse("assets:asset_detail", args=[row["object_id"]])
    if not has_node(request, "client.read"):
        return None
    return reverse("clients:doc_detail", args=[row["client_id"], tab, row["object_id"]])


def expirations_widget(request) -> dict | None:
    """What expires next, from the daily task's ``ExpiringItem`` table (or computed live while it is empty).

    Only the kinds the caller may read (domain.read, certificate.read, software.read, asset.read), within their client
    scope; ``None`` when they may read none of them.
    """
    kinds = [kind for kind, (_model, _field, node) in expirations.SOURCES.items() if has_node(request, node)]
    if not kinds:
        return None
    today = timezone.localdate()
    if ExpiringItem.objects.exists():
        queryset = restrict(ExpiringItem.objects.filter(kind__in=kinds).select_related("client"), request)
        total = queryset.count()
        rows = [
            {
                "kind": item.kind,
                "object_id": item.object_id,
                "name": item.name,
                "client_id": item.client_id,
                "client_name": item.client.name,
                "expires_on": item.expires_on,
                "days_left": (item.expires_on - today).days,
            }
            for item in queryset[:EXPIRATIONS_SHOWN]
        ]
        # When the table was last rebuilt: the task's last successful run, else the rows' own time.
        run = JobRun.objects.filter(task_name=EXPIRATION_TASK, status=JobRun.Status.SUCCEEDED).first()
        recorded_at = run.finished_at if run is not None and run.finished_at else None
        recorded_at = recorded_at or ExpiringItem.objects.latest("created_at").created_at
        live, within_days = False, settings.EXPIRATION_WINDOW_DAYS
    else:
        queryset = expirations.expiring_queryset(EXPIRATIONS_LIVE_DAYS, lambda qs: restrict(qs, request), kinds, today)
        total = queryset.count()
        rows = [expirations.as_row(raw, today) for raw in queryset[:EXPIRATIONS_SHOWN]]
        recorded_at, live, within_days = None, True, EXPIRATIONS_LIVE_DAYS
    for row in rows:
        row["label"] = EXPIRATION_KINDS[row["kind"]][0]
        row["url"] = _expiration_url(request, row)
        row["days_ago"] = -row["days_left"]
    return {"rows": rows, "total": total, "recorded_at": recorded_at, "live": live, "within_days": within_days}


@require_nodes("audit.read")
def audit_list(request):
    queryset = restrict(AuditEvent.objects.select_related("client"), request)
    filterset = AuditEventFilterSet(request.GET or None, queryset=queryset, request=request)
    page = paginate(request, filterset.qs, per_page=50)
    return render(
        request,
        "audit/event_list.html",
        {"section": "audit", "filter": filterset, "page": page, "query": query_without_page(request)},
    )
