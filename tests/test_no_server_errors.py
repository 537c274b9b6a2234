"""No 500 from anything a client sends (issue 8 §6): every /api/v1 route, from the URL resolver, with bad input.

For each route (the route harness's list, objects and bodies) a caller holding every node sends
- malformed ids in each URL keyword (where the URL pattern still matches: non-UUIDs, NUL, very long values);
- garbage in every query parameter the route knows (its filters, paging, sorting, search) and in an unknown one;
- for each field of a request body that succeeds: wrong JSON types, huge numbers, deep nesting, NUL bytes and
  overlong text; and bodies that are not objects, not JSON, or not UTF-8;
and every answer must be below 500. The schema fuzzing (schemathesis) is the complement outside the suite.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import Resolver404, resolve

from tests.test_route_harness import AUTHENTICATED_ROUTES, BODIES, Route, build_url, caller

BAD_IDS = ["not-a-uuid", "0" * 31 + "g", "-" * 32, "0" * 33 + "---", "\x00", "x" * 300, "%ff%fe", "123"]
# NUL in a query is refused for every route at once by psa.middleware (tests/psa/test_input_bounds.py).
# Text that passes a CharFilter (and reaches its method and the database), numbers past any column, deep JSON.
BAD_QUERY_VALUES = ["x" * 5000, "99999999999999999999999", "[" * 1000]
STANDARD_PARAMS = ["page", "limit", "sort", "order", "search", "updated_since", "include", "format", "field_id"]
BAD_FIELD_VALUES = [None, True, -1, 10**30, "", "\x00", "x" * 70_000, [], {"x": {"y": []}}]
MULTIPART_FIELD_VALUES = ["", "\x00", "x" * 70_000, "-1", "99999999999999999999999"]
BAD_BODIES = [b"[]", b'"text"', b"null", b"12", b"{", b'{"a": 1,}', b"\xff\xfe\x00", b'{"\x00": 1}']


def _id(route: Route) -> str:
    return route.id


def _send(client, method: str, url: str, body: bytes | str | None = None, **extra):
    if body is None:
        return client.generic(method, url, **extra)
    return client.generic(method, url, body, content_type="application/json", **extra)


def _check(response, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{what}: {response.status_code} {response.content[:200]!r}")


def _with_bad_ids(url: str) -> list[str]:
    """``url`` with each URL keyword's value replaced by each bad id, where the URL still resolves."""
    good = resolve(url).kwargs
    urls = []
    for value in good.values():
        for bad in BAD_IDS:
            candidate = url.replace(str(value), bad, 1)
            try:
                resolve(candidate.split("?")[0])
            except (Resolver404, UnicodeError):
                continue
            urls.append(candidate)
    return urls


def _query_params(route: Route) -> list[str]:
    """The route's filters (on lists: a detail shares its list's filterset), paging, sorting and an unknown one."""
    params = [*STANDARD_PARAMS, "no_such_parameter"]
    filterset = getattr(route.view_cls, "filterset_class", None)
    if filterset is not None and route.action in ("list", None):
        params += list(filterset.base_filters)
    return sorted(set(params))


def _is_json(body: dict) -> bool:
    try:
        json.dumps(body)
    except TypeError:
        return False
    return True


def _bad_bodies(body: dict) -> list[tuple[str, str]]:
    variants = []
    for key in body:
        for bad in BAD_FIELD_VALUES:
            variants.append((f"{key}={str(bad)[:20]!r}", json.dumps({**body, key: bad})))
    variants.append(("nested 200 deep", json.dumps({**body, "x": 0})[:-1] + ', "deep": ' + "[" * 200 + "]" * 200 + "}"))
    return variants


@pytest.mark.django_db
@pytest.mark.parametrize("route", AUTHENTICATED_ROUTES, ids=_id)
def test_no_input_gives_a_server_error(route, harness_world):
    world = harness_world
    client, world.caller_key = caller(["*"])
    client.raise_request_exception = False
    url = build_url(route, world)
    failures: list[str] = []
    for bad_url in _with_bad_ids(url):
        _check(_send(client, route.method, bad_url), f"id in {bad_url[:120]!r}", failures)
    if route.method == "GET":
        for param in _query_params(route):
            for value in BAD_QUERY_VALUES:
                response = client.get(url, {param: value})
                _check(response, f"?{param}={value[:20]!r}", failures)
    key = (route.name, route.method)
    if key in BODIES and _is_json(BODIES[key](world)):
        for what, variant in _bad_bodies(BODIES[key](world)):
            _check(_send(client, route.method, url, variant), f"body {what}", failures)
    elif key in BODIES:  # an upload: multipart form fields (each variant with a fresh file)
        for field in BODIES[key](world):
            for bad in MULTIPART_FIELD_VALUES:
                body = {**BODIES[key](world), field: bad}
                response = client.generic(route.method, url, encode_multipart(BOUNDARY, body), MULTIPART_CONTENT)
                _check(response, f"multipart {field}={bad[:20]!r}", failures)
    if route.method in ("POST", "PUT", "PATCH"):
        for raw in BAD_BODIES:
            _check(_send(client, route.method, url, raw), f"body {raw[:20]!r}", failures)
    assert not failures, "\n".join(failures)


def test_the_walker_reaches_every_kind_of_route():
    nested = [r for r in AUTHENTICATED_ROUTES if len(r.kwarg_names) >= 2]
    assert nested, "no nested routes found"
    assert any(re.search(r"interfaces", r.pattern) for r in nested)
