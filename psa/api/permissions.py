from rest_framework.permissions import BasePermission

from psa.access import has_nodes


class NodePermission(BasePermission):
    """Deny by default: a view must declare the permission nodes each action needs (see ``NodeGuard``)."""

    message = "You do not have the permission nodes this action requires."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        method = request.method.lower()
        if method == "options" or method not in view.http_method_names or not hasattr(view, method):
            return True  # a method this route does not serve (OPTIONS metadata is off): dispatch answers 405
        required = view.required_nodes() if hasattr(view, "required_nodes") else None
        if required is None:
            return False
        if has_nodes(request, required):
            return True
        self.message = f"Missing permission: {', '.join(required)}."
        return False
