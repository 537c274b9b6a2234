"""The Tickets tab of the client page; the overview counts the client's open tickets."""

from __future__ import annotations

from psa import tabs
from psa.access import restrict


def _open_tickets(request, client) -> int:
    from tickets.models import Ticket

    return restrict(Ticket.objects.filter(client=client, is_closed=False), request).count()


tabs.register(
    tabs.ClientTab(
        "tickets", "Tickets", ("ticket.read",), "tickets:client_tickets", order=80, client_kwarg="client_id",
        count=_open_tickets, count_label="Open tickets",
    )
)  # fmt: skip
