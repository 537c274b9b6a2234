"""The technician UI's audit log, and the small helpers every UI view shares (the dashboard is psa.dashboard)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import render

from psa.access import has_node, restrict
from psa.api.audit import AuditEventFilterSet
from psa.models import AuditEvent
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
