"""The route harness: every ``/api/v1`` route, taken from the URL resolver, against every kind of caller.

For each route and method it checks that
- no credentials, and each kind of bad key, give 401 with one identical body;
- a key lacking any one of the route's permission nodes gives 403;
- a key holding exactly the route's nodes succeeds;
- a key scoped to client A gets 404 for client B's objects, and B's objects never appear in its lists;
- a list's query count does not grow with the number of rows.

New routes are picked up automatically. A route that needs a request body or an object this module does not
know yet fails with a message saying what to add; routes that cannot be checked one way are listed, with the
reason, in ``NOT_APPLICABLE``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import ApiKey, Role, User
from clients.models import Client, Contact
from psa.models import AuditEvent, JobRun
from tests.factories import api_client, make_client, make_contact, make_key, make_role, make_user
from tests.harness_bodies import Multipart, Query

# Routes reachable without credentials, and the status they answer with.
PUBLIC_ROUTES = {"teapot": 418}

# Routes that need authentication but no permission node, so there is no 403 to provoke.
NO_NODE_ROUTES = {
    "schema": "the OpenAPI document is readable by any authenticated caller",
    "search": "each type needs its own read node; the route itself none (tests/psa/test_search.py checks the 403)",
}

FIELD_NODES = ["obj.*"]  # field gating is tested on its own; here every caller may see every field


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view_cls: type
    method: str
    action: str | None
    kwarg_names: tuple[str, ...]

    @property
    def model(self) -> type | None:
        queryset = getattr(self.view_cls, "queryset", None)
        return queryset.model if queryset is not None else None

    @property
    def required_nodes(self) -> list[str] | None:
        guard = getattr(self.view_cls, "nodes_for", None)
        return guard(self.action, self.method) if guard else None

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}"


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def collect_routes() -> list[Route]:
    routes = []
    for text, pattern in _walk(get_resolver().url_patterns):
        if not text.startswith("api/v1/"):
            continue
        callback = pattern.callback
        view_cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        kwarg_names = tuple(pattern.pattern.regex.groupindex)
        actions = getattr(callback, "actions", None)
        if actions:
            methods = [(method.upper(), action) for method, action in actions.items()]
        else:
            methods = [
                (method.upper(), None)
                for method in view_cls.http_method_names
                if method not in ("options", "head") and hasattr(view_cls, method)
            ]
        for method, action in methods:
            routes.append(Route(pattern.name, text, view_cls, method, action, kwarg_names))
    return routes


ROUTES = collect_routes()


def _load_extensions() -> list:
    """``tests/<app>/harness.py`` modules: each has ``build(world)``, and may have ``build_external(world)``,
    ``BODIES``, ``ROW_FACTORIES`` and ``PUBLIC_ROUTES``."""
    import tests

    found = []
    for info in pkgutil.iter_modules(tests.__path__):
        if info.ispkg:
            try:
                found.append(importlib.import_module(f"tests.{info.name}.harness"))
            except ModuleNotFoundError as exc:
                if exc.name != f"tests.{info.name}.harness":
                    raise
    return found


EXTENSIONS = _load_extensions()
# Routes a client-scoped caller is refused (403) even on its own client's objects: route name -> the reason.
SCOPED_CALLER_REFUSED: dict[str, str] = {}
for _extension in EXTENSIONS:
    PUBLIC_ROUTES.update(getattr(_extension, "PUBLIC_ROUTES", {}))
    SCOPED_CALLER_REFUSED.update(getattr(_extension, "SCOPED_CALLER_REFUSED", {}))


class World:
    """One object per model in client A (in scope), and one in client B (out of scope) where client-owned.

    The core objects are built here; each app adds its own in ``tests/<app>/harness.py`` (see ``EXTENSIONS``).
    Tests share one world per module (the ``harness_world`` fixture in tests/conftest.py): each test's database
    writes are rolled back, but objects outside the database (a simulator's) are not, so an app makes those in
    ``build_external(world)``, which runs again for each test.
    """

    def __init__(self) -> None:
        self.client_a = make_client("Harness A")
        self.client_b = make_client("Harness B")
        self.caller_key: ApiKey | None = None
        self.objects: dict[type, Any] = {}
        self.hidden: dict[type, Any] = {}
        self.kwargs: dict[str, tuple[Any, Any]] = {}
        # Client A holds objects that protect it from deletion (credentials, tickets...); DELETE takes this one.
        self.disposable_client = make_client("Harness disposable")
        self.delete_targets: dict[type, Any] = {Client: self.disposable_client}
        self.other_user = make_user(["user.read"], login="harness-target")
        self.other_key, _ = make_key(self.other_user)
        self.add(Client, self.client_a, self.client_b)
        self.add(Contact, make_contact(self.client_a), make_contact(self.client_b))
        self.add(Role, make_role(["client.read"], moniker="harness-role"))
        self.add(User, self.other_user)
        self.add(
            AuditEvent,
            AuditEvent.objects.create(action="create", object_type="clients.client", client=self.client_a),
            AuditEvent.objects.create(action="create", object_type="clients.client", client=self.client_b),
        )
        self.add(JobRun, JobRun.objects.create(task_id="harness-task", task_name="psa.tasks.heartbeat"))
        for extension in EXTENSIONS:
            extension.build(self)
        self.build_external()

    def build_external(self) -> None:
        """The objects outside the database (in a simulator), fresh for each test."""
        for extension in EXTENSIONS:
            if hasattr(extension, "build_external"):
                extension.build_external(self)

    def add(self, model: type, visible: Any, hidden: Any = None) -> None:
        self.objects[model] = visible
        if hidden is not None:
            self.hidden[model] = hidden

    def add_kwarg(self, name: str, visible: Any, hidden: Any) -> None:
        """The objects whose ids fill the URL keyword ``name`` (e.g. a nested route's parent)."""
        self.kwargs[name] = (visible, hidden)

    def in_scope(self, model: type) -> Any:
        if model is ApiKey:
            return self.caller_key or self.other_key
        if model not in self.objects:
            pytest.fail(f"The route harness has no object for {model.__name__}: add one in tests/<app>/harness.py")
        return self.objects[model]

    def out_of_scope(self, model: type) -> Any:
        return self.hidden.get(model)


def build_world() -> World:
    """A world of its own (the fuzz seed's); tests take the ``world`` fixture, one world per module."""
    return World()


@pytest.fixture
def world(harness_world):
    return harness_world


def _kwarg_value(route: Route, name: str, obj: Any, world: World, out_of_scope: bool) -> str:
    if name == "category":
        return "user"
    if name == "client_id":  # routes nested under a client, e.g. /clients/{client_id}/credentials
        return str((world.client_b if out_of_scope else world.client_a).pk)
    if name in world.kwargs:
        return str(world.kwargs[name][1 if out_of_scope else 0].pk)
    if obj is None:
        pytest.fail(f"{route.id}: no object to fill '{name}'")
    return str(obj.pk)


def build_url(route: Route, world: World, *, out_of_scope: bool = False) -> str:
    obj = None
    if route.kwarg_names and route.model is not None:
        obj = world.out_of_scope(route.model) if out_of_scope else world.in_scope(route.model)
        if route.method == "DELETE" and route.action == "destroy" and not out_of_scope:
            obj = world.delete_targets.get(route.model, obj)
    path = route.pattern[len("api/v1/") :]
    for name in route.kwarg_names:
        value = _kwarg_value(route, name, obj, world, out_of_scope)
        path = _replace_group(path, name, value)
    return "/api/v1/" + path.replace("^", "").replace("$", "")


def _own_password_change(world: World) -> dict:
    """The caller's user gets a known password first: changing it needs the current one."""
    owner = (world.caller_key or world.other_key).owner
    owner.set_password("Harness-current-pass-1")
    owner.save(update_fields=["password"])
    return {"current_password": "Harness-current-pass-1", "new_password": "Harness-new-pass-phrase-2"}


def _replace_group(path: str, name: str, value: str) -> str:
    """Put ``value`` in place of the group ``(?P<name>...)`` (which may nest parentheses) or ``<conv:name>``."""
    start = path.find(f"(?P<{name}>")
    if start < 0:
        return re.sub(rf"<(?:\w+:)?{name}>", value, path)
    depth = 0
    for end in range(start, len(path)):
        if path[end] == "(" and path[end - 1 : end] != "\\":
            depth += 1
        elif path[end] == ")" and path[end - 1 : end] != "\\":
            depth -= 1
            if depth == 0:
                return path[:start] + value + path[end + 1 :]
    raise ValueError(f"unbalanced group {name} in {path}")


# Request bodies that succeed for a caller holding exactly the route's nodes.
Body = Callable[[World], dict]
BODIES: dict[tuple[str, str], Body] = {
    ("user-me", "PATCH"): lambda w: {"name": "Harness Caller"},
    ("user-me-check-permission", "POST"): lambda w: {"permissions": ["user.read", "client.read"]},
    ("user-me-password", "POST"): _own_password_change,
    ("user-list", "POST"): lambda w: {"login": "harness-new", "email": "new@example.com", "name": "New"},
    ("user-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("user-detail", "PATCH"): lambda w: {"name": "Renamed"},
    ("user-check-permission", "POST"): lambda w: {"permissions": ["user.read"]},
    ("role-list", "POST"): lambda w: {"title": "New role", "moniker": "new-role", "permissions": []},
    ("role-detail", "PUT"): lambda w: {"title": "Renamed role"},
    ("role-detail", "PATCH"): lambda w: {"title": "Renamed role"},
    # The caller may only grant nodes it holds; it holds the field nodes.
    ("role-permissions", "POST"): lambda w: {"permissions": ["obj.client.name"]},
    ("role-permissions", "DELETE"): lambda w: {"permissions": ["client.read"]},
    ("apikey-list", "POST"): lambda w: {
        "description": "harness",
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    },
    ("client-list", "POST"): lambda w: {"name": "New client"},
    # Client A is mirrored from ConnectWise (tests/sales/harness.py), which masters its name: a PUT keeps it.
    ("client-detail", "PUT"): lambda w: {"name": w.client_a.name, "notes": "replaced"},
    ("client-detail", "PATCH"): lambda w: {"notes": "patched"},
    ("contact-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "first_name": "New"},
    ("contact-detail", "PUT"): lambda w: {"first_name": "Renamed"},
    ("contact-detail", "PATCH"): lambda w: {"title": "CTO"},
    ("search", "GET"): lambda w: Query(q="client"),
}


for _extension in EXTENSIONS:
    BODIES.update(getattr(_extension, "BODIES", {}))


def body_for(route: Route, world: World) -> dict | None:
    if route.method not in ("POST", "PUT", "PATCH") and (route.name, route.method) not in BODIES:
        return None
    if (route.name, route.method) not in BODIES:
        pytest.fail(f"{route.id}: add a request body that succeeds to BODIES in the route harness")
    return BODIES[(route.name, route.method)](world)


def send(client, method: str, url: str, body: dict | None, **headers):
    if body is None:
        return client.generic(method, url, **headers)
    if isinstance(body, Query):
        return client.generic(method, f"{url}?{urlencode(body)}", **headers)
    if isinstance(body, Multipart):
        payload = encode_multipart(BOUNDARY, body)
        return client.generic(method, url, payload, content_type=MULTIPART_CONTENT, **headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json", **headers)


def call(client, route: Route, url: str, body: dict | None):
    return send(client, route.method, url, body)


def caller(nodes: list[str], clients: list[Client] = (), key_clients: list[Client] = ()):
    user = make_user(nodes, clients)
    key, plaintext = make_key(user, key_clients)
    return api_client(plaintext), key


def _id(route: Route) -> str:
    return route.id


RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def assert_rate_limit_headers(response) -> None:
    """Every /api/v1 response, success or error, tells the caller its rate-limit budget (issue 8 §3)."""
    missing = [name for name in RATE_LIMIT_HEADERS if not response.has_header(name)]
    assert not missing, f"{response.status_code} response without {missing}"


AUTHENTICATED_ROUTES = [r for r in ROUTES if r.name not in PUBLIC_ROUTES]
GUARDED_ROUTES = [r for r in AUTHENTICATED_ROUTES if r.name not in NO_NODE_ROUTES]


def test_every_route_is_accounted_for():
    """Each route either declares permission nodes or is listed here with its reason."""
    assert ROUTES, "no /api/v1 routes found"
    unguarded = [r.id for r in GUARDED_ROUTES if not r.required_nodes]
    assert not unguarded, f"routes without permission nodes: {unguarded}"


def test_every_node_a_route_checks_is_registered():
    from psa.nodes import all_nodes

    unknown = {(r.id, n) for r in GUARDED_ROUTES for n in r.required_nodes if n not in all_nodes()}
    assert not unknown, f"routes check nodes the registry lacks: {sorted(unknown)}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.name in PUBLIC_ROUTES], ids=_id)
def test_public_route_answers_without_credentials(route, world):
    response = api_client().generic(route.method, build_url(route, world))
    assert response.status_code == PUBLIC_ROUTES[route.name]
    assert_rate_limit_headers(response)


def _bad_credentials(world: World) -> dict[str, dict]:
    """Header sets for every kind of bad credential."""
    owner = make_user(["*"])
    _, expired = make_key(owner, expires_in=timedelta(days=-1))
    revoked_key, revoked = make_key(owner)
    revoked_key.deactivate()
    inactive_owner = make_user(["*"])
    _, orphaned = make_key(inactive_owner)
    inactive_owner.is_active = False
    inactive_owner.save(update_fields=["is_active"])
    _, good = make_key(owner)
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    return {
        "missing": {},
        "malformed": {"HTTP_X_API_KEY": "not-a-key"},
        "wrong secret": {"HTTP_X_API_KEY": wrong_secret},
        "unknown key id": {"HTTP_X_API_KEY": "psa_ZZZZZZZZZZZZ_" + "x" * 43},
        "expired": {"HTTP_X_API_KEY": expired},
        "revoked": {"HTTP_X_API_KEY": revoked},
        "inactive owner": {"HTTP_AUTHORIZATION": f"Bearer {orphaned}"},
        "query string": {"QUERY_STRING": f"api_key={good}"},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", AUTHENTICATED_ROUTES, ids=_id)
def test_bad_credentials_get_one_identical_401(route, world):
    url = build_url(route, world)
    body = body_for(route, world)
    seen = {}
    for kind, headers in _bad_credentials(world).items():
        response = send(api_client(), route.method, url, body, **headers)
        assert response.status_code == 401, f"{kind}: {response.status_code} {response.content[:200]}"
        assert_rate_limit_headers(response)
        seen[kind] = response.json()
    assert len({json.dumps(b, sort_keys=True) for b in seen.values()}) == 1, seen
    assert next(iter(seen.values()))["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.django_db
@pytest.mark.parametrize("route", GUARDED_ROUTES, ids=_id)
def test_missing_any_required_node_is_403(route, world):
    required = route.required_nodes
    for missing in required:
        held = [n for n in required if n != missing] + FIELD_NODES
        client, world.caller_key = caller(held)
        response = call(client, route, build_url(route, world), body_for(route, world))
        assert response.status_code == 403, f"without {missing}: {response.status_code} {response.content[:300]}"
        assert response.json()["error"]["code"] == "FORBIDDEN"
        assert_rate_limit_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize("route", AUTHENTICATED_ROUTES, ids=_id)
def test_exactly_the_required_nodes_succeed(route, world):
    client, world.caller_key = caller((route.required_nodes or []) + FIELD_NODES)
    response = call(client, route, build_url(route, world), body_for(route, world))
    assert 200 <= response.status_code < 300, f"{response.status_code} {response.content[:400]}"
    assert_rate_limit_headers(response)


def _scoped_routes() -> list[Route]:
    return [r for r in GUARDED_ROUTES if r.model is not None and getattr(r.model, "scope_path", None) is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in _scoped_routes() if r.kwarg_names], ids=_id)
def test_client_scoped_key_gets_404_for_other_clients_objects(route, world):
    client, world.caller_key = caller(["*"], key_clients=[world.client_a, world.disposable_client])
    before = AuditEvent.objects.count()
    response = call(client, route, build_url(route, world, out_of_scope=True), body_for(route, world))
    assert response.status_code == 404, f"{response.status_code} {response.content[:300]}"
    assert_rate_limit_headers(response)
    assert str(world.out_of_scope(route.model).pk) not in response.content.decode()
    assert AuditEvent.objects.count() == before, "a refused request wrote to the audit log"
    # The same route works for the key's own client (or is refused to every scoped caller, for the reason given).
    response = call(client, route, build_url(route, world), body_for(route, world))
    if route.name in SCOPED_CALLER_REFUSED:
        assert response.status_code == 403, f"in scope: {response.status_code} {response.content[:300]}"
        return
    assert 200 <= response.status_code < 300, f"in scope: {response.status_code} {response.content[:300]}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in _scoped_routes() if r.action == "list"], ids=_id)
def test_client_scoped_lists_never_show_other_clients(route, world):
    for key_scope, user_scope in (([world.client_a], []), ([], [world.client_a])):
        client, world.caller_key = caller(["*"], clients=user_scope, key_clients=key_scope)
        response = client.get(build_url(route, world), {"limit": 100})
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["data"]}
        hidden = world.out_of_scope(route.model)
        assert str(hidden.pk) not in ids, "a list leaked another client's object"
        assert str(world.in_scope(route.model).pk) in ids
        assert response.json()["pagination"]["total"] == len(ids)


# Row factories for the query-count check: each makes one more row the list will show.
ROW_FACTORIES: dict[type, Callable[[World, int], Any]] = {
    Client: lambda w, i: make_client(f"Row {i}"),
    Contact: lambda w, i: make_contact(w.client_a),
    User: lambda w, i: make_user(["user.read"], clients=[w.client_a]),
    Role: lambda w, i: make_role(["client.read", "contact.read"]),
    ApiKey: lambda w, i: make_key(w.other_user, clients=[w.client_a])[0],
    AuditEvent: lambda w, i: AuditEvent.objects.create(action="update", object_type="x", client=w.client_a),
    JobRun: lambda w, i: JobRun.objects.create(task_id=f"row-{i}", task_name="psa.tasks.heartbeat"),
}


for _extension in EXTENSIONS:
    ROW_FACTORIES.update(getattr(_extension, "ROW_FACTORIES", {}))


def _add_rows(route: Route, world: World, rows: int) -> None:
    factory = ROW_FACTORIES.get(route.model)
    if factory is None:
        pytest.fail(f"{route.id}: add a row factory for {route.model.__name__} to ROW_FACTORIES")
    for _ in range(rows):
        factory(world, next(_row_numbers))


def _count_queries(client, url: str) -> int:
    # The first request after a change to keys, users or roles resolves its caller again (one query): not counted.
    client.get(url, {"limit": 100})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"limit": 100})
    assert response.status_code == 200
    # Without Redis the rate limiter counts hits in a table; that query is the limiter's, not the list's.
    return len([query for query in captured if "ratelimitcounter" not in query["sql"].lower()])


_row_numbers = iter(range(10**9))

# A list takes at most this many queries besides the rate limiter's: count, page, and a lookup or two (issue 14).
LIST_QUERY_BUDGET = 4
# Credentials carry six lists of related ids (values, children, contacts, vendors, assets, software), one prefetch
# each; the client-scoped route adds its client. Pinned, so any growth shows.
LIST_QUERY_EXCEPTIONS = {"/api/v1/credentials": 8, "/api/v1/clients/{id}/credentials": 9}
# Opportunities hydrate their company: the mirrored payloads, the clients' contacts and the contacts' links (issue 12);
# PostgreSQL needs one query fewer than SQLite here.
LIST_QUERY_CEILINGS = {"/api/v1/sales/opportunities": 5}


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in GUARDED_ROUTES if r.method == "GET" and r.action == "list"], ids=_id)
def test_list_query_count_does_not_grow_with_rows(route, world):
    client, world.caller_key = caller(["*"])
    url = build_url(route, world)
    client.get(url)  # the first use of a key writes last_used_at; measure the steady state
    _add_rows(route, world, 1)
    one = _count_queries(client, url)
    _add_rows(route, world, 49)
    fifty = _count_queries(client, url)
    assert one == fifty, f"{one} queries with few rows, {fifty} with 49 more"
    pinned = next((n for path, n in LIST_QUERY_EXCEPTIONS.items() if _matches(path, url)), None)
    ceiling = next((n for path, n in LIST_QUERY_CEILINGS.items() if _matches(path, url)), LIST_QUERY_BUDGET)
    if pinned is not None:
        assert one == pinned, f"{one} queries, pinned at {pinned}"
    elif ceiling != LIST_QUERY_BUDGET:
        assert one <= ceiling, f"{one} queries, more than this route's ceiling of {ceiling}"
    else:
        assert one <= LIST_QUERY_BUDGET, f"{one} queries, more than the budget of {LIST_QUERY_BUDGET}"


def _matches(template: str, url: str) -> bool:
    parts, actual = template.strip("/").split("/"), url.split("?")[0].strip("/").split("/")
    return len(parts) == len(actual) and all(p == "{id}" or p == a for p, a in zip(parts, actual, strict=True))


def _documented_params(url: str, method: str) -> frozenset[str]:
    from django.urls import resolve

    from psa.api.query_params import accepted_params

    return accepted_params(resolve(url).func, method) or frozenset()


@pytest.mark.django_db
@pytest.mark.parametrize("route", AUTHENTICATED_ROUTES, ids=_id)
def test_an_unknown_query_parameter_is_a_400_naming_it(route, world):
    client, world.caller_key = caller((route.required_nodes or []) + FIELD_NODES)
    url = build_url(route, world)
    response = call(client, route, url + "?harness_unknown=1", body_for(route, world))
    assert response.status_code == 400, f"{response.status_code} {response.content[:300]}"
    detail = response.json()["error"]["details"][0]
    assert detail["path"] == ["harness_unknown"], detail
    for name in _documented_params(url, route.method) - {"format"}:
        assert name in detail["message"], f"the error does not list the accepted parameter {name}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in AUTHENTICATED_ROUTES if r.method == "GET"], ids=_id)
def test_every_documented_query_parameter_is_accepted(route, world):
    client, world.caller_key = caller((route.required_nodes or []) + FIELD_NODES)
    url = build_url(route, world)
    for name in sorted(_documented_params(url, route.method)):
        response = client.get(url, {name: ""})
        text = response.content.decode()
        assert "Unknown query parameter" not in text, f"{name}: {text[:300]}"


# --- client scope is a ceiling on writes ---------------------------------------------------------------------------

# Bookkeeping a permitted write may touch whatever the scope: the audit log, job runs, ticket-number counters, rate
# limit counters, sign-in records, sessions, an API key's record of its own use, and stock counts.
SNAPSHOT_SKIPPED_MODELS = {
    "psa.auditevent",
    "psa.jobrun",
    "tickets.ticketnumbercounter",
    "psa.ratelimitcounter",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "axes.accessfailurelog",
    "sessions.session",
    "admin.logentry",
    "contenttypes.contenttype",
    "auth.permission",
    # The search index is derived from the rows it indexes: a write within scope re-indexes that row.
    "psa.searchentry",
    # The stats' group counts are derived from the tickets by triggers (the all-clients counts sum every client's).
    "tickets.ticketgroupcount",
    "tickets.clientticketgroupcount",
}
SNAPSHOT_SKIPPED_FIELDS = {
    "accounts.apikey": {"last_used_at", "last_used_ip"},
    # Stock on hand moves with the materials used on any client's tickets.
    "catalog.product": {"on_hand", "updated_at"},
    "catalog.catalogitem": {"on_hand", "updated_at"},
}


def _client_paths(model) -> list[str]:
    """Lookups from a row to its owning client's id: its ``scope_path``, or each foreign key to a client-owned model
    (a row such as a document association points at one of several; the first that is set owns it)."""
    path = getattr(model, "scope_path", None)
    if path is not None:
        return [path]
    paths = []
    for field in model._meta.concrete_fields:
        related = getattr(field.related_model, "scope_path", None) if field.many_to_one or field.one_to_one else None
        if related is not None:
            paths.append(field.name if related == "pk" else f"{field.name}__{related}")
    return paths


def _user_path(model) -> str | None:
    """The lookup from a row to the user it belongs to, for the caller's own profile and keys."""
    if model is User:
        return "pk"
    for field in model._meta.concrete_fields:
        if (field.many_to_one or field.one_to_one) and field.related_model is User:
            return field.name
        if (field.many_to_one or field.one_to_one) and field.related_model is ApiKey:
            return f"{field.name}__owner"
    return None


def snapshot_database() -> dict[tuple[str, Any], tuple[tuple, Any, Any]]:
    """Every row of every model: ``(label, pk) -> (values, owning client id, owning user id)``."""
    from django.apps import apps

    rows = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in SNAPSHOT_SKIPPED_MODELS:
            continue
        skipped = SNAPSHOT_SKIPPED_FIELDS.get(label, set())
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skipped]
        manager = model._base_manager
        client_paths, user_path = _client_paths(model), _user_path(model)
        clients = {}
        for pk, *owners in manager.values_list("pk", *client_paths) if client_paths else ():
            clients[pk] = next((owner for owner in owners if owner is not None), None)
        users = dict(manager.values_list("pk", user_path)) if user_path else {}
        for values in manager.values_list(*names):
            pk = values[names.index(model._meta.pk.attname)]
            rows[(label, pk)] = (values, clients.get(pk), users.get(pk))
    return rows


