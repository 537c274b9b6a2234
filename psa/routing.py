"""URL resolving whose cost does not grow with the number of routes.

Django's ``URLResolver`` tries its patterns in order, and an include under ``""`` (every app's API router is one)
is itself tried pattern by pattern, raising and catching a ``Resolver404`` for each app that does not match: a
request for the last app's route walked every route before it. :class:`IndexedResolver` resolves the same way, in
the same order, but only over the patterns that can match the path's first segment (the text up to its first
``/``): a pattern whose literal beginning names another first segment is skipped, because it cannot match.

- ``reverse()``, URL names, namespaces and everything that walks ``url_patterns`` (checks, drf-spectacular) see
  the patterns exactly as declared: the index is used by :meth:`IndexedResolver.resolve` only.
- The match is the one Django's resolver finds (same view, arguments, route, names and namespaces); only the
  ``tried`` list of a 404 names fewer patterns (those that were skipped could not have matched).
"""

from __future__ import annotations

import string
from functools import cached_property

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, ResolverMatch, RoutePattern
from django.utils.functional import Promise

# Characters that stand for themselves in a regular expression (outside a character class).
_LITERAL = frozenset(string.ascii_letters + string.digits + "/_-@~%,;=!:&'\"<> ")
_QUANTIFIERS = frozenset("*+?{")


def _has_top_level_alternation(regex: str) -> bool:
    """Whether ``|`` splits the whole regex (not only a group of it): then no prefix is common to every match."""
    depth, in_class, position = 0, False, 0
    while position < len(regex):
        char = regex[position]
        if char == "\\":
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            position += 2 if regex[position + 1 : position + 2] == "^" else 1
            position += regex[position : position + 1] == "]"  # ``[]...]``, ``[^]...]``: that ] is a member
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        position += 1
    return False


def _regex_prefix(regex: str) -> tuple[str, str]:
    """``(literal text every match starts with, the regex after it)``; ``("", regex)`` when there is none."""
    if not regex.startswith("^") or _has_top_level_alternation(regex):
        return "", regex  # unanchored (``search`` matches anywhere) or an alternation of whole regexes
    chars: list[str] = []
    position = 1
    while position < len(regex):
        char = regex[position]
        if char in _LITERAL:
            step = 1
        elif char == "\\" and position + 1 < len(regex) and not regex[position + 1].isalnum():
            char, step = regex[position + 1], 2  # an escaped punctuation character: itself
        else:
            break
        following = regex[position + step : position + step + 1]
        if following and following in _QUANTIFIERS:
            break  # ``ab?``: the quantifier makes this character optional
        chars.append(char)
        position += step
    return "".join(chars), regex[position:]


def literal_prefix(pattern) -> tuple[str, bool]:
    """``(text every path this pattern matches starts with, whether the path must be exactly that text)``."""
    if isinstance(getattr(pattern, "_route", None) or getattr(pattern, "_regex", None), Promise):
        return "", False  # a translated route differs by language: no prefix holds for every language
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)
        if "<" in route:
            return route[: route.index("<")], False
        return route, pattern._is_endpoint
    if isinstance(pattern, RegexPattern):
        prefix, rest = _regex_prefix(str(pattern._regex))
        return prefix, pattern._is_endpoint and rest in ("$", r"\Z")
    return "", False  # another kind of pattern (locale prefixes): it may match anything


def _is_empty(pattern) -> bool:
    """A resolver pattern that matches every path and passes it on unchanged (``path("", include(...))``)."""
    return (isinstance(pattern, RoutePattern) and str(pattern._route) == "") or (
        isinstance(pattern, RegexPattern) and str(pattern._regex) in ("", "^")
    )


def _passes_path_unchanged(resolver: URLResolver) -> bool:
    """An include under ``""`` without a namespace or default arguments: its patterns act as the parent's own."""
    return _is_empty(resolver.pattern) and not (resolver.namespace or resolver.app_name or resolver.default_kwargs)


