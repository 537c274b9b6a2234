"""Small reference tables (boards, statuses, priorities, categories) served from a per-process cache, not a query each.

Apps register the models whose rows are few and read on nearly every request (``register(Status)``); a list then
attaches the cached rows to the objects of its page (``attach(page, ["status", "priority"])``) rather than
prefetching them. Any save or delete of a registered model drops the cache in every process (:mod:`psa.generations`,
``PSA_REFERENCE_CACHE_SECONDS`` as a backstop).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.signals import post_delete, post_save

from psa import generations

_registered: set[type[Model]] = set()
_cache = generations.GenerationCache(generations.REFERENCE, generations.ttl_setting("REFERENCE_CACHE_SECONDS"))


def _changed(**_ignored) -> None:
    generations.bump(generations.REFERENCE)


def register(model: type[Model]) -> type[Model]:
    """Serve ``model``'s rows from the reference cache; usable as a class decorator."""
    _registered.add(model)
    uid = f"psa.references.{model._meta.label}"
    post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
    return model


def is_reference(model: type[Model] | None) -> bool:
    return model in _registered


def rows(model: type[Model]) -> dict[Any, Model]:
    """Every row of a registered model by primary key (shared objects: read them, never change them)."""
    if model not in _registered:
        raise LookupError(f"{model._meta.label} is not a registered reference table")
    return _cache.get_or_load(model._meta.label, lambda: {row.pk: row for row in model._default_manager.all()})


def rows_by_any_key(model: type[Model]) -> dict[Any, Model]:
    """:func:`rows`, each row also under its key's texts (32 hex digits, as SQLite stores it, and ``8-4-4-4-12``):
    a driver's value looks its row up as it comes, without a ``UUID`` built for each."""
    by_pk = rows(model)  # raises LookupError for a model that is not registered
    return _cache.get_or_load(("any key", model._meta.label), lambda: keyed_any_way(by_pk))


def keyed_any_way(by_pk: dict[Any, Any]) -> dict[Any, Any]:
    """``by_pk`` (keyed by ``UUID``) also keyed by each key's two texts; other keys stay as they are."""
    keyed = dict(by_pk)
    for pk, value in by_pk.items():
        if isinstance(pk, uuid.UUID):
            keyed[pk.hex] = keyed[str(pk)] = value
    return keyed


def attach(objects: Iterable[Model], relations: Iterable[str]) -> None:
    """Set each forward relation in ``relations`` (to a registered model) on every object from the cache.

    A row the cache does not hold yet (created by another process a moment ago) is loaded with the usual query.
    """
    objects = list(objects)
    if not objects:
        return
    meta = objects[0]._meta
    for name in relations:
        field = meta.get_field(name)
        table = rows(field.related_model)
        for obj in objects:
            related = table.get(getattr(obj, field.attname))
            if related is not None:
                field.set_cached_value(obj, related)


class ReferenceQuerySet(QuerySet):
    """A queryset that attaches relations to reference tables from the cache as it fetches its rows."""

    _reference_relations: tuple[str, ...] = ()

    def with_references(self, *relations: str) -> ReferenceQuerySet:
        clone = self._chain()
        clone._reference_relations = tuple(dict.fromkeys((*self._reference_relations, *relations)))
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._reference_relations = self._reference_relations
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._reference_relations and self._iterable_class is ModelIterable:
            attach(self._result_cache, self._reference_relations)
