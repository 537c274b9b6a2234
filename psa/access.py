"""What the caller of a request may do: effective permission nodes and client scope, computed once per request."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Model, Q, QuerySet

from psa.nodes import grants

_NODES_ATTR = "_psa_nodes"
_SCOPE_ATTR = "_psa_client_scope"


def _base_request(request: Any) -> Any:
    # DRF's Request wraps Django's HttpRequest; cache on the inner one so views and templates share it.
    return getattr(request, "_request", request)


def effective_nodes(request: Any) -> frozenset[str]:
    base = _base_request(request)
    cached = getattr(base, _NODES_ATTR, None)
    if cached is None:
        user = getattr(request, "user", None)
        cached = user.effective_nodes() if user is not None and user.is_authenticated else frozenset()
        setattr(base, _NODES_ATTR, cached)
    return cached


def has_node(request: Any, node: str) -> bool:
    return grants(effective_nodes(request), node)


def has_nodes(request: Any, nodes: list[str] | tuple[str, ...]) -> bool:
    granted = effective_nodes(request)
    return all(grants(granted, node) for node in nodes)


def client_scope(request: Any) -> frozenset[uuid.UUID] | None:
    """The client ids the caller may see, or ``None`` for all clients.

    A user's allowed clients (empty means all) are narrowed by the API key's own scope; the intersection of two
    non-empty scopes may be empty, and then the caller sees no client at all.
    """
    base = _base_request(request)
    if hasattr(base, _SCOPE_ATTR):
        return getattr(base, _SCOPE_ATTR)
    user = getattr(request, "user", None)
    scope: frozenset[uuid.UUID] | None = frozenset()
    if user is not None and user.is_authenticated:
        key = getattr(request, "auth", None)
        scope = narrow_scope(user.client_scope(), key.client_scope() if hasattr(key, "client_scope") else None)
    setattr(base, _SCOPE_ATTR, scope)
    return scope


def narrow_scope(
    user_scope: frozenset[uuid.UUID] | None, key_scope: frozenset[uuid.UUID] | None
) -> frozenset[uuid.UUID] | None:
    """A user's scope narrowed by an API key's (``None``: all clients)."""
    if key_scope is None:
        return user_scope
    return key_scope if user_scope is None else user_scope & key_scope


def remember_caller(request: Any, nodes: frozenset[str], scope: frozenset[uuid.UUID] | None) -> None:
    """Record the caller's nodes and scope, already resolved by authentication, for the rest of the request."""
    base = _base_request(request)
    setattr(base, _NODES_ATTR, nodes)
    setattr(base, _SCOPE_ATTR, scope)


def restrict(queryset: QuerySet, request: Any) -> QuerySet:
    """Limit a queryset of a client-owned model to the caller's client scope."""
    path = getattr(queryset.model, "scope_path", None)
    if path is None:
        return queryset
    scope = client_scope(request)
    if scope is None:
        return queryset
    condition = Q(**{f"{path}__in": scope})
    if getattr(queryset.model, "scope_includes_shared", False):
        # Rows without a client (e.g. the MSP's own vendors) are shared by every scope.
        condition |= Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


def client_id_of(obj: Model) -> Any:
    """The id of the client that owns ``obj``, following its model's ``scope_path``; ``None`` if not client-owned."""
    path = getattr(type(obj), "scope_path", None)
    if not path:
        return None
    if path == "pk":
        return obj.pk
    *parents, last = path.split("__")
    value: Any = obj
    for part in parents:
        value = getattr(value, part, None)
        if value is None:
            return None
    return getattr(value, f"{last}_id", None)


def in_scope(obj: Model, request: Any) -> bool:
    scope = client_scope(request)
    if scope is None or getattr(type(obj), "scope_path", None) is None:
        return True
    owner = client_id_of(obj)
    return owner in scope or (owner is None and getattr(type(obj), "scope_includes_shared", False))


def is_scoped(request: Any) -> bool:
    """Whether the caller is a *scoped caller*: its effective client scope is not "all clients".

    That is a user with allowed clients, or an API key limited to some clients. Client scope is a ceiling on
    everything such a caller does: it may manage itself (its profile, its own keys no wider than its scope) and
    client-owned objects within its scope, but nothing shared by every client, such as users, roles and other
    people's keys, whatever permission nodes it holds.
    """
    return client_scope(request) is not None


def visible_client_ids(ids, request: Any) -> list:
    """The part of a list of client ids the caller may know about (all of them for an unscoped caller)."""
    scope = client_scope(request)
    return list(ids) if scope is None else [value for value in ids if value in scope]
