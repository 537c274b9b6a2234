"""The permission-node registry.

Each app declares its nodes in its ``permissions.py`` with :func:`category` and :func:`node`. Nodes are dotted
strings (``ticket.read``); a grant of ``*`` covers everything and ``x.*`` covers every node under ``x``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Node:
    node: str
    description: str
    category: str
    dependencies: tuple[str, ...] = ()


@dataclass
class Category:
    key: str
    name: str
    description: str
    nodes: dict[str, Node] = field(default_factory=dict)


_categories: dict[str, Category] = {}
_nodes: dict[str, Node] = {}
_providers: list[Callable[[], Iterable[Node]]] = []


def category(key: str, name: str, description: str) -> str:
    _categories.setdefault(key, Category(key, name, description))
    return key


def node(name: str, description: str, category: str, dependencies: Iterable[str] = ()) -> str:
    if category not in _categories:
        raise LookupError(f"permission category {category!r} is not declared")
    entry = Node(name, description, category, tuple(dependencies))
    _nodes[name] = entry
    _categories[category].nodes[name] = entry
    return name


def field_nodes(scope: str, fields: Iterable[str], label: str) -> None:
    """Declare ``obj.<scope>.*`` and one ``obj.<scope>.<field>`` node per field for field-level gating."""
    key = category(f"obj.{scope}", f"{label} fields", f"Which {label.lower()} fields a caller may see and write")
    node(f"obj.{scope}.*", f"See and write every {label.lower()} field", key)
    for name in fields:
        node(f"obj.{scope}.{name}", f"See and write the {label.lower()} field '{name}'", key)


def autodiscover() -> None:
    """Load every app's ``permissions.py``, then declare the field nodes of every gated serializer."""
    autodiscover_modules("permissions")
    import_serializer_modules()
    from psa import gating
    from psa.api.serializers import GatedModelSerializer

    for serializer in _subclasses(GatedModelSerializer):
        scope = serializer.gating_scope
        if scope:
            gating.register(serializer)
        if scope and f"obj.{scope}.*" not in _nodes:
            fields = [name for name in serializer.Meta.fields if name != "id"]
            field_nodes(scope, fields, serializer.gating_label or scope.capitalize())


def import_serializer_modules() -> None:
    """Import every app's ``api/*serializers.py`` (``serializers.py``, ``time_serializers.py``...): a gated serializer
    declares its field nodes only once its module is loaded, and a module reached only through the URLconf would
    leave its nodes out of the registry in any process that has not served a request yet."""
    for app in apps.get_app_configs():
        for path in sorted((Path(app.path) / "api").glob("*serializers.py")):
            import_module(f"{app.name}.api.{path.stem}")


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def provider(func: Callable[[], Iterable[Node]]) -> Callable[[], Iterable[Node]]:
    """Register ``func`` as a source of nodes defined by data (e.g. each credential type's reveal node).

    It is called on every read of the registry, so every process sees the current rows; its nodes' categories must
    be declared with :func:`category`, and names already declared in code are ignored.
    """
    _providers.append(func)
    return func


def _provided() -> list[Node]:
    found: dict[str, Node] = {}
    for func in _providers:
        for entry in func():
            if entry.node not in _nodes and entry.category in _categories:
                found.setdefault(entry.node, entry)
    return list(found.values())


def categories() -> dict[str, Category]:
    provided = _provided()
    if not provided:
        return _categories
    merged = {key: replace(cat, nodes=dict(cat.nodes)) for key, cat in _categories.items()}
    for entry in provided:
        merged[entry.category].nodes[entry.node] = entry
    return merged


def all_nodes() -> dict[str, Node]:
    provided = _provided()
    return {**_nodes, **{entry.node: entry for entry in provided}} if provided else _nodes


def is_known(grant: str) -> bool:
    """A grant is valid when it names a registered node or is a wildcard covering at least one."""
    if grant == "*" or grant in _nodes:
        return True
    nodes = all_nodes()
    if grant in nodes:
        return True
    if grant.endswith(".*"):
        prefix = grant[:-1]
        return any(name.startswith(prefix) for name in nodes)
    return False


def grants(granted: frozenset[str] | set[str], wanted: str) -> bool:
    """True when the set ``granted`` covers the node ``wanted``, directly or through a wildcard."""
    if "*" in granted or wanted in granted:
        return True
    if isinstance(granted, frozenset):
        return _grants_by_wildcard(granted, wanted)  # a caller's nodes: asked about the same nodes on every request
    return _covered_by_wildcard(granted, wanted)


@lru_cache(maxsize=4096)
def _grants_by_wildcard(granted: frozenset[str], wanted: str) -> bool:
    return _covered_by_wildcard(granted, wanted)


def _covered_by_wildcard(granted: frozenset[str] | set[str], wanted: str) -> bool:
    parts = wanted.split(".")
    return any(".".join(parts[:i]) + ".*" in granted for i in range(1, len(parts)))
