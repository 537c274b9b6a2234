"""Field gating (design.md, seed 004): the one gate every path a value can leave by asks.

A gated serializer (``psa.api.serializers.GatedModelSerializer`` with a ``gating_scope``) shows a field only to a
caller holding ``obj.<scope>.<field>``. The same question is asked, through this module, wherever else a value of a
gated model can leave: the audit log (API, UI pages), an object's change history, the technician UI's pages, and
search and filters (a caller cannot test for a value it may not see).

Each gated serializer registers here which model field each of its fields shows (from the field's ``source``), so a
question about a *model* field (an audit diff key, a history row, a filter's lookup) is answered from the nodes of
every serializer field that shows it: all of them must be visible. A model field no serializer shows is visible only
with ``obj.<scope>.*``. A field that is derived from others (``description_html`` from ``description``) declares it
in the serializer's ``gating_derived`` and needs their nodes too; so does a model property that pages show
(``reveal_node`` from ``permission_scope``). Pages read every value through this gate by :mod:`psa.ui_gate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from psa.access import effective_nodes, has_node

ALWAYS_VISIBLE = frozenset({"id"})
HIDDEN = {"hidden": True}  # what an audit diff entry becomes for a reader who may not see the field


@dataclass
class GatedModel:
    scope: str
    fields: set[str] = field(default_factory=set)  # the serializer field names, each a node obj.<scope>.<name>
    shown_by: dict[str, set[str]] = field(default_factory=dict)  # model field name -> serializer fields showing it
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # relation name -> the serializer fields showing the related object's id (``client_id``), not a summary of it
    shows_relation: dict[str, set[str]] = field(default_factory=dict)
    repr_fields: tuple[str, ...] | None = None


_models: dict[type[models.Model], GatedModel] = {}


def _model_field(model: type[models.Model], name: str) -> models.Field | None:
    for candidate in model._meta.get_fields():
        if candidate.name == name or getattr(candidate, "attname", None) == name:
            return candidate
    return None


def model_field(model: type[models.Model], name: str) -> models.Field | None:
    """The field (or relation) of ``model`` called ``name`` or with that column (``client_id``), or ``None``."""
    return _model_field(model, name)


def register(serializer_class: type) -> None:
    """Record which model fields a gated serializer's fields show (called by ``psa.nodes.autodiscover``)."""
    scope, model = serializer_class.gating_scope, serializer_class.Meta.model
    entry = _models.setdefault(model, GatedModel(scope))
    entry.derived.update(getattr(serializer_class, "gating_derived", {}))
    if getattr(serializer_class, "gating_repr_fields", None) is not None:
        entry.repr_fields = tuple(serializer_class.gating_repr_fields)
    for name, serializer_field in serializer_class().fields.items():
        entry.fields.add(name)
        source = serializer_field.source or name
        head = name if source == "*" else source.split(".")[0]
        target = _model_field(model, head)
        if serializer_field.write_only:
            continue  # shows nothing (a password)
        if target is not None and not getattr(target, "primary_key", False):
            entry.shown_by.setdefault(target.name, set()).add(name)
            if target.is_relation and source == head and not hasattr(serializer_field, "fields"):  # not a summary
                entry.shows_relation.setdefault(target.name, set()).add(name)


def gated_model(model: type[models.Model] | None) -> GatedModel | None:
    return _models.get(model) if model is not None else None


def gated_models() -> dict[type[models.Model], GatedModel]:
    return dict(_models)


def _node_visible(request: Any, scope: str, name: str) -> bool:
    return name in ALWAYS_VISIBLE or has_node(request, f"obj.{scope}.{name}")


def field_visible(request: Any, scope: str, name: str, derived: Mapping[str, Iterable[str]] = {}) -> bool:
    """Whether the caller may see serializer field ``name`` of ``scope`` (and every field it is derived from).

    A derived name with a dot is a full node (another scope's field, e.g. ``obj.client.name``).
    """
    if not _node_visible(request, scope, name):
        return False
    for source in derived.get(name, ()):
        if not (has_node(request, source) if "." in source else _node_visible(request, scope, source)):
            return False
    return True


def visible_fields(
    request: Any, scope: str | None, names: Iterable[str], derived: Mapping[str, Iterable[str]] = {}
) -> frozenset[str]:
    """The subset of ``names`` (fields of ``scope``) the caller may see; all of them for an ungated serializer."""
    names = frozenset(names)
    if not scope or request is None:
        return names
    # A function of the caller's nodes alone, asked for every response: answered once per set of nodes and fields.
    key = (effective_nodes(request), scope, names, tuple((name, tuple(nodes)) for name, nodes in derived.items()))
    visible = _visible_memo.get(key)
    if visible is None:
        if len(_visible_memo) >= MAX_VISIBLE_MEMO:
            _visible_memo.clear()
        visible = _visible_memo[key] = frozenset(n for n in names if field_visible(request, scope, n, derived))
    return visible


MAX_VISIBLE_MEMO = 4096  # distinct (nodes, scope, field set) answers kept per process; past it the memo restarts
_visible_memo: dict[tuple, frozenset[str]] = {}


