"""Where one API request's fixed cost goes: each step's own microseconds, requests run in-process through WSGI.

    PSA_DATA_DIR=var/bench-tickets .venv/bin/python bench/request_steps.py [--requests 2000] [--cprofile]

Requests go through Django's ``WSGIHandler`` with a real WSGI environ (everything gunicorn's worker runs except its
HTTP parsing), authenticated with an API key. Each step is a wrapped function; a step's time is its own, without the
steps it calls (so the rows add up to the whole request), in CPU time of this process (``time.thread_time``, which a
loaded machine inflates far less than wall time; SQLite's queries run in-process and are counted, PostgreSQL's and
Redis's server time is not, and is shown separately as wall time spent waiting on them). Also prints the same pages
from the floor (bench/floor_app.py) and the plain Django view (bench/django_floor.py) for the ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
os.environ["PSA_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ.setdefault("PSA_API_RATE_LIMIT", "100000000/min")

clock = time.thread_time


class Steps:
    """Wraps functions so each call's own time (minus wrapped callees) adds up under a label."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.wall_wait: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []
        self._patched: list = []

    def wrap(self, owner, name: str, label=None) -> None:
        original = owner.__dict__[name]
        steps = self

        def wrapper(*args, **kwargs):
            tag = label(args) if callable(label) else (label or f"{owner.__name__}.{name}")
            frame = [clock(), 0.0]
            steps._stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                steps._stack.pop()
                elapsed = clock() - frame[0]
                steps.own[tag] += elapsed - frame[1]
                steps.calls[tag] += 1
                if steps._stack:
                    steps._stack[-1][1] += elapsed

        wrapper.__wrapped__ = original
        setattr(owner, name, wrapper)
        self._patched.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        self._patched.clear()

    def sql_wrapper(self, execute, sql, params, many, context):
        started, wall = clock(), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = clock() - started
            self.own["database: SQL (driver + SQLite engine)"] += elapsed
            self.calls["database: SQL (driver + SQLite engine)"] += 1
            self.wall_wait["database"] += time.perf_counter() - wall - elapsed
            if self._stack:
                self._stack[-1][1] += elapsed

    def reset(self) -> None:
        self.own.clear()
        self.calls.clear()
        self.wall_wait.clear()


