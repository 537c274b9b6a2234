from psa.access import has_node


def navigation(request) -> dict:
    """Which navigation entries the signed-in user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "clients": has_node(request, "client.read"),
            "users": has_node(request, "user.read.other"),
            "roles": has_node(request, "role.read"),
            "audit": has_node(request, "audit.read"),
            "admin": user.is_staff,
        }
    }
