"""The credentials tab of the client page, counted on the client's overview."""

from __future__ import annotations

from psa import tabs
from psa.access import restrict


def _count(request, client) -> int:
    from credentials.models import Credential

    live = Credential.objects.filter(client=client, deleted_at__isnull=True, parent__isnull=True)
    return restrict(live, request).count()


tabs.register(
    tabs.ClientTab(
        "credentials", "Credentials", ("credential.read",), "credentials:client_credentials", order=90,
        client_kwarg="client_id", count=_count,
    )
)  # fmt: skip
