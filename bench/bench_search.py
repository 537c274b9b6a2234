"""Search benchmark on a large MSP's data: /tickets/search and the global search, beside a raw-SQL floor.

    .venv/bin/python bench/bench_search.py                       # 2,000 clients, 250,000 tickets, 2,500,000 comments
    .venv/bin/python bench/bench_search.py --tickets 20000 --comments 200000 --runs 15
    PSA_DATABASE_URL=postgres://... .venv/bin/python bench/bench_search.py   # the same on PostgreSQL

The data (tickets, comments and clients from ``bench_tickets.py``'s generator, plus assets with serials, MACs and IPs,
and credentials) goes to its own database (``$PSA_DATA_DIR``, default ``var/bench-search``) and is generated only
when missing (``--regenerate`` starts over); the search index is then rebuilt (``manage.py search_index``) and
ANALYZE run. Each route is timed in-process (Django test client, API key) interleaved with its floor: one
hand-written query through the database driver for the same page, serialised with orjson. Prints medians, the
ratio to the floor and the query count. No assertions: a tool, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PSA_DATA_DIR", str(ROOT / "var" / "bench-search"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
os.environ["PSA_ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("PSA_LOG_LEVEL", "WARNING")

import bench_tickets  # noqa: E402  (after the environment it reads)

RARE_WORD = "quokka"
RARE_COUNT = 12
GOALS_MS = {"common word": 50, "rare word": 20, "3-word phrase": 50, "global search": 100, "baseline": None}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--tickets", type=int, default=250_000)
    parser.add_argument("--comments", type=int, default=2_500_000)
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument("--credentials", type=int, default=20_000)
    parser.add_argument("--technicians", type=int, default=60)
    parser.add_argument("--runs", type=int, default=25, help="timed requests per route (and per floor)")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--reindex", action="store_true", help="rebuild the search index even if it is complete")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="", help="run only the routes whose name contains this (e.g. quokka)")
    return parser.parse_args()


def generate_estate(args) -> dict[str, float]:
    """Credentials on the generator's clients (assets with serials, MACs and IPs come from bench/generate.py)."""
    from django.db import transaction

    from clients.models import Client
    from credentials.models import Credential, CredentialType
    from credentials.value_types import validate_definition

    rng = random.Random(args.seed + 1)
    timings = {}
    clients = list(Client.objects.filter(name__startswith="Bench ").order_by("name").values_list("pk", flat=True))
    have = Credential.objects.count()
    started = time.perf_counter()
    login, _ = CredentialType.objects.get_or_create(
        name="Bench login",
        defaults={
            "permission_scope": "credential",
            "fields": validate_definition(
                [
                    {"id": "username", "name": "Username", "value_type": "username", "required": True},
                    {"id": "password", "name": "Password", "value_type": "password", "required": True},
                    {"id": "url", "name": "URL", "value_type": "url"},
                ]
            ),
        },
    )
    services = ["Microsoft 365", "Firewall admin", "Domain admin", "Wi-Fi", "Backup portal", "Router", "NAS"]
    with transaction.atomic():
        Credential.objects.bulk_create(
            [
                Credential(
                    client_id=clients[i % len(clients)],
                    type=login,
                    name=f"{rng.choice(services)} {i:05d}",
                    values={"username": f"admin{i}", "url": f"https://portal{i}.example.com"},
                )
                for i in range(have, args.credentials)
            ],
            batch_size=args.batch,
        )
    if args.credentials > have:
        timings[f"{args.credentials - have:,} credentials"] = time.perf_counter() - started
    return timings


