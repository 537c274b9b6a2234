from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import two_factor
from accounts.api import serializers as s
from accounts.filtersets import ApiKeyFilterSet, RoleFilterSet, UserFilterSet
from accounts.models import ApiKey, Role, User
from accounts.passwords import change_own_password
from psa import audit
from psa.access import client_scope, effective_nodes, has_node
from psa.api.exceptions import Conflict, error_response
from psa.api.viewsets import PsaAPIView, PsaGenericViewSet, PsaModelViewSet
from psa.nodes import categories, grants
from psa.utils import is_uuid


def ensure_can_grant(request, nodes) -> None:
    """Refuse to hand out nodes the caller does not hold, so no one can raise their own privileges."""
    held = effective_nodes(request)
    missing = sorted({n for n in nodes if not grants(held, n)})
    if missing:
        raise PermissionDenied(f"You cannot grant permission nodes you do not hold: {', '.join(missing)}.")


def check_results(user: User, nodes: list[str]) -> dict:
    held = user.effective_nodes()
    return {"results": [{"permission": n, "hasPermission": grants(held, n)} for n in nodes]}


def users_within_scope(queryset, request):
    """For a scoped caller, only users who may see at least one of its clients (or every client)."""
    scope = client_scope(request)
    if scope is None:
        return queryset
    touching = User.objects.filter(Q(allowed_clients__isnull=True) | Q(allowed_clients__in=scope)).values("pk")
    return queryset.filter(pk__in=touching)


def key_scope_of(key: ApiKey) -> frozenset | None:
    """The clients a key can reach: its own scope narrowed by its owner's (``None``: every client)."""
    own, owner = key.client_scope(), key.owner.client_scope()
    if own is None or owner is None:
        return own if owner is None else owner
    return own & owner


