"""The clients app's tabs: the overview, and its documentation kinds (contacts and locations)."""

from __future__ import annotations

from clients.views import KINDS, Kind, register_kind
from psa import tabs
from psa.access import restrict


def register_kind_tab(kind: Kind, order: int) -> tabs.ClientTab:
    """A documentation kind as a client tab, counted on the overview (other apps' kinds use it too)."""
    register_kind(kind)

    def count(request, client) -> int:
        return restrict(kind.model.objects.filter(client=client), request).count()

    return tabs.register(
        tabs.ClientTab(
            kind.key, kind.label, kind.nodes("read"), "clients:doc_list", order=order, kwargs={"kind": kind.key},
            count=count,
        )
    )  # fmt: skip


tabs.register(tabs.ClientTab("overview", "Overview", ("client.read",), "clients:client_detail", order=0))
register_kind_tab(KINDS["contacts"], 10)
register_kind_tab(KINDS["locations"], 20)
