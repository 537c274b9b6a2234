"""The client page's tabs: a registry that ``psa`` defines and each app fills from its ``client_tabs.py``.

A tab names the permission nodes it needs, the page it opens (every tab page renders inside the client page, with
``clients/_client_header.html``) and, optionally, a count the client's overview shows. ``psa`` imports no app: the
apps' modules are found by :func:`autodiscover` when Django starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.module_loading import autodiscover_modules

from psa.access import has_nodes


@dataclass(frozen=True)
class ClientTab:
    """One tab: shown when the caller holds ``nodes``; ``url_name`` is its page, ``order`` its place.

    ``client_kwarg`` is the URL keyword carrying the client's id, ``kwargs`` any other URL keywords; ``count``
    (``request, client -> int``) puts the tab on the overview with that number, ``count_label`` naming it.
    """

    key: str
    label: str
    nodes: tuple[str, ...]
    url_name: str
    order: int = 100
    client_kwarg: str = "pk"
    kwargs: dict = field(default_factory=dict)
    count: Callable[[Any, Any], int] | None = None
    count_label: str | None = None

    def url(self, client) -> str:
        return reverse(self.url_name, kwargs={self.client_kwarg: client.pk, **self.kwargs})


_tabs: dict[str, ClientTab] = {}


def register(tab: ClientTab) -> ClientTab:
    _tabs[tab.key] = tab
    return tab


def unregister(key: str) -> None:
    _tabs.pop(key, None)


def registered() -> list[ClientTab]:
    return sorted(_tabs.values(), key=lambda tab: tab.order)


def autodiscover() -> None:
    autodiscover_modules("client_tabs")


def client_tabs(request, client, current: str) -> list[dict]:
    """The tabs of ``client`` the caller may open, for ``clients/_tabs.html``."""
    return [
        {"key": tab.key, "label": tab.label, "url": tab.url(client), "current": tab.key == current}
        for tab in registered()
        if has_nodes(request, tab.nodes)
    ]


def overview_counts(request, client) -> list[dict]:
    """``{key, label, url, count}`` for every counted tab the caller may open."""
    return [
        {
            "key": tab.key,
            "label": tab.count_label or tab.label,
            "url": tab.url(client),
            "count": tab.count(request, client),
        }
        for tab in registered()
        if tab.count is not None and has_nodes(request, tab.nodes)
    ]