class MeView(PsaAPIView):
    action_nodes = {"GET": ["user.read"], "PATCH": ["user.write"]}
    scoped_caller_actions = ("PATCH",)  # one's own profile

    @extend_schema(responses=s.UserSerializer, summary="Get the current user")
    def get(self, request):
        return Response(s.UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=s.MeUpdateSerializer, responses=s.UserSerializer, summary="Update the current user")
    def patch(self, request):
        serializer = s.MeUpdateSerializer(request.user, data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            before = audit.snapshot(request.user)
            user = serializer.save()
            changes = audit.diff(before, audit.snapshot(user))
            if changes:
                audit.record(request, "update", user, changes=changes)
        return Response(s.UserSerializer(user, context={"request": request}).data)


class MePasswordView(PsaAPIView):
    """A user changes their own password, giving the current one. Any signed-in user may; the current password is
    the credential that counts, so a key (even a client-scoped one) cannot take the account over without it."""

    action_nodes = {"POST": ["user.read"]}
    scoped_caller_actions = ("POST",)

    @extend_schema(
        request=s.PasswordChangeSerializer,
        responses={204: None},
        summary="Change the current user's password",
        description="Needs the current password; the new one must pass the password rules. Ends every other "
        "session of the user (a browser session making the change stays signed in). Audited without the values.",
    )
    def post(self, request):
        body = s.PasswordChangeSerializer(data=request.data, context={"user": request.user})
        body.is_valid(raise_exception=True)
        change_own_password(request, request.user, body.validated_data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeCheckPermissionView(PsaAPIView):
    action_nodes = {"POST": ["user.read"]}
    scoped_caller_actions = ("POST",)  # only reads

    @extend_schema(
        request=s.CheckPermissionRequestSerializer,
        responses={200: s.CheckPermissionResponseSerializer},
        summary="Check which of the given nodes the current user holds",
    )
    def post(self, request):
        body = s.CheckPermissionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(check_results(request.user, body.validated_data["permissions"]))


class UserViewSet(PsaModelViewSet):
    queryset = User.objects.prefetch_related("roles", "allowed_clients")
    serializer_class = s.UserSerializer
    filterset_class = UserFilterSet
    action_nodes = {
        "list": ["user.read.other", "user.list.other"],
        "retrieve": ["user.read.other"],
        "create": ["user.create.other"],
        "update": ["user.write.other"],
        "partial_update": ["user.write.other"],
        "destroy": ["user.delete.other"],
        "roles": ["user.read.other", "role.read"],
        "check_permission": ["user.read.other"],
        "two_factor_reset": ["user.read.other", "user.two_factor.other"],
    }
    sort_fields = {"login": "login", "name": "name", "email": "email", "created_at": "created_at", "first_name": "name"}
    default_sort = "login"
    scoped_caller_actions = ("check_permission",)  # only reads; every other write is refused to a scoped caller

    def get_queryset(self):
        return users_within_scope(super().get_queryset(), self.request)

    def get_serializer_class(self):
        return s.UserCreateSerializer if self.action == "create" else s.UserSerializer

    def _guard_access_changes(self, serializer) -> None:
        data = serializer.validated_data
        if "roles" in data:
            if not has_node(self.request, "user.roles.other"):
                raise PermissionDenied("You do not have permission to modify roles on another user.")
            ensure_can_grant(self.request, [n for role in data["roles"] for n in role.permissions])
        if "permissions" in data:
            if not has_node(self.request, "user.permissions.other"):
                raise PermissionDenied("You do not have permission to modify permissions on another user.")
            ensure_can_grant(self.request, data["permissions"])

    def perform_create(self, serializer):
        self._guard_access_changes(serializer)
        super().perform_create(serializer)

    def perform_update(self, serializer):
        self._guard_access_changes(serializer)
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        if instance.pk == self.request.user.pk:
            raise Conflict("You cannot delete your own user.")
        super().perform_destroy(instance)

    @extend_schema(responses=s.RoleSerializer(many=True), summary="Roles of a user")
    @action(detail=True, methods=["get"], filterset_class=None)
    def roles(self, request, pk=None):
        user = self.get_object()
        page = self.paginate_queryset(user.roles.order_by("title", "id"))
        return self.get_paginated_response(s.RoleSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=s.CheckPermissionRequestSerializer,
        responses={200: s.CheckPermissionResponseSerializer},
        summary="Check which of the given nodes a user holds",
    )
    @action(detail=True, methods=["post"], url_path="check-permission")
    def check_permission(self, request, pk=None):
        user = self.get_object()
        body = s.CheckPermissionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(check_results(user, body.validated_data["permissions"]))

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Turn off a user's two-factor sign-in",
        description="For a user who lost their authenticator app and recovery codes: removes the device and every "
        "recovery code, so they can set it up again from their profile. 204 whether or not there was one; audited "
        "as reset_two_factor when there was.",
    )
    @action(detail=True, methods=["delete"], url_path="two-factor", filterset_class=None)
    def two_factor_reset(self, request, pk=None):
        two_factor.reset_for(request, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    retrieve=extend_schema(parameters=[OpenApiParameter("id_or_moniker", str, OpenApiParameter.PATH)]),
)
class RoleViewSet(PsaModelViewSet):
    queryset = Role.objects.all()
    serializer_class = s.RoleSerializer
    filterset_class = RoleFilterSet
    lookup_field = "moniker"
    lookup_url_kwarg = "id_or_moniker"
    lookup_value_regex = r"[^/]+"
    action_nodes = {
        "list": ["role.read", "role.list"],
        "retrieve": ["role.read"],
        "create": ["role.create"],
        "update": ["role.modify"],
        "partial_update": ["role.modify"],
        "destroy": ["role.delete"],
        "permissions": ["role.modify"],
        "users": ["role.read", "user.read.other"],
    }
    sort_fields = {"title": "title", "moniker": "moniker", "created_at": "created_at"}
    default_sort = "title"

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg]
        if "\x00" in value:  # no moniker holds NUL, and PostgreSQL refuses it in a query
            raise NotFound()
        lookup = Q(pk=value) | Q(moniker=value) if is_uuid(value) else Q(moniker=value)
        return get_object_or_404(self.get_queryset(), lookup)

    def perform_create(self, serializer):
        ensure_can_grant(self.request, serializer.validated_data.get("permissions", []))
        super().perform_create(serializer)

    def perform_update(self, serializer):
        if "permissions" in serializer.validated_data:
            ensure_can_grant(self.request, serializer.validated_data["permissions"])
        super().perform_update(serializer)

    def perform_destroy(self, instance):
        if instance.is_builtin:
            raise Conflict("Built-in roles cannot be deleted.")
        super().perform_destroy(instance)

    @extend_schema(request=s.PermissionListSerializer, responses=s.RoleSerializer, methods=["POST", "DELETE"])
    @action(detail=True, methods=["post", "delete"])
    def permissions(self, request, id_or_moniker=None):
        """POST merges the given nodes into the role; DELETE removes them."""
        role = self.get_object()
        body = s.PermissionListSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        nodes = body.validated_data["permissions"]
        current = set(role.permissions or [])
        if request.method == "POST":
            ensure_can_grant(request, nodes)
            updated = sorted(current | set(nodes))
        else:
            updated = sorted(current - set(nodes))
        with transaction.atomic():
            before = audit.snapshot(role)
            role.permissions = updated
            role.save(update_fields=["permissions", "updated_at"])
            audit.record(request, "update", role, changes=audit.diff(before, audit.snapshot(role)))
        return Response(s.RoleSerializer(role, context={"request": request}).data)

    @extend_schema(responses=s.UserSerializer(many=True), summary="Users holding a role")
    @action(detail=True, methods=["get"], filterset_class=None)
    def users(self, request, id_or_moniker=None):
        role = self.get_object()
        users = users_within_scope(role.users.prefetch_related("roles", "allowed_clients"), request)
        users = users.order_by("login", "id")
        page = self.paginate_queryset(users)
        return self.get_paginated_response(s.UserSerializer(page, many=True, context={"request": request}).data)


