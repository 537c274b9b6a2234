"""The caller behind an API key (the key, its owner, the owner's nodes, the client scope) in one query, cached.

Every API request used to spend four queries on this (key and owner, roles, the owner's clients, the key's clients).
:func:`resolve_key` reads all of it in one, and keeps it for ``PSA_CALLER_CACHE_SECONDS`` in a process-local cache
(:mod:`psa.generations`) that every process drops on any change to keys, users, roles, their role lists or client
scopes. The secret is checked against the stored digest on every request, cached or not.
"""

from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.base import ModelState
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import ApiKey, Role, User, key_digest, parse_key
from psa import generations
from psa.access import narrow_scope
from psa.db import JoinedText

_cache = generations.GenerationCache(generations.ACCESS, generations.ttl_setting("CALLER_CACHE_SECONDS"))


@dataclass(frozen=True)
class ResolvedKey:
    key: ApiKey  # with ``owner`` loaded
    nodes: frozenset[str]  # the owner's effective nodes
    scope: frozenset[uuid.UUID] | None  # the owner's scope narrowed by the key's; None: all clients

    def for_request(self) -> ApiKey:
        """A copy of the key (and owner) for one request, so no request sees another's changes to the objects."""
        key = _copy_instance(self.key)
        # Straight into the key's related-object cache: assigning ``key.owner`` would run the descriptor's checks
        # (the database router among them) for the owner it already holds.
        ApiKey.owner.field.set_cached_value(key, _copy_instance(self.key.owner))
        return key


def _copy_instance(instance):
    """What ``copy.copy`` makes of a model instance (its fields, and its state with its own related-object cache),
    without the pickling protocol ``copy.copy`` goes through for models (half the cost of authenticating)."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__.update(instance.__dict__)
    state = clone._state = ModelState.__new__(ModelState)  # what copy.copy makes of it, without copyreg
    state.__dict__.update(instance._state.__dict__)
    state.fields_cache = instance._state.fields_cache.copy()
    return clone


def _ids(text: str | None) -> frozenset[uuid.UUID] | None:
    ids = frozenset(uuid.UUID(item) for item in (text or "").split(",") if item)
    return ids or None


def _role_nodes(text: str | None) -> set[str]:
    # Each role's permissions are a JSON list; joined by commas and bracketed they are one JSON list of lists.
    nodes: set[str] = set()
    for role_nodes in json.loads(f"[{text or ''}]"):
        nodes.update(role_nodes or [])
    return nodes


def _load(key_id: str) -> ResolvedKey | None:
    user_roles = User.roles.through.objects.filter(user_id=OuterRef("owner_id")).order_by()
    user_clients = User.allowed_clients.through.objects.filter(user_id=OuterRef("owner_id")).order_by()
    key_clients = ApiKey.allowed_clients.through.objects.filter(apikey_id=OuterRef("pk")).order_by()
    key = (
        ApiKey.objects.select_related("owner")
        .filter(key_id=key_id)
        .annotate(
            owner_role_nodes=Subquery(
                user_roles.values("user_id").annotate(v=JoinedText(Cast("role__permissions", TextField()))).values("v")
            ),
            owner_client_ids=Subquery(
                user_clients.values("user_id").annotate(v=JoinedText(Cast("client_id", TextField()))).values("v")
            ),
            key_client_ids=Subquery(
                key_clients.values("apikey_id").annotate(v=JoinedText(Cast("client_id", TextField()))).values("v")
            ),
        )
        .first()
    )
    if key is None:
        return None
    owner = key.owner
    if not owner.is_active:
        nodes: frozenset[str] = frozenset()
    elif owner.is_superuser:
        nodes = frozenset({"*"})
    else:
        nodes = frozenset(set(owner.permissions or []) | _role_nodes(key.owner_role_nodes))
    scope = narrow_scope(_ids(key.owner_client_ids), _ids(key.key_client_ids))
    return ResolvedKey(key, nodes, scope)


def resolve_key(key_id: str) -> ResolvedKey | None:
    """The key with this id and its caller, from the cache when nothing changed since it was read."""
    return _cache.get_or_load(key_id, lambda: _load(key_id))


def authenticate(raw: str) -> ResolvedKey | None:
    """The usable key matching ``raw`` and its caller, or ``None``; every kind of failure looks the same."""
    parsed = parse_key(raw)
    if parsed is None:
        return None
    resolved = resolve_key(parsed.key_id)
    key = resolved.key if resolved is not None else None
    if key is None or key.pepper_version not in settings.API_KEY_PEPPERS:
        # Spend the same work as a real comparison so a missing key id is not faster to detect.
        hmac.compare_digest(key_digest(parsed.secret, max(settings.API_KEY_PEPPERS)), "0" * 64)
        return None
    if not hmac.compare_digest(key.digest, key_digest(parsed.secret, key.pepper_version)):
        return None
    if not key.is_usable():
        return None
    return resolved


def invalidate(**_ignored) -> None:
    """A key, user, role, role list or client scope changed: every process resolves its callers again."""
    generations.bump(generations.ACCESS)


_UID = "accounts.callers.invalidate"
for _model in (ApiKey, User, Role, User.roles.through, User.allowed_clients.through, ApiKey.allowed_clients.through):
    post_save.connect(invalidate, sender=_model, dispatch_uid=f"{_UID}.save.{_model._meta.label}")
    post_delete.connect(invalidate, sender=_model, dispatch_uid=f"{_UID}.delete.{_model._meta.label}")
for _through in (User.roles.through, User.allowed_clients.through, ApiKey.allowed_clients.through):
    m2m_changed.connect(invalidate, sender=_through, dispatch_uid=f"{_UID}.m2m.{_through._meta.label}")
