from psa.access import has_node
from psa.gating import FieldGate


def navigation(request) -> dict:
    """Which navigation entries the signed-in user may open, and ``gate``: which object fields they may see."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "gate": FieldGate(request),
        "nav": {
            "tickets": has_node(request, "ticket.read"),
            "clients": has_node(request, "client.read"),
            "assets": has_node(request, "asset.read"),
            "credentials": has_node(request, "credential.read"),
            "users": has_node(request, "user.read.other") and has_node(request, "user.list.other"),
            "roles": has_node(request, "role.read"),
            "audit": has_node(request, "audit.read"),
            "integrations": has_node(request, "integration.source.read"),
            "time": has_node(request, "time_entry.read"),
            "catalog": has_node(request, "catalog.service.read") or has_node(request, "catalog.product.read"),
            "procurement": has_node(request, "procurement.catalog.read"),
            "sales": has_node(request, "sales.opportunity.read"),
            "admin": user.is_staff,
        },
    }
