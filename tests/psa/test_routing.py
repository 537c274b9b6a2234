"""psa.routing: the indexed resolver finds exactly what Django's own resolver finds, for every route and near-miss."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

import psa.urls
from psa.routing import IndexedResolver, indexed, literal_prefix

SAMPLE_ID = str(uuid.UUID(int=7))
CONVERTER_SAMPLES = {"int": "12", "uuid": SAMPLE_ID, "slug": "a-slug", "path": "a/b", "str": "word"}


def plain_root() -> URLResolver:
    """The project's URL tree resolved the way Django does it, without any index."""
    patterns = [
        URLResolver(p.pattern, p.urlconf_name, p.default_kwargs, p.app_name, p.namespace)
        if isinstance(p, IndexedResolver)
        else p
        for p in psa.urls.urlpatterns
    ]
    return URLResolver(RegexPattern(r"^/"), patterns)


def _sample(route: str) -> str:
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES.get(m[1] or "str", "word"), route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", SAMPLE_ID, route)  # a router's lookup group: an id fits every one here
    return route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def sample_paths() -> list[str]:
    """A path for every route, and near-misses of it: longer, shorter, another first segment, other case."""
    paths = set()
    for route in _routes(psa.urls.urlpatterns):
        url = "/" + _sample(route)
        first, _, rest = url[1:].partition("/")
        paths.update({url, url + "x", url + "/", url.rstrip("/"), url[:-1], url + "/extra"})
        paths.update({f"/{first}x/{rest}", f"/{first[:-1]}/{rest}", url.upper(), f"/{first}"})
        if url.startswith("/api/v1/"):
            tail = url.removeprefix("/api/v1/")
            segment, _, rest = tail.partition("/")
            paths.update({f"/api/v1/{segment}", f"/api/v1/{segment}s/{rest}", f"/api/v1/x{segment}/{rest}"})
    return sorted(paths | {"/", "/api/v1/", "/api/v1", "/api/v1//", "/nothing-here/", "/api/v1/nothing-here"})


def outcome(resolver: URLResolver, url: str) -> tuple | None:
    try:
        match = resolver.resolve(url)
    except Resolver404:
        return None
    return (
        match.func,
        match.args,
        match.kwargs,
        match.url_name,
        match.app_names,
        match.namespaces,
        match.route,
        match.captured_kwargs,
        match.extra_kwargs,
    )


def test_every_route_and_near_miss_resolves_as_django_resolves_it():
    indexed_root, reference = get_resolver(), plain_root()
    paths = sample_paths()
    assert len(paths) > 500
    resolved = 0
    for url in paths:
        expected = outcome(reference, url)
        assert outcome(indexed_root, url) == expected, url
        resolved += expected is not None
    assert resolved > 200  # the samples reach real views, not only 404s


def test_the_api_and_the_ui_roots_are_indexed():
    kinds = {str(p.pattern): type(p) for p in psa.urls.urlpatterns if isinstance(p, URLResolver)}
    assert kinds["api/v1/"] is IndexedResolver
    assert kinds[""] is IndexedResolver


def test_a_request_tries_only_the_routes_of_its_first_segment():
    url = f"/api/v1/assets/{SAMPLE_ID}/no-such-action"
    with pytest.raises(Resolver404) as indexed_miss:
        get_resolver().resolve(url)
    with pytest.raises(Resolver404) as plain_miss:
        plain_root().resolve(url)

    def tried(error) -> list[str]:
        return [str(chain[-1].pattern) for chain in error.value.args[0]["tried"]]

    assert len(tried(indexed_miss)) < len(tried(plain_miss)) / 3
    assert not [route for route in tried(indexed_miss) if "clients" in route or "users" in route]
    assert [route for route in tried(plain_miss) if "clients" in route]


def test_reverse_is_unchanged():
    assert reverse("asset-detail", kwargs={"pk": SAMPLE_ID}) == f"/api/v1/assets/{SAMPLE_ID}"
    assert reverse("client-list") == "/api/v1/clients"
    assert reverse("dashboard") == "/"
    assert reverse("login") == "/login/"


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"^tickets/(?P<pk>[^/.]+)$", ("tickets/", False)),
        (r"^search$", ("search", True)),
        (r"^search\Z", ("search", True)),
        (r"^users/@me$", ("users/@me", True)),
        (r"^a\.b/c$", ("a.b/c", True)),
        (r"^tickets?/x$", ("ticket", False)),  # the optional s is no part of the prefix
        (r"^ab{2}/", ("a", False)),
        (r"^\d+/x$", ("", False)),
        (r"tickets/x$", ("", False)),  # unanchored: search() matches it anywhere
        (r"^tickets/x|^clients$", ("", False)),  # an alternation
        (r"^(?i)tickets$", ("", False)),
        (r"^sales/(?P<pk>[0-9a-f-]{32,36}|\d{1,10})$", ("sales/", False)),  # an alternation inside a group
        (r"^a[|)]b$", ("a", False)),
        (r"^a[]|]b$", ("a", False)),
        (r"^a\|b$", ("a|b", True)),
        (r"^tickets/(?P<pk>\d+)/notes$", ("tickets/", False)),
    ],
)
def test_regex_prefixes_are_only_what_every_match_starts_with(regex, expected):
    assert literal_prefix(RegexPattern(regex, is_endpoint=True)) == expected


@pytest.mark.parametrize(
    ("route", "endpoint", "expected"),
    [
        ("tickets/<uuid:pk>", True, ("tickets/", False)),
        ("search", True, ("search", True)),
        ("clients/", False, ("clients/", False)),
        ("", False, ("", False)),
        ("<str:category>", True, ("", False)),
    ],
)
def test_route_prefixes(route, endpoint, expected):
    assert literal_prefix(RoutePattern(route, is_endpoint=endpoint)) == expected


def test_a_translated_route_has_no_prefix():
    from django.utils.translation import gettext_lazy

    assert literal_prefix(RoutePattern(gettext_lazy("clients/"))) == ("", False)


def test_a_segment_no_route_names_gets_only_the_routes_that_accept_any_segment():
    def view(request):
        return None

    resolver = indexed(
        URLResolver(
            RoutePattern(""),
            [
                path("fixed", view, name="fixed"),
                path("pre<str:rest>", view, name="prefixed"),
                path("<str:anything>", view, name="any"),
            ],
        )
    )
    assert resolver.resolve("fixed").url_name == "fixed"
    assert resolver.resolve("prefix").url_name == "prefixed"
    assert resolver.resolve("other").url_name == "any"
    assert resolver.resolve("other").kwargs == {"anything": "other"}
    with pytest.raises(TypeError):
        indexed(URLPattern(RoutePattern("x"), view))
