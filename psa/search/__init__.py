"""The search registry: each app declares what it makes searchable, in its ``search_index.py``.

A :class:`Searchable` names a model, the permission nodes that let a caller see its objects, the fields it indexes
(each in one of four weight groups, ``a`` to ``d``) and how to turn an object into a :class:`Document`. ``psa``
keeps one index for all of them (:mod:`psa.search.index`, maintained on every save and delete of a registered model
or of a model it declares as ``related``) and answers queries over it (:mod:`psa.search.lookup`). ``psa`` imports
no app: the apps' modules are found by :func:`autodiscover` when Django starts.

Field gating: a field names the serializer field whose visibility it follows (``gate``) and any extra nodes it
needs (``nodes``). A caller who may not see a field does not search it, nor the other fields of its group (a group
is searched whole or not at all), and never sees it in a snippet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.module_loading import autodiscover_modules

GROUPS = ("a", "b", "c", "d")
# Rank weights of the groups, as PostgreSQL's ts_rank weighs A to D.
WEIGHTS = {"a": 1.0, "b": 0.4, "c": 0.2, "d": 0.1}


@dataclass(frozen=True)
class SearchField:
    """One indexed text: ``group`` is its weight group; ``gate`` the serializer field whose visibility it follows."""

    name: str
    group: str
    gate: str | None = None
    nodes: tuple[str, ...] = ()
    gate_model: type[Model] | None = None  # whose field ``gate`` is, when not the searchable's model


@dataclass
class Document:
    """What the index holds of one object: its texts by field name, identifiers, owner and whether it is active.

    ``title`` is shown only to a caller who sees every field of group ``a``: build it from those fields.
    """

    title: str
    texts: dict[str, str]
    client_id: uuid.UUID | None = None
    identifiers: list[str] = field(default_factory=list)
    is_active: bool = True


@dataclass(frozen=True)
class Searchable:
    """A searchable model.

    ``document`` builds the object's :class:`Document` (None: not to be found, e.g. a deleted credential);
    ``url`` gives the UI page of an indexed object from its ``(object_id, client_id)``; ``rebuild`` returns every
    object to index, oldest first (results are listed newest first, in the order objects entered the index),
    prefetched for ``document``. ``related`` maps another model to a function giving the ids of the objects of this
    kind to re-index when one of its rows is saved or deleted (a comment: its ticket). Identifiers are searched only
    by a caller who sees every field in ``identifier_gates``; ``gate_model`` is the model whose field gating
    ``SearchField.gate`` names (default ``model``). ``prepare``, if given, is called with each batch of objects
    before their documents are built, to attach what ``document`` reads in one query per batch rather than one per
    object or a model instance per row (a ticket's comments); ``document`` must also work without it.
    ``related_many`` gives the same ids as ``related`` for a list of rows of that model at once (a few queries per
    chunk, not one per row): :func:`reindex_owners` uses it after bulk writes.
    """

    kind: str
    label: str
    model: type[Model]
    nodes: tuple[str, ...]
    fields: tuple[SearchField, ...]
    document: Callable[[Any], Document | None]
    url: Callable[[uuid.UUID, uuid.UUID | None], str]
    rebuild: Callable[[], QuerySet]
    related: dict[type[Model], Callable[[Any], Iterable[Any]]] = field(default_factory=dict)
    order: int = 100
    identifier_gates: tuple[str, ...] = ()
    gate_model: type[Model] | None = None
    prepare: Callable[[list], None] | None = None
    related_many: dict[type[Model], Callable[[list], Iterable[Any]]] = field(default_factory=dict)

    def groups_of(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        return {f.group for f in self.fields if f.name in wanted}


_registry: dict[str, Searchable] = {}


def register(searchable: Searchable) -> Searchable:
    if any(f.group not in GROUPS for f in searchable.fields):
        raise ValueError(f"search fields of {searchable.kind!r} must be in the groups {GROUPS}")
    _registry[searchable.kind] = searchable
    from psa.search import index

    index.connect(searchable)
    return searchable


def registered() -> list[Searchable]:
    return sorted(_registry.values(), key=lambda s: (s.order, s.kind))


def get(kind: str) -> Searchable | None:
    return _registry.get(kind)


def for_model(model: type[Model]) -> Searchable | None:
    return next((s for s in _registry.values() if s.model is model), None)


def autodiscover() -> None:
    autodiscover_modules("search_index")


def reindex(model: type[Model], ids: Iterable[Any]) -> int:
    """Bring the index in step for ``ids`` of ``model`` after writes that send no signal (``update()``,
    ``bulk_create``, ``bulk_update``); ids no longer there leave it. Returns how many were indexed."""
    searchable = for_model(model)
    ids = list(ids)
    if searchable is None or not ids:
        return 0
    from psa.search import index

    found = list(searchable.rebuild().filter(pk__in=ids))
    gone = set(ids) - {obj.pk for obj in found}
    if gone:
        index.remove(searchable, gone)
    return index.write(searchable, found)


def reindex_owners(model: type[Model], objs: Iterable[Any]) -> int:
    """After writes of ``model`` that send no signal, re-index what other searchables fold in from those rows (a
    renamed client's tickets), as the ``related`` hooks do on a save. Returns how many entries were written."""
    from psa.search import index

    objs = list(objs)
    written = 0
    for searchable in _registry.values():
        if objs and (model in searchable.related or model in searchable.related_many):
            written += index.write_ids(searchable, index.owners_of(searchable, model, objs))
    return written
