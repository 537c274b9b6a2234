"""The technician UI's audit log, and the small helpers every UI view shares (the dashboard is psa.dashboard)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet

from psa import gating
from psa.access import client_scope, has_node
from psa.api.pagination import CountSource
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


def gated_events(request, events):
    """Audit events as the caller may see them (``psa.gating``): hidden fields' values and names are left out.

    The instances are changed in memory only, for the page being rendered.
    """
    for event in events:
        gated = gating.gate_event(request, event)
        event.changes, event.object_repr = gated["changes"], gated["object_repr"]
    return events


class _CountedPaginator(Paginator):
    """A paginator told its total (from a list's count source) instead of counting the rows."""

    def __init__(self, object_list, per_page: int, total: int) -> None:
        super().__init__(object_list, per_page)
        self.count = total  # shadows Paginator.count, a cached property


def paginate(request, queryset: QuerySet, per_page: int = PAGE_SIZE, count_source: CountSource | None = None):
    """The requested page of ``queryset`` (an unknown or out-of-range page number gives the nearest page).

    ``count_source`` is the API list's (:mod:`psa.api.pagination`): given the page's query parameters and the
    caller's client scope it may answer the total without counting the rows (the page's filters are the API's)."""
    total = count_source(request.GET, client_scope(request)) if count_source is not None else None
    if total is None:
        return Paginator(queryset, per_page).get_page(request.GET.get("page"))
    return _CountedPaginator(queryset, per_page, total).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current query string minus ``page``, for pagination links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