def _category_data(key: str) -> dict:
    category = categories()[key]
    return {
        "key": category.key,
        "name": category.name,
        "description": category.description,
        "permissions": [
            {"node": n.node, "description": n.description, "category": n.category, "dependencies": list(n.dependencies)}
            for n in category.nodes.values()
        ],
    }


class PermissionCategoriesView(PsaAPIView):
    action_nodes = {"GET": ["role.read"]}

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="All permission nodes, by category (an object keyed by category)",
        operation_id="permissions_by_category",
    )
    def get(self, request):
        return Response({key: _category_data(key) for key in sorted(categories())})


class PermissionNodesView(PsaAPIView):
    action_nodes = {"GET": ["role.read"]}

    @extend_schema(
        responses={200: s.PermissionNodeSerializer(many=True)},
        summary="All permission nodes, flat",
        operation_id="permissions_nodes",
    )
    def get(self, request):
        return Response([node for key in sorted(categories()) for node in _category_data(key)["permissions"]])


class PermissionCategoryView(PsaAPIView):
    action_nodes = {"GET": ["role.read"]}

    @extend_schema(
        responses={200: s.PermissionCategorySerializer},
        summary="The permission nodes of one category",
        operation_id="permissions_category",
    )
    def get(self, request, category: str):
        if category not in categories():
            return error_response(404, "NOT_FOUND", f'Permission category "{category[:64]}" not found.')
        return Response(_category_data(category))


class ApiKeyViewSet(PsaGenericViewSet, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = ApiKey.objects.select_related("owner").prefetch_related("allowed_clients")
    serializer_class = s.ApiKeySerializer
    filterset_class = ApiKeyFilterSet
    action_nodes = {
        "list": ["api_key.read"],
        "retrieve": ["api_key.read"],
        "create": ["api_key.create"],
        "destroy": ["api_key.delete"],
    }
    sort_fields = {"created_at": "created_at", "expires_at": "expires_at", "description": "description"}
    default_sort = "-created_at"
    # A scoped caller manages its own keys only, each no wider than its scope (checked in create and destroy).
    scoped_caller_actions = ("create", "destroy")

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = client_scope(self.request)
        if scope is not None or not has_node(self.request, "api_key.read.other"):
            queryset = queryset.filter(owner=self.request.user)
        if scope is not None:  # keys limited to clients the caller cannot see stay out of sight
            touching = ApiKey.objects.filter(Q(allowed_clients__isnull=True) | Q(allowed_clients__in=scope))
            queryset = queryset.filter(pk__in=touching.values("pk"))
        return queryset

    def get_create_kwargs(self):
        return {"owner": self.request.user}

    @extend_schema(request=s.ApiKeySerializer, responses={201: s.ApiKeyCreatedSerializer}, summary="Create an API key")
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = client_scope(request)
        if scope is not None and not serializer.validated_data.get("allowed_clients"):
            # A key never sees more than its creator: an unscoped request from a scoped caller inherits the scope.
            if not scope:  # the caller sees no client at all, and an empty list would mean every client
                raise PermissionDenied("A caller that sees no client cannot issue an API key.")
            serializer.validated_data["allowed_clients"] = list(scope)
        self.perform_create(serializer)
        body = s.ApiKeyCreatedSerializer(serializer.instance, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Deactivate an API key")
    def destroy(self, request, *args, **kwargs):
        key = self.get_object()
        if key.owner_id != request.user.pk and not has_node(request, "api_key.delete.other"):
            raise PermissionDenied("You may only deactivate your own API keys.")
        scope = client_scope(request)
        reach = key_scope_of(key)
        if scope is not None and (reach is None or not reach <= scope):
            raise PermissionDenied(
                "A client-scoped caller may only deactivate keys that reach no further than it does."
            )
        with transaction.atomic():
            before = audit.snapshot(key)
            key.deactivate()
            audit.record(request, "deactivate", key, changes=audit.diff(before, audit.snapshot(key)))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeapotView(PsaAPIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={418: None}, summary="I'm a teapot", auth=[])
    def get(self, request):
        return error_response(418, "IM_A_TEAPOT", "I'm a teapot")
