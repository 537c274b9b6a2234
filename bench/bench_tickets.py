"""Ticket API benchmark on MSP-scale data: generate it once, then time the list, stats and search endpoints.

    .venv/bin/python bench/bench_tickets.py                     # 2,000 clients, 200,000 tickets, 1,000,000 comments
    .venv/bin/python bench/bench_tickets.py --tickets 20000 --comments 100000 --runs 10
    PSA_DATABASE_URL=postgres://... .venv/bin/python bench/bench_tickets.py   # the same against PostgreSQL
    .venv/bin/python bench/bench_tickets.py --floor [--profile]  # issue 14's table: each route beside its floor
    .venv/bin/python bench/bench_tickets.py --stats              # /tickets/stats on each path beside its floors

Data goes to its own database (``$PSA_DATA_DIR``, default ``var/bench-tickets``) and is generated only when that database
holds fewer tickets than asked for (``--regenerate`` starts over). Requests go through Django in-process (no HTTP
server, so the numbers are the application's and the database's, not the network's), authenticated with an API
key like a real client. Prints p50/p95/max per request and the generation rate. No assertions: a tool, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PSA_DATA_DIR", str(ROOT / "var" / "bench-tickets"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
os.environ["PSA_ALLOWED_HOSTS"] = "testserver,localhost"

# The generator (bulk rows through the driver) lives in bench/generate.py, shared with bench_search.py.
from generate import THREADS, generate  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--technicians", type=int, default=60)
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument(
        "--floor",
        action="store_true",
        help="the issue's table: each route beside a raw-SQL + orjson floor, interleaved",
    )
    parser.add_argument("--profile", action="store_true", help="with --floor: where a list request spends its time")
    parser.add_argument(
        "--stats",
        action="store_true",
        help="/tickets/stats counted (no filter) and by SQL (a filter) beside hand-written SQL, interleaved",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="with --floor: CPU time instead of wall time (steadier on a loaded machine): this process's, which holds "
        "SQLite's queries, plus the PostgreSQL backend's when the server runs on this machine",
    )
    parser.add_argument("--runs", type=int, default=20, help="timed requests per endpoint")
    parser.add_argument(
        "--only", help="with --floor: only the routes whose name contains one of these texts (separated by |)"
    )
    parser.add_argument(
        "--count-rows-too",
        action="store_true",
        help="with --floor: each ticket list also as it was before its total came from the group counts "
        "(COUNT(*) over the tickets), interleaved with the rest",
    )
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench(args) -> list[tuple[str, list[float], int]]:
    from rest_framework.test import APIClient

    from accounts.models import ApiKey, User
    from clients.models import Client
    from tickets.models import Ticket

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["ticket.*", "obj.*"]
    tech.save(update_fields=["permissions"])
    _, plaintext = ApiKey.issue(tech, "bench", datetime.now(UTC) + timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    scoped_key, scoped_plain = ApiKey.issue(tech, "bench scoped", datetime.now(UTC) + timedelta(days=1))
    scoped_key.allowed_clients.set(Client.objects.filter(name__startswith="Bench ").order_by("name")[:50])
    scoped = APIClient()
    scoped.credentials(HTTP_X_API_KEY=scoped_plain)
    ticket = Ticket.objects.filter(comments__isnull=False).order_by("-entered_at").first()

    cases = [
        ("GET /tickets (default fields)", api, "/api/v1/tickets", {}),
        ("GET /tickets mobile_list, open, sort updated_at", api, "/api/v1/tickets",
         {"fields": "mobile_list", "is_open": "true", "sort": "updated_at", "order": "desc"}),
        ("GET /tickets mobile_list, assigned_to=me, open", api, "/api/v1/tickets",
         {"fields": "mobile_list", "assigned_to": "me", "is_open": "true"}),
        ("GET /tickets mobile_list, unassigned, priority_name", api, "/api/v1/tickets",
         {"fields": "mobile_list", "has_assignment": "false", "priority_name": "high", "is_open": "true"}),
        ("GET /tickets mobile_list, updated_from 7 days", api, "/api/v1/tickets",
         {"fields": "mobile_list", "updated_from": (datetime.now(UTC) - timedelta(days=7)).isoformat()}),
        ("GET /tickets search=printer, mobile_list", api, "/api/v1/tickets", {"fields": "mobile_list", "search": "printer"}),
        ("GET /tickets tags=vip, fields=tags", api, "/api/v1/tickets", {"tags": "vip", "fields": "tags"}),
        ("GET /tickets page 200, sort client_name", api, "/api/v1/tickets", {"page": 200, "sort": "client_name"}),
        ("GET /tickets key scoped to 50 clients", scoped, "/api/v1/tickets", {"fields": "mobile_list", "is_open": "true"}),
        ("GET /tickets/stats", api, "/api/v1/tickets/stats", {}),
        ("GET /tickets/stats is_open, assigned_to=me", api, "/api/v1/tickets/stats", {"is_open": "true", "assigned_to": "me"}),
        ("GET /tickets/stats key scoped to 50 clients", scoped, "/api/v1/tickets/stats", {}),
        ("GET /tickets/search query=printer", api, "/api/v1/tickets/search", {"query": "printer"}),
        ("GET /tickets/search query=vpn timeout, closed too", api, "/api/v1/tickets/search",
         {"query": "vpn timeout", "include_closed": "true"}),
        ("GET /tickets/search ticket number", api, "/api/v1/tickets/search", {"query": ticket.ticket_number}),
        ("GET /tickets/{id}", api, f"/api/v1/tickets/{ticket.pk}", {}),
        ("GET /tickets/{id}/comments", api, f"/api/v1/tickets/{ticket.pk}/comments", {}),
    ]  # fmt: skip
    results = []
    for name, client, url, params in cases:
        for _ in range(2):
            response = client.get(url, params)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url, params)
            samples.append((time.perf_counter() - start) * 1000)
        body = response.json()
        rows = len(body["data"]) if isinstance(body.get("data"), list) else 1
        results.append((name, samples, rows))
    return results


def _app_queries(client, url: str, params: dict) -> tuple[int, int]:
    """``(queries, of which the rate limiter's)`` for one request (the limiter's are not SQL with Redis)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    limiter = sum("ratelimitcounter" in q["sql"].lower() for q in captured)
    return len(captured), limiter