def instrument(steps: Steps) -> None:
    import django_filters.filterset
    import django_filters.rest_framework.backends
    from django.core.handlers import base, wsgi
    from django.urls import resolvers
    from django.utils.deprecation import MiddlewareMixin
    from rest_framework import generics, request, views

    from accounts import authentication, callers
    from accounts.models import ApiKey
    from psa import generations, middleware, ratelimit
    from psa.api import lean, pagination, permissions, query_params, renderers, viewsets

    steps.wrap(wsgi.WSGIHandler, "__call__", "WSGI handler, request and response objects")
    steps.wrap(base.BaseHandler, "_get_response", "Django: view call, response checks")
    steps.wrap(MiddlewareMixin, "__call__", lambda a: f"middleware {type(a[0]).__name__}")
    for name in dir(middleware):
        cls = getattr(middleware, name)
        if isinstance(cls, type) and cls.__module__ == middleware.__name__ and "__call__" in cls.__dict__:
            steps.wrap(cls, "__call__", f"middleware {name}")
    from accounts import middleware as account_middleware

    steps.wrap(account_middleware.TwoFactorEnrolmentMiddleware, "__call__", "middleware TwoFactorEnrolment")
    import axes.middleware

    steps.wrap(axes.middleware.AxesMiddleware, "__call__", "middleware AxesMiddleware")
    steps.wrap(resolvers.URLResolver, "resolve", "URL resolving")
    steps.wrap(views.APIView, "dispatch", "DRF dispatch (view set-up, handler lookup)")
    steps.wrap(views.APIView, "initialize_request", "DRF Request object")
    steps.wrap(views.APIView, "perform_content_negotiation", "DRF content negotiation")
    steps.wrap(authentication.ApiKeyAuthentication, "authenticate", "auth: header, bad-key peek, copy, remember")
    steps.wrap(ratelimit, "peek_rare", "auth: bad-key limit peek (cached)")
    steps.wrap(callers, "authenticate", "auth: parse key, compare digest")
    steps.wrap(callers, "resolve_key", "auth: caller cache lookup")
    steps.wrap(callers, "key_digest", "auth: HMAC-SHA256 of the secret")
    steps.wrap(ApiKey, "touch", "auth: last-used check")
    steps.wrap(generations, "current", "generations: read (Redis GET or file)")
    steps.wrap(request.Request, "_authenticate", "DRF authenticators loop")
    steps.wrap(views.APIView, "check_permissions", "permission classes (nodes, scope ceiling)")
    steps.wrap(permissions.NodePermission, "has_permission", "permission nodes")
    steps.wrap(views.APIView, "check_throttles", "DRF throttles (none)")
    steps.wrap(query_params.QueryParamGuard, "initial", "query parameter guard")
    steps.wrap(ratelimit, "hit", "rate limit hit (Redis MULTI or table upsert)")
    steps.wrap(viewsets.PsaGenericViewSet, "get_queryset", "queryset + client scope")
    steps.wrap(generics.GenericAPIView, "filter_queryset", "filter backends loop")
    steps.wrap(django_filters.rest_framework.backends.DjangoFilterBackend, "filter_queryset", "django-filter")
    steps.wrap(django_filters.filterset.BaseFilterSet, "__init__", "django-filter: FilterSet() (deep copy)")
    steps.wrap(viewsets.SortBackend, "filter_queryset", "sort backend")
    steps.wrap(generics.GenericAPIView, "get_object", "get_object (lookup)")
    steps.wrap(pagination.EnvelopePagination, "paginate_queryset", "pagination (count, slice)")
    steps.wrap(pagination.EnvelopePagination, "get_paginated_response", "pagination envelope")
    steps.wrap(viewsets.PsaGenericViewSet, "get_serializer", "serializer (lean)")
    steps.wrap(lean, "lean_data", "lean plan + rows")
    from psa.api import lean_retrieve

    steps.wrap(lean_retrieve, "fetch", "lean retrieve: plan, gate, columns, row dict")
    steps.wrap(lean_retrieve.Reading, "fetch", "lean retrieve: scope check, light objects")
    steps.wrap(lean_retrieve.Statement, "rows", "lean retrieve: compiled statement, converters")
    steps.wrap(lean_retrieve, "scoped_only", "lean retrieve: queryset is scope-only check")
    steps.wrap(views.APIView, "finalize_response", "DRF finalize_response")
    from django.template.response import SimpleTemplateResponse

    steps.wrap(SimpleTemplateResponse, "render", "render: response")
    steps.wrap(renderers.EnvelopeRenderer, "render", "render: orjson")
    from django.db.models import query

    steps.wrap(query.QuerySet, "_fetch_all", "ORM: build SQL, make rows/models")
    steps.wrap(query, "prefetch_related_objects", "ORM: prefetch")
    import redis

    steps.wrap(redis.Redis, "__init__", "redis: client built")
    steps.wrap(redis.client.Pipeline, "__init__", "redis: pipeline built")
    steps.wrap(redis.Redis, "execute_command", "redis: command round trip")
    steps.wrap(redis.client.Pipeline, "execute", "redis: pipeline round trip")


def environ(path: str, key: str) -> dict:
    target, _, query_string = path.partition("?")
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": target, "QUERY_STRING": query_string, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "HTTP_X_API_KEY": key, "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }  # fmt: skip


def call(app, path: str, key: str) -> bytes:
    status = []
    body = b"".join(app(environ(path, key), lambda s, h, *_: status.append(s)))
    if not status[0].startswith("200"):
        raise SystemExit(f"{path}: {status[0]} {body[:300]!r}")
    return body


def set_up():
    """Django, and a day-long API key of the bench caller (bench_http.bench_caller: bench-tech-0, read nodes for the
    routes) for in-process requests; returns the key (delete it when done) and its plaintext. The references
    (floor_app, django_floor) check the same key with the pepper this sets."""
    import django

    django.setup()
    from bench_http import bench_caller

    key, plaintext, env = bench_caller()
    os.environ["FLOOR_PEPPER"] = env["FLOOR_PEPPER"]
    return key, plaintext