def changes_outside_scope(before: dict, after: dict, scope: set, caller: User) -> list[str]:
    """Rows added, removed or changed that belong neither to a client in ``scope`` nor to the caller itself."""
    outside = []
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[0] == new[0]:
            continue
        owners = [row for row in (old, new) if row is not None]
        if all(row[1] in scope for row in owners):
            continue
        if all(row[1] is None and row[2] == caller.pk for row in owners):
            continue  # the caller's own profile and keys
        outside.append(f"{key[0]} {key[1]}: {'added' if old is None else 'removed' if new is None else 'changed'}")
    return outside


WRITE_ROUTES = [r for r in GUARDED_ROUTES if r.method in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.mark.django_db
@pytest.mark.parametrize("route", WRITE_ROUTES, ids=_id)
def test_a_client_scoped_key_changes_nothing_outside_its_scope(route, world):
    """A key limited to client A, whose owner holds every node: each write acts within A or is refused (403/404),
    and no row outside A changes, apart from the caller's own profile and keys (each no wider than A)."""
    client, world.caller_key = caller(["*"], key_clients=[world.client_a, world.disposable_client])
    scope = {world.client_a.pk, world.disposable_client.pk}
    url, body = build_url(route, world), body_for(route, world)
    client.get("/api/v1/users/@me")  # the first use of a key writes last_used_at; leave that out of the comparison
    before = snapshot_database()

    response = call(client, route, url, body)

    assert response.status_code < 300 or response.status_code in (403, 404), (
        f"{response.status_code} {response.content[:300]}"
    )
    outside = changes_outside_scope(before, snapshot_database(), scope, world.caller_key.owner)
    assert not outside, f"{response.status_code}: changed outside the key's scope: {outside}"
    for key in ApiKey.objects.filter(owner=world.caller_key.owner).prefetch_related("allowed_clients"):
        reach = {c.pk for c in key.allowed_clients.all()}
        assert reach and reach <= scope, f"the caller holds a key wider than its own scope: {key.prefix}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in WRITE_ROUTES if r.model in (User, Role) and r.action != "check_permission"],
    ids=_id,
)
def test_a_client_scoped_key_cannot_change_users_or_roles_whatever_nodes_it_holds(route, world):
    client, world.caller_key = caller(["*"], key_clients=[world.client_a])

    response = call(client, route, build_url(route, world), body_for(route, world))

    assert response.status_code == 403, f"{response.status_code} {response.content[:300]}"
    assert "client-scoped" in response.json()["error"]["message"]
