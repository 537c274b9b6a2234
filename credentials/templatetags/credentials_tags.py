"""``{% client_credentials client %}``: the credentials tab of a client page, for templates/clients/client_detail.html.

Renders nothing for a caller without ``credential.read``; otherwise the client's live credentials (client scope and
field gating applied) with links to the vault pages.
"""

from django import template

from credentials.models import Credential
from psa.access import has_node, restrict
from psa.ui_gate import unwrap

register = template.Library()

LIMIT = 50


@register.inclusion_tag("credentials/_client_credentials.html", takes_context=True)
def client_credentials(context, client):
    client = unwrap(client)  # a gated proxy on the page; the query needs the object
    request = context.get("request")
    if request is None or not has_node(request, "credential.read"):
        return {"visible": False}
    queryset = restrict(
        Credential.objects.filter(client=client, deleted_at__isnull=True, parent__isnull=True).select_related("type"),
        request,
    ).order_by("name", "id")
    rows = list(queryset[: LIMIT + 1])
    return {
        "visible": True,
        "client": client,
        "credentials": rows[:LIMIT],
        "more": len(rows) > LIMIT,
        "can_create": has_node(request, "credential.create"),
    }