def route_paths() -> dict[str, tuple[str, str]]:
    """Each route's name and path on the bench data (after :func:`set_up`): route key -> (label, path)."""
    from bench_http import bench_asset_id

    from clients.models import Client
    from tickets.models import Status, Ticket

    asset_id = bench_asset_id()
    client_id = Client.objects.order_by("pk").values_list("pk", flat=True).first()
    ticket_id = Ticket.objects.filter(tags__isnull=False).order_by("pk").values_list("pk", flat=True).first()
    status = Status.objects.filter(is_closed=False).order_by("order", "name").values_list("name", flat=True)[1]
    status = status.replace(" ", "+")
    week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "asset": ("one asset by id", f"/api/v1/assets/{asset_id}"),
        "clients": ("clients limit=25", "/api/v1/clients?limit=25"),
        "tickets": ("tickets limit=50", "/api/v1/tickets?limit=50"),
        "client": ("one client by id", f"/api/v1/clients/{client_id}"),
        "ticket": ("one ticket by id (all fields)", f"/api/v1/tickets/{ticket_id}"),
        # The mobile list (issue 14's list goals); the references answer these unfiltered, so read only the steps.
        "mobile": ("tickets fields=mobile_list is_open=true", "/api/v1/tickets?fields=mobile_list&is_open=true"),
        "status_name": (
            "tickets fields=mobile_list status_name",
            f"/api/v1/tickets?fields=mobile_list&status_name={status}",
        ),
        "updated_from": (
            "tickets fields=mobile_list updated_from 7 days",
            f"/api/v1/tickets?fields=mobile_list&updated_from={week_ago}",
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--routes", default="asset,clients,tickets")
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions per route")
    parser.add_argument(
        "--ab",
        metavar="SETTING",
        help="instead of the steps: the route with the boolean SETTING off and on (e.g. LEAN_RETRIEVE), in blocks "
        "of --requests interleaved --rounds times in this process, medians of CPU µs per request",
    )
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    key, plaintext = set_up()
    import django_floor
    import floor_app
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    routes = route_paths()
    floorless = {"client", "ticket", "updated_from"}  # neither the floor nor the plain Django view serves them
    app = get_wsgi_application()
    references = {"floor (raw WSGI)": floor_app.application, "plain Django view": django_floor.application}
    steps = Steps()
    try:
        if args.ab:
            compare(app, routes, args, plaintext)
            return
        for route in args.routes.split(","):
            name, path = routes[route]
            served = {} if route in floorless else references
            for reference in served.values():
                call(reference, path, plaintext)
            call(app, path, plaintext)
            totals = {}
            for label, reference in served.items():
                started = clock()
                for _ in range(args.requests):
                    call(reference, path, plaintext)
                totals[label] = (clock() - started) / args.requests * 1e6
            started = clock()
            for _ in range(args.requests):
                call(app, path, plaintext)
            plain = (clock() - started) / args.requests * 1e6
            instrument(steps)
            steps.reset()
            with connection.execute_wrapper(steps.sql_wrapper):
                started = clock()
                for _ in range(args.requests):
                    call(app, path, plaintext)
                instrumented = (clock() - started) / args.requests * 1e6
            steps.restore()
            print(f"\n{name} ({connection.vendor}, {args.requests} requests, CPU µs per request)")
            for label, value in totals.items():
                print(f"  {label:58} {value:8.0f}")
            ratio = f"   ({plain / totals['floor (raw WSGI)']:.1f}x floor)" if totals else ""
            print(f"  {'PSA route, uninstrumented':58} {plain:8.0f}{ratio}")
            print(f"  {'PSA route, instrumented (the steps below add up to it)':58} {instrumented:8.0f}")
            for label, own in sorted(steps.own.items(), key=lambda item: -item[1]):
                calls = steps.calls[label] / args.requests
                print(f"    {label:56} {own / args.requests * 1e6:8.1f}   {calls:4.1f} calls")
            if steps.wall_wait:
                print(f"    {'(wall time waiting on the database server, not CPU)':56} "
                      f"{steps.wall_wait['database'] / args.requests * 1e6:8.1f}")  # fmt: skip
            if args.cprofile:
                profiler = cProfile.Profile(time.thread_time)
                profiler.enable()
                for _ in range(args.requests):
                    call(app, path, plaintext)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
                print(out.getvalue())
    finally:
        key.delete()


def compare(app, routes: dict, args, plaintext: str) -> None:
    """Each route with ``args.ab`` off and on, interleaved block by block, so a loaded machine's drift hits both."""
    from statistics import median

    from django.db import connection
    from django.test import override_settings

    for route in args.routes.split(","):
        name, path = routes[route]
        times: dict[bool, list[float]] = {False: [], True: []}
        bodies = {}
        for value in (False, True):
            with override_settings(**{args.ab: value}):
                bodies[value] = call(app, path, plaintext)
        for _ in range(args.rounds):
            for value in (False, True):
                with override_settings(**{args.ab: value}):
                    started = clock()
                    for _ in range(args.requests):
                        call(app, path, plaintext)
                    times[value].append((clock() - started) / args.requests * 1e6)
        off, on = median(times[False]), median(times[True])
        same = "same body" if bodies[False] == bodies[True] else "BODIES DIFFER"
        print(
            f"{name} ({connection.vendor}): {args.ab} off {off:.0f} µs, on {on:.0f} µs CPU per request, "
            f"{on / off:.2f}x ({same}; medians of {args.rounds} blocks of {args.requests}; "
            f"load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
