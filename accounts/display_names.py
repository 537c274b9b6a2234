"""Users' display names (``str(user)``: the name, else the login) from a per-process cache.

A ticket names up to four people (assignee, who entered, updated and closed it); a list read them by joining the
users table four times per row, each join a primary-key lookup of the page's rows (on SQLite about a third of the
ticket page's statement). The users are few and change rarely, and every save of one already drops the callers'
cache in every process (:mod:`accounts.callers`, the ``access`` generation); the names are kept under the same
generation and time to live (``PSA_CALLER_CACHE_SECONDS``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from psa import generations, references

from .models import User

_cache = generations.GenerationCache(generations.ACCESS, generations.ttl_setting("CALLER_CACHE_SECONDS"), 1)


def _load() -> dict[Any, str]:
    """Every user's name by id, and by the id's texts (as the drivers answer it: no ``UUID`` built per value)."""
    names = {pk: name or login for pk, name, login in User.objects.values_list("pk", "name", "login")}
    return references.keyed_any_way(names)


def display_names(keys: Sequence[Any]) -> list[str | None]:
    """``str(user)`` for each of the driver's user ids in ``keys`` (``None`` for ``None``), in their order.

    A user the cache does not hold yet (created by another process a moment ago) is read by one query."""
    names = _cache.get_or_load("names", _load)
    found: dict[Any, str | None] = {}
    missing: dict[uuid.UUID, Any] = {}
    for key in set(keys):
        name = found[key] = None if key is None else names.get(key)
        if name is None and key is not None:
            missing[key if type(key) is uuid.UUID else uuid.UUID(str(key))] = key
    if missing:
        for pk, name, login in User.objects.filter(pk__in=list(missing)).values_list("pk", "name", "login"):
            found[missing[pk]] = name or login
    return [found[key] for key in keys]