class _Entry:
    """One pattern a resolver tries, with the first path segments it can match (``keys``) or the prefix they need."""

    __slots__ = ("keys", "pattern", "prefix")

    def __init__(self, pattern, prefix: str = "", exact: bool = False, keys: frozenset[str] | None = None) -> None:
        self.pattern = pattern
        segment, slash, _ = prefix.partition("/")
        # The first segment is known when the prefix runs past it, or when the path must be the prefix itself.
        self.keys = frozenset({segment}) if slash or exact else keys
        self.prefix = prefix  # used when keys is None: the first segment starts with it

    def may_match(self, segment: str) -> bool:
        return segment in self.keys if self.keys is not None else segment.startswith(self.prefix)


def _entries(resolver: URLResolver) -> list[_Entry]:
    """The patterns ``resolver`` tries, in order, with includes under ``""`` opened up into their patterns."""
    entries = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver) and _passes_path_unchanged(pattern):
            entries.extend(_entries(pattern))
        elif isinstance(pattern, URLResolver) and _is_empty(pattern.pattern):
            # A namespaced include under "": it keeps its names, and matches only the segments its patterns name.
            nested = indexed(pattern)
            entries.append(_Entry(nested, keys=nested.first_segments()))
        elif isinstance(pattern, URLResolver):
            entries.append(_Entry(indexed(pattern), *literal_prefix(pattern.pattern)))  # indexes its own patterns
        elif isinstance(pattern, URLPattern):
            entries.append(_Entry(pattern, *literal_prefix(pattern.pattern)))
        else:
            entries.append(_Entry(pattern))  # an unknown kind of pattern: it may match anything
    return entries


class IndexedResolver(URLResolver):
    """A ``URLResolver`` that tries only the patterns that can match the path's first segment (module docstring)."""

    @cached_property
    def _index(self) -> tuple[dict[str, URLResolver], list[_Entry]]:
        """A resolver over just the candidates for each first segment some pattern names, and the other entries."""
        entries = _entries(self)
        keys = dict.fromkeys(key for entry in entries for key in sorted(entry.keys or ()))
        by_key = {key: self._narrowed([entry for entry in entries if entry.may_match(key)]) for key in keys}
        return by_key, [entry for entry in entries if entry.keys is None]

    def first_segments(self) -> frozenset[str] | None:
        """Every first segment some pattern here can match, or ``None`` when a pattern may match any."""
        by_key, unkeyed = self._index
        return None if unkeyed else frozenset(by_key)

    @cached_property
    def _unkeyed(self) -> dict[tuple[int, ...], URLResolver]:
        return {}  # the resolvers for segments no pattern names, by which unkeyed entries they keep

    def _narrowed(self, entries: list[_Entry]) -> URLResolver:
        # A plain resolver with this one's pattern, arguments and names: Django's own matching over fewer patterns.
        patterns = [entry.pattern for entry in entries]
        return URLResolver(self.pattern, patterns, self.default_kwargs, self.app_name, self.namespace)

    def _candidates(self, segment: str) -> URLResolver:
        by_key, unkeyed = self._index
        narrowed = by_key.get(segment)
        if narrowed is not None:
            return narrowed
        kept = tuple(number for number, entry in enumerate(unkeyed) if entry.may_match(segment))
        narrowed = self._unkeyed.get(kept)
        if narrowed is None:
            # At most one resolver per distinct set of unkeyed prefixes, however many segments are asked for.
            narrowed = self._unkeyed[kept] = self._narrowed([unkeyed[number] for number in kept])
        return narrowed

    def resolve(self, path) -> ResolverMatch:
        path = str(path)  # path may be a reverse_lazy object
        match = self.pattern.match(path)
        if not match:
            return super().resolve(path)  # raises Django's own Resolver404
        segment = match[0].partition("/")[0]
        return self._candidates(segment).resolve(path)


def indexed(resolver: URLResolver) -> IndexedResolver:
    """``resolver`` (what ``path(route, include(...))`` returns) as an :class:`IndexedResolver`."""
    if not isinstance(resolver, URLResolver):
        raise TypeError("indexed() takes an include: path(route, include(...))")
    return IndexedResolver(
        resolver.pattern, resolver.urlconf_name, resolver.default_kwargs, resolver.app_name, resolver.namespace
    )
