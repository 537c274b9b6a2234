from rest_framework.permissions import SAFE_METHODS, BasePermission

from psa.access import has_nodes, is_scoped


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


class ScopeCeilingPermission(BasePermission):
    """Client scope is a ceiling: a scoped caller (``psa.access.is_scoped``) writes only client-owned objects.

    Writing anything shared by every client (users, roles, boards, credential types...) or creating a client (it
    would be outside the caller's scope) is refused with 403, whatever nodes the caller holds. A view that lets a
    scoped caller manage itself, or whose unsafe method only reads, lists those actions (or HTTP methods) in
    ``scoped_caller_actions`` and keeps the caller within its scope itself.
    """

    message = "A client-scoped caller cannot do this: it changes what every client shares."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not (request.user and request.user.is_authenticated):
            return True
        if not is_scoped(request):
            return True
        action = getattr(view, "action", None)
        allowed = getattr(view, "scoped_caller_actions", ())
        if action in allowed or request.method in allowed:
            return True
        queryset = getattr(view, "queryset", None)
        model = queryset.model if queryset is not None else None
        path = getattr(model, "scope_path", None)
        if path == "pk" and action == "create":
            self.message = f"A client-scoped caller cannot create {model._meta.verbose_name_plural}: a new one would be outside its scope."
            return False
        if path is not None:
            return True
        if model is not None:
            self.message = f"A client-scoped caller cannot change {model._meta.verbose_name_plural}: they are shared by every client."
        return False