def floor_bench(args) -> None:
    """The issue's table: each route and its floor (raw SQL + orjson), interleaved, medians, ratio, queries."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client as BrowserClient
    from floor_app import Floor
    from rest_framework.test import APIClient

    from accounts.models import ApiKey, User
    from tickets.models import Priority, Status, Ticket

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["ticket.*", "obj.*", "client.read", "contact.read", "asset.read"]
    tech.save(update_fields=["permissions"])
    key, plaintext = ApiKey.issue(tech, "bench floor", datetime.now(UTC) + timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    browser = BrowserClient()
    browser.force_login(tech)
    connection.ensure_connection()
    floor = Floor(connection.connection, connection.vendor, settings.API_KEY_PEPPERS[key.pepper_version])
    me = tech.pk.hex if connection.vendor == "sqlite" else tech.pk
    status_name = Status.objects.filter(is_closed=False).order_by("order", "name").values_list("name", flat=True)[1]
    priority = Priority.objects.order_by("-order").values_list("name", flat=True).first()
    week_ago = datetime.now(UTC) - timedelta(days=7)
    week_param = week_ago.strftime("%Y-%m-%d %H:%M:%S") if connection.vendor == "sqlite" else week_ago
    threads = {n: Ticket.objects.get(ticket_number=n).pk for n in THREADS}
    mobile = {"fields": "mobile_list"}
    lists = [
        ("tickets mobile_list assigned_to=me is_open (selective)", {**mobile, "assigned_to": "me", "is_open": "true"},
         ("t.assigned_to_id = %s AND NOT t.is_closed", (me,))),
        ("tickets mobile_list has_assignment=false priority_name", {**mobile, "has_assignment": "false",
         "priority_name": priority, "is_open": "true"},
         ("t.assigned_to_id IS NULL AND NOT t.is_closed AND t.priority_id IN "
          "(SELECT id FROM tickets_priority WHERE LOWER(name) = LOWER(%s))", (priority,))),
        ("tickets mobile_list status_name (selective)", {**mobile, "status_name": status_name},
         ("t.status_id IN (SELECT id FROM tickets_status WHERE LOWER(name) = LOWER(%s))", (status_name,))),
        ("tickets mobile_list updated_from 7 days", {**mobile, "updated_from": week_ago.isoformat()},
         ("t.updated_at >= %s", (week_param,))),
        ("tickets mobile_list default page (is_open=true)", {**mobile, "is_open": "true"}, ("NOT t.is_closed", ())),
        ("tickets limit=50 (default fields)", {"limit": 50}, ("1=1", ())),
    ]  # fmt: skip
    cases = []
    for name, params, (where, sql_params) in lists:
        limit = int(params.get("limit", 25))
        cases.append((name, api, "/api/v1/tickets", params,
                      lambda w=where, p=sql_params, n=limit: floor.authenticate(plaintext) and floor.tickets(w, p, n, True)))  # fmt: skip
        if args.count_rows_too:
            cases.append((f"{name}, COUNT(*)", RowsCounted(api), "/api/v1/tickets", params, cases[-1][4]))
    cases.append(("tickets/stats unfiltered", api, "/api/v1/tickets/stats", {},
                  lambda: floor.authenticate(plaintext) and floor.stats()))  # fmt: skip
    page_cases = [
        (f"ticket page, {count} comments", browser, f"/tickets/{threads[number]}/", {}, None)
        for number, count in THREADS.items()
    ]
    if args.only:
        wanted = args.only.split("|")
        cases = [case for case in cases if any(text in case[0] for text in wanted)]
        page_cases = [case for case in page_cases if any(text in case[0] for text in wanted)]
    for _name, client, url, params, _fn in cases + page_cases:
        for _ in range(3):
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
    queries = {name: _app_queries(client, url, params) for name, client, url, params, _fn in cases + page_cases}
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, *_ in cases + page_cases}
    clock = _cpu_clock(connection) if args.cpu else time.perf_counter
    for _ in range(args.runs):  # interleaved: route, floor, next route ...
        for name, client, url, params, floor_fn in cases + page_cases:
            start = clock()
            client.get(url, params)
            samples[name][0].append((clock() - start) * 1000)
            if floor_fn is not None:
                start = clock()
                floor_fn()
                samples[name][1].append((clock() - start) * 1000)
    what = "CPU" if args.cpu else "wall"
    print(f"\n{'route (in-process, ' + what + ', median of ' + str(args.runs) + ')':58} {'app ms':>8} {'floor ms':>8} {'ratio':>6} "
          f"{'queries':>9}")  # fmt: skip
    for name, *_ in cases + page_cases:
        app, base = samples[name]
        total, limiter = queries[name]
        ratio = f"{statistics.median(app) / statistics.median(base):.2f}" if base else "-"
        floor_ms = f"{statistics.median(base):.2f}" if base else "-"
        print(f"{name:58} {statistics.median(app):>8.2f} {floor_ms:>8} {ratio:>6} {total - limiter:>5} (+{limiter})")
    if len(page_cases) == len(THREADS):
        short, long = (statistics.median(samples[f"ticket page, {c} comments"][0]) for c in THREADS.values())
        print(f"ticket page 1000 comments vs 5: {long / short:.2f}x  (queries: 5 comments "
              f"{queries['ticket page, 5 comments'][0]}, 1000 comments {queries['ticket page, 1000 comments'][0]})")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("queries: the route's own SQL; (+n) the rate limiter's counter table, which is Redis, not SQL, with Redis")
    if args.profile:
        profile_list(api, {**mobile, "is_open": "true"})
    key.delete()


class RowsCounted:
    """A test client whose ticket lists count their rows (``COUNT(*)``), as before the group counts answered."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, url: str, params: dict):
        from tickets.api.views import TicketViewSet

        source = TicketViewSet.__dict__["list_count_source"]
        TicketViewSet.list_count_source = None
        try:
            return self.client.get(url, params)
        finally:
            TicketViewSet.list_count_source = source