def value_visible(request: Any, model: type[models.Model] | None, name: str) -> bool:
    """Whether the caller may see the value of ``name`` of a ``model`` object: a model field or a serializer field.

    Names that are neither (e.g. a history row about the ticket's comments) are not fields of the object: visible.
    """
    entry = gated_model(model)
    if entry is None or request is None:
        return True
    target = _model_field(model, name)
    if target is not None and getattr(target, "primary_key", False):
        return True
    if target is not None and target.name in entry.shown_by:
        return all(field_visible(request, entry.scope, f, entry.derived) for f in entry.shown_by[target.name])
    if name in entry.fields:
        return field_visible(request, entry.scope, name, entry.derived)
    if target is not None and (target.concrete or target.many_to_many):
        return has_node(request, f"obj.{entry.scope}.*")
    return True


def attribute_visible(request: Any, model: type[models.Model], name: str) -> bool:
    """Whether a page may read ``obj.<name>`` of a ``model`` object (:mod:`psa.ui_gate`): as :func:`value_visible`,
    except that a relation is visible with the fields showing which object it is (``client_id``); what the related
    object's own fields show is asked of that object's gate. The other side of a relation (``client.contacts``) is
    the related rows, each gated by its own model."""
    entry = gated_model(model)
    if entry is None or request is None:
        return True
    target = _model_field(model, name)
    if target is not None and target.is_relation:
        if target.auto_created and not target.concrete:
            return True
        showing = entry.shows_relation.get(target.name)
        if showing:  # the caller knows which object it is from any of them
            return any(field_visible(request, entry.scope, f, entry.derived) for f in showing)
    if target is None and name not in entry.fields and name in entry.derived:  # a model property, declared
        sources = entry.derived[name]
        return all(has_node(request, s) if "." in s else value_visible(request, model, s) for s in sources)
    return value_visible(request, model, name)


def lookup_visible(request: Any, model: type[models.Model], lookup: str) -> bool:
    """Whether every field a queryset lookup (``contacts__email__icontains``) passes through is visible."""
    for part in lookup.split("__"):
        try:
            target = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True  # a lookup type (icontains) or transform: the path ended
        if not value_visible(request, model, part):
            return False
        if target.related_model is None:
            return True
        model = target.related_model
    return True


def filter_visible(request: Any, model: type[models.Model], name: str, lookup: str) -> bool:
    """Whether a filter may be used: a filter named like a serializer field (``client_id``) needs that field's
    node; any other needs every field its lookup passes through."""
    entry = gated_model(model)
    if entry is not None and request is not None and name in entry.fields:
        return field_visible(request, entry.scope, name, entry.derived)
    return lookup_visible(request, model, lookup)


def repr_fields(model: type[models.Model]) -> tuple[str, ...] | None:
    """The model fields ``str(obj)`` shows: declared (``gating_repr_fields``) or read from ``__str__``'s code."""
    entry = gated_model(model)
    if entry is None:
        return ()
    if entry.repr_fields is not None:
        return entry.repr_fields
    code = getattr(model.__str__, "__code__", None)
    names = tuple(n for n in (code.co_names if code else ()) if _model_field(model, n) is not None)
    return names or None


def repr_visible(request: Any, model: type[models.Model] | None) -> bool:
    """Whether the caller may see an object's ``str()`` (e.g. an audit event's ``object_repr``)."""
    entry = gated_model(model)
    if entry is None or request is None:
        return True
    names = repr_fields(model)
    if names is None:
        return has_node(request, f"obj.{entry.scope}.*")
    return all(value_visible(request, model, name) for name in names)


def model_of(label: str) -> type[models.Model] | None:
    """The model an ``app_label.modelname`` names (as audit events store it), or ``None``."""
    try:
        return apps.get_model(label) if "." in label else None
    except LookupError:
        return None


def gate_changes(request: Any, model: type[models.Model] | None, changes: Mapping) -> dict:
    """An audit diff as the caller may see it: each field it may not see says only that it changed."""
    if not isinstance(changes, Mapping):
        return changes
    return {key: value if value_visible(request, model, key) else dict(HIDDEN) for key, value in changes.items()}


def gate_event(request: Any, event: Any) -> dict[str, Any]:
    """The gated ``changes`` and ``object_repr`` of an audit event, for the API and the UI alike."""
    model = model_of(event.object_type)
    return {
        "changes": gate_changes(request, model, event.changes),
        "object_repr": event.object_repr if repr_visible(request, model) else "",
    }


class FieldGate:
    """The gate for templates: ``{% if gate.ticket.description %}`` is whether the caller may see that field.

    Put in every page's context by ``psa.context_processors.navigation``.
    """

    def __init__(self, request: Any, scope: str | None = None) -> None:
        self._request, self._scope = request, scope

    def __getitem__(self, name: str) -> FieldGate | bool:
        if self._scope is None:
            return FieldGate(self._request, name)
        entry = next((e for e in _models.values() if e.scope == self._scope), None)
        return field_visible(self._request, self._scope, name, entry.derived if entry else {})

    def __getattr__(self, name: str) -> FieldGate | bool:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]
