"""The UniFi tab of the client page: the client's sites, devices, Wi-Fi networks and SSID limits."""

from __future__ import annotations

from psa import tabs
from psa.access import restrict


def _count(request, client) -> int:
    from integrations.unifi.models import UnifiSite

    return restrict(UnifiSite.objects.filter(client=client), request).count()


tabs.register(
    tabs.ClientTab(
        "unifi", "UniFi", ("unifi.access", "client.read"), "unifi:client_unifi", order=80, client_kwarg="client_id",
        count=_count, count_label="UniFi sites",
    )
)  # fmt: skip