def _cpu_clock(connection):
    """This process's CPU time in seconds, plus, on PostgreSQL on this machine, its backend's (from the kernel's
    per-task run time, nanoseconds): the CPU a request costs wherever its work runs."""
    if connection.vendor != "postgresql":
        return time.process_time
    path = Path(f"/proc/{connection.connection.info.backend_pid}/schedstat")
    if not path.exists():  # the server is not on this machine
        return time.process_time
    return lambda: time.process_time() + int(path.read_text().split()[0]) / 1e9


def stats_bench(args) -> None:
    """``/tickets/stats`` on each path, interleaved with two floors: hand-written SQL counting the tickets (what the
    SQL path does at the least) and summing the maintained group counts (what the counted path does at the least).
    Wall and CPU time (this process's: SQLite's work runs in it, PostgreSQL's does not), medians."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from floor_app import Floor
    from rest_framework.test import APIClient

    from accounts.models import ApiKey, User
    from clients.models import Client

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["ticket.*", "obj.*"]
    tech.save(update_fields=["permissions"])
    expires = datetime.now(UTC) + timedelta(days=1)
    key, plaintext = ApiKey.issue(tech, "bench stats", expires)
    scoped_key, scoped_plain = ApiKey.issue(tech, "bench stats scoped", expires)
    scoped_key.allowed_clients.set(Client.objects.filter(name__startswith="Bench ").order_by("name")[:50])
    api, scoped = APIClient(), APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    scoped.credentials(HTTP_X_API_KEY=scoped_plain)
    connection.ensure_connection()
    floor = Floor(connection.connection, connection.vendor, settings.API_KEY_PEPPERS[key.pepper_version])
    url = "/api/v1/tickets/stats"
    routes = [
        ("unfiltered (counted)", api, {}),
        ("key scoped to 50 clients (counted)", scoped, {}),
        ("is_open, assigned_to=me (SQL)", api, {"is_open": "true", "assigned_to": "me"}),
        ("entered_from=1970, every ticket (SQL)", api, {"entered_from": "1970-01-01"}),
    ]
    cases = [(f"/tickets/stats {name}", lambda c=client, p=params: c.get(url, p)) for name, client, params in routes]
    cases.append(("floor: count the tickets", lambda: floor.authenticate(plaintext) and floor.stats()))
    if "tickets_ticketgroupcount" in connection.introspection.table_names():
        now = datetime.now(UTC)
        cases.append(("floor: sum the counts", lambda: floor.authenticate(plaintext) and floor.counted_stats(now)))
    queries = {}
    for name, client, params in routes:
        for _ in range(2):
            response = client.get(url, params)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        with CaptureQueriesContext(connection) as captured:
            client.get(url, params)
        queries[f"/tickets/stats {name}"] = sum("ratelimitcounter" not in q["sql"].lower() for q in captured)
    load = os.getloadavg()[0]
    wall: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.runs):
        for name, call in cases:
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    print(f"\nload average {load:.1f} -> {os.getloadavg()[0]:.1f}; {args.runs} interleaved runs")
    print(f"{'case':50} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}")
    for name, _ in cases:
        print(
            f"{name:50} {statistics.median(wall[name]):>8.1f} {percentile(wall[name], 0.95):>8.1f} "
            f"{statistics.median(cpu[name]):>8.1f} {queries.get(name, '-'):>8}"
        )
    key.delete()
    scoped_key.delete()


def profile_list(api, params: dict, requests: int = 200) -> None:
    """Where a list request's fixed Python cost goes: cProfile over many requests, per request."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        api.get("/api/v1/tickets", params)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt / requests * 1000
    print(
        f"\nprofile of GET /tickets {params}: {total:.2f} ms of Python per request (under cProfile); top by cumulative:"
    )
    stats.sort_stats("cumulative").print_stats(r"(psa|tickets|accounts|rest_framework|django_filters|django)/", 30)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main():
    args = parse_args()
    setup_django()
    from django.db import connection

    from clients.models import Client
    from tickets.models import Comment, Ticket

    timings = generate(args)
    print(f"database: {connection.vendor}  ({connection.settings_dict['NAME']})")
    print(
        f"data: {Client.objects.count():,} clients, {Ticket.objects.count():,} tickets, "
        f"{Comment.objects.count():,} comments"
    )
    for name, seconds in timings.items():
        print(f"  generated {name}: {seconds:.1f} s")
    if args.floor:
        floor_bench(args)
        return
    if args.stats:
        stats_bench(args)
        return
    results = bench(args)
    print(f"\n{'request':58} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, samples, rows in results:
        print(
            f"{name:58} {rows:>5} {statistics.median(samples):>8.1f} {percentile(samples, 0.95):>8.1f} "
            f"{max(samples):>8.1f}"
        )


if __name__ == "__main__":
    main()