def plant_rare_word() -> None:
    from tickets.models import Comment

    if Comment.objects.filter(text__contains=RARE_WORD).exists():
        return
    ids = list(Comment.objects.order_by("id").values_list("pk", flat=True)[:: max(1, Comment.objects.count() // 500)])
    for pk in random.Random(3).sample(ids, min(RARE_COUNT, len(ids))):
        Comment.objects.filter(pk=pk).update(text=f"Found a {RARE_WORD} nesting in the server room")


def reindex(args) -> dict[str, float]:
    from django.db import connection

    from psa.models import SearchEntry
    from psa.search import index, registered
    from tickets.models import Ticket

    timings = {}
    complete = SearchEntry.objects.filter(kind="ticket").count() == Ticket.objects.count()
    if complete and not args.reindex:
        return timings
    for searchable in registered():
        started = time.perf_counter()
        count = index.rebuild(searchable, batch=1000)
        timings[f"index {count:,} {searchable.kind}"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO psa_search_fts(psa_search_fts) VALUES ('optimize')")
    timings["ANALYZE (and FTS5 optimize)"] = time.perf_counter() - started
    return timings


# --- floors: one hand-written query through the driver, orjson ------------------------------------------------


def _raw():
    from django.db import connection

    connection.ensure_connection()
    return connection.connection, connection.vendor


def ticket_floor(query: str):
    """The page of /tickets/search: the index query joined to the tickets and their clients."""
    import orjson

    from psa.search import lookup
    from psa.search import text as t

    parsed = t.parse(query)
    raw, vendor = _raw()
    columns = "t.id, t.ticket_number, t.title, t.entered_at, t.updated_at, t.is_closed, c.name"
    if vendor == "postgresql":  # the app's query shape: the newest entries in order, GIN for older ones
        found, values = lookup._newest_first_postgresql(
            "ticket", "e.document @@ websearch_to_tsquery('simple', %s)", [parsed.websearch()],
            "e.kind = %s AND e.is_active", ["ticket"], 25, 0,
        )  # fmt: skip
        sql = (
            f"SELECT {columns} FROM ({found}) e JOIN tickets_ticket t ON t.id = e.object_id "
            "JOIN clients_client c ON c.id = t.client_id ORDER BY e.id DESC"
        )
        params = tuple(values)
    else:
        sql = (
            f"SELECT {columns} FROM psa_search_fts f JOIN psa_searchentry e ON e.id = f.rowid "
            "JOIN tickets_ticket t ON t.id = e.object_id JOIN clients_client c ON c.id = t.client_id "
            "WHERE psa_search_fts MATCH ? AND e.is_active ORDER BY f.rowid DESC LIMIT 25"
        )
        params = ('{kind} : "ticket" AND ' + parsed.fts5(("words_a", "words_b", "words_c", "words_d")),)

    def run():
        cursor = raw.cursor()
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor.close()
        return orjson.dumps({"data": rows}, default=str)

    return run


def global_floor(query: str, kinds: list[str]):
    """The global search's groups: one index query per type, ten rows each."""
    import orjson

    from psa.search import lookup
    from psa.search import text as t

    parsed = t.parse(query)
    raw, vendor = _raw()
    if vendor == "postgresql":
        queries = []
        for kind in kinds:
            found, values = lookup._newest_first_postgresql(
                kind, "e.document @@ websearch_to_tsquery('simple', %s)", [parsed.websearch()], "e.kind = %s",
                [kind], 10, 0,
            )  # fmt: skip
            queries.append((f"SELECT e.object_id, e.title, e.client_id FROM ({found}) e", tuple(values)))
    else:
        sql = (
            "SELECT e.object_id, e.title, e.client_id FROM psa_search_fts f JOIN psa_searchentry e "
            "ON e.id = f.rowid WHERE psa_search_fts MATCH ? ORDER BY f.rowid DESC LIMIT 10"
        )
        columns = ("words_a", "words_b", "words_c", "words_d")
        queries = [(sql, (f'{{kind}} : "{kind}" AND ' + parsed.fts5(columns),)) for kind in kinds]

    def run():
        groups = []
        cursor = raw.cursor()
        for sql, values in queries:
            cursor.execute(sql, values)
            groups.append([{"id": r[0], "title": r[1], "client_id": r[2]} for r in cursor.fetchall()])
        cursor.close()
        return orjson.dumps({"data": groups}, default=str)

    return run


def user_floor(user_id):
    import orjson

    raw, vendor = _raw()
    mark = "%s" if vendor == "postgresql" else "?"
    sql = f"SELECT id, login, email, name FROM accounts_user WHERE id = {mark}"
    value = user_id if vendor == "postgresql" else user_id.hex

    def run():
        cursor = raw.cursor()
        cursor.execute(sql, (value,))
        row = cursor.fetchone()
        cursor.close()
        return orjson.dumps({"data": row}, default=str)

    return run


def ticket_list_floor():
    import orjson

    raw, _vendor = _raw()
    sql = (
        "SELECT t.id, t.ticket_number, t.title, t.entered_at, t.updated_at, t.is_closed, c.name FROM tickets_ticket t "
        "JOIN clients_client c ON c.id = t.client_id WHERE NOT t.is_closed ORDER BY t.entered_at DESC LIMIT 25"
    )

    def run():
        cursor = raw.cursor()
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor.close()
        return orjson.dumps({"data": rows}, default=str)

    return run


def bench(args) -> list[tuple]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import ApiKey, User
    from psa.search import registered
    from tickets.models import Ticket

    tech = User.objects.get(login="bench-tech-0")
    tech.permissions = ["*"]
    tech.save(update_fields=["permissions"])
    _, plaintext = ApiKey.issue(tech, "bench search", datetime.now(UTC) + timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    number = Ticket.objects.order_by("number_sequence").values_list("ticket_number", flat=True)[
        Ticket.objects.count() // 2
    ]
    kinds = [s.kind for s in registered()]
    cases = [
        ("common word", "/tickets/search query=network", "/api/v1/tickets/search", {"query": "network"},
         ticket_floor("network")),
        ("rare word", f"/tickets/search query={RARE_WORD}", "/api/v1/tickets/search", {"query": RARE_WORD},
         ticket_floor(RARE_WORD)),
        ("3-word phrase", '/tickets/search query="scanner to email"', "/api/v1/tickets/search",
         {"query": '"scanner to email"'}, ticket_floor('"scanner to email"')),
        ("3-word phrase", "/tickets/search query=vpn timeout restart", "/api/v1/tickets/search",
         {"query": "vpn timeout restart"}, ticket_floor("vpn timeout restart")),
        ("global search", "/search q=printer (11 types)", "/api/v1/search", {"q": "printer"},
         global_floor("printer", kinds)),
        ("global search", f"/search q={RARE_WORD}", "/api/v1/search", {"q": RARE_WORD},
         global_floor(RARE_WORD, kinds)),
        ("global search", "/search q=<ticket number>", "/api/v1/search", {"q": number},
         global_floor(number, kinds)),
        ("global search", "/search q=<MAC, dashes>", "/api/v1/search", {"q": "02-00-00-00-10-07"},
         global_floor("02-00-00-00-10-07", kinds)),
        # The fixed cost of any request on this machine (authentication, rate limit, middleware, rendering): the
        # part of each route above that is not search. Floors: the same lookups by hand.
        ("baseline", "baseline: /users/@me", "/api/v1/users/@me", {}, user_floor(tech.pk)),
        ("baseline", "baseline: /tickets limit=25 (same serializer)", "/api/v1/tickets", {"is_open": "true"},
         ticket_list_floor()),
    ]  # fmt: skip
    cases = [case for case in cases if args.only in case[1]]
    samples = {name: ([], []) for _, name, *_ in cases}
    queries, rows = {}, {}
    for _, name, url, params, floor in cases:  # warm-up, query count
        for _ in range(2):
            response = api.get(url, params)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
            floor()
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url, params)
        queries[name] = len(captured)
        data = response.json()["data"]
        rows[name] = (
            sum(len(g["results"]) for g in data)
            if url == "/api/v1/search"
            else len(data)
            if isinstance(data, list)
            else 1
        )
    for _ in range(args.runs):  # interleaved: route, floor, next route...
        for _, name, url, params, floor in cases:
            started = time.perf_counter()
            api.get(url, params)
            samples[name][0].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            floor()
            samples[name][1].append((time.perf_counter() - started) * 1000)
    return [(goal, name, *samples[name], queries[name], rows[name]) for goal, name, *_ in cases]


def main():
    args = parse_args()
    bench_tickets.setup_django()
    if args.regenerate:  # credentials protect their clients: the estate goes first
        from assets.models import Asset
        from credentials.models import Credential

        Credential.objects.all().delete()
        Asset.objects.all().delete()
    from django.db import connection

    from assets.models import Asset
    from clients.models import Client
    from credentials.models import Credential
    from tickets.models import Comment, Ticket

    timings = bench_tickets.generate(args)
    timings.update(generate_estate(args))
    plant_rare_word()
    timings.update(reindex(args))
    print(f"database: {connection.vendor}  ({connection.settings_dict['NAME']})")
    print(
        f"data: {Client.objects.count():,} clients, {Ticket.objects.count():,} tickets, "
        f"{Comment.objects.count():,} comments, {Asset.objects.count():,} assets, "
        f"{Credential.objects.count():,} credentials"
    )
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f} s")
    print(
        f"\n{'route':48} {'rows':>5} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'floor ms':>8} {'ratio':>6} {'goal':>6}"
    )
    for goal, name, route, floor, count, found in bench(args):
        p50, floor50 = statistics.median(route), statistics.median(floor)
        p95 = bench_tickets.percentile(route, 0.95)
        print(
            f"{name:48} {found:>5} {count:>7} {p50:>8.1f} {p95:>8.1f} {floor50:>8.1f} {p50 / floor50:>5.1f}x "
            f"{'≤' + str(GOALS_MS[goal]) if GOALS_MS[goal] else '-':>6}"
        )


if __name__ == "__main__":
    main()
