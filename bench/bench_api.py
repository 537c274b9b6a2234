#!/usr/bin/env python
"""Benchmark the API on MSP-scale data: API-key authentication and the client and contact lists.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python bench/bench_api.py                    # SQLite in var/bench, Django test client
    .venv/bin/python bench/bench_api.py --http             # a real gunicorn on loopback, requests with httpx
    .venv/bin/python bench/bench_api.py --database-url postgres://psa@127.0.0.1/psa_bench

The data goes into its own database: ``PSA_DATA_DIR`` defaults to ``var/bench`` and ``PSA_DATABASE_URL`` and
``PSA_REDIS_URL`` from the environment are ignored unless given here (``--database-url``), so a benchmark never
writes into the database of ``make run`` or production. Generation is skipped when the data is already there
(``--regenerate`` starts again). The numbers are printed, never asserted: tests pin query counts, not times.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_KEY_DESCRIPTION = "bench measurement key"
ADJECTIVES = [
    "Northwind", "Blue", "Granite", "Cedar", "Harbor", "Summit", "Silver", "Maple", "Iron", "Coastal",
    "Pioneer", "Lakeside", "Redwood", "Falcon", "Golden", "Prairie", "Atlas", "Beacon", "Crescent", "Evergreen",
]  # fmt: skip
TRADES = ["Dental", "Legal", "Logistics", "Hotels", "Clinic", "Builders", "Accounting", "Foods", "Motors", "Realty"]
SUFFIXES = ["LLC", "Inc", "Group", "Partners", "Co", "Ltd"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jonas", "Kira", "Liam", "Mia", "Noah"]
LAST = ["Smith", "Jones", "Garcia", "Müller", "Rossi", "Tanaka", "Nguyen", "Kowalski", "Dubois", "Silva", "Khan"]
TITLES = ["Owner", "Office Manager", "IT Contact", "CFO", "Receptionist", "Operations", "Director"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(BASE_DIR / "var" / "bench"), help="PSA_DATA_DIR for the benchmark")
    parser.add_argument("--database-url", default="", help="a scratch database (default: SQLite in --data-dir)")
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=50000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per scenario")
    parser.add_argument("--regenerate", action="store_true", help="drop the generated data and generate it again")
    parser.add_argument("--http", action="store_true", help="measure through gunicorn and httpx, not the test client")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def configure_environment(args: argparse.Namespace) -> None:
    os.environ["PSA_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.pop("PSA_REDIS_URL", None)
    os.environ.pop("PSA_DATABASE_URL", None)
    if args.database_url:
        os.environ["PSA_DATABASE_URL"] = args.database_url
    os.environ["PSA_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["PSA_DEBUG"] = "0"
    os.environ.setdefault("PSA_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "psa.settings"


# --- data ------------------------------------------------------------------------------------------------


def generate(args: argparse.Namespace) -> dict[str, float]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import KEY_ID_LENGTH, ApiKey, Role, User, key_digest
    from clients.models import Client, Contact

    rng = random.Random(args.seed)
    timings: dict[str, float] = {}
    if args.regenerate:
        started = time.perf_counter()
        ApiKey.objects.all().delete()
        User.objects.filter(login__startswith="bench-").delete()
        Contact.objects.all().delete()
        Client.objects.all().delete()
        timings["delete old data"] = time.perf_counter() - started

    with transaction.atomic():
        have = Client.objects.count()
        if have < args.clients:
            started = time.perf_counter()
            types = [Client.Type.CUSTOMER] * 8 + [Client.Type.PROSPECT, Client.Type.PARTNER]
            batch = []
            for i in range(have, args.clients):
                name = f"{rng.choice(ADJECTIVES)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)} {i:05d}"
                batch.append(
                    Client(
                        name=name,
                        identifier=f"C{i:06d}",
                        type=rng.choice(types),
                        website=f"https://client{i}.example.com",
                        archived_at=timezone.now() if rng.random() < 0.1 else None,
                    )
                )
            Client.objects.bulk_create(batch, batch_size=1000)
            timings[f"create {len(batch)} clients"] = time.perf_counter() - started

        have = Contact.objects.count()
        if have < args.contacts:
            started = time.perf_counter()
            client_ids = list(Client.objects.order_by("identifier").values_list("id", flat=True))
            with_primary = set(Contact.objects.filter(is_primary=True).values_list("client_id", flat=True))
            batch = []
            for i in range(have, args.contacts):
                client_id = client_ids[i % len(client_ids)]
                first, last = rng.choice(FIRST), rng.choice(LAST)
                primary = client_id not in with_primary
                with_primary.add(client_id)
                batch.append(
                    Contact(
                        client_id=client_id,
                        first_name=first,
                        last_name=last,
                        email=f"{first.lower()}.{i}@client{i % len(client_ids)}.example.com",
                        phone=f"+1 555 {i % 10000:04d}",
                        title=rng.choice(TITLES),
                        is_primary=primary,
                        is_active=rng.random() > 0.05,
                    )
                )
            Contact.objects.bulk_create(batch, batch_size=2000)
            timings[f"create {len(batch)} contacts"] = time.perf_counter() - started

        have = User.objects.filter(login__startswith="bench-").count()
        if have < args.users:
            started = time.perf_counter()
            technician = Role.objects.get(moniker="technician")
            unusable = make_password(None)
            users = [
                User(
                    login=f"bench-{i:04d}", email=f"bench-{i:04d}@msp.example.com", name=f"Tech {i}", password=unusable
                )
                for i in range(have, args.users)
            ]
            User.objects.bulk_create(users, batch_size=1000)
            through = User.roles.through
            through.objects.bulk_create([through(user_id=u.pk, role_id=technician.pk) for u in users])
            some_clients = list(Client.objects.values_list("id", flat=True)[:50])
            scoped = User.allowed_clients.through
            scoped.objects.bulk_create(
                [scoped(user_id=u.pk, client_id=c) for u in users[::4] for c in rng.sample(some_clients, 10)]
            )
            timings[f"create {len(users)} users"] = time.perf_counter() - started

        have = ApiKey.objects.exclude(description=BENCH_KEY_DESCRIPTION).count()
        if have < args.keys:
            started = time.perf_counter()
            from django.conf import settings

            version = max(settings.API_KEY_PEPPERS)
            owners = list(User.objects.filter(login__startswith="bench-").values_list("id", flat=True))
            expires = timezone.now() + timedelta(days=300)
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            keys = [
                ApiKey(
                    owner_id=owners[i % len(owners)],
                    description=f"bench key {i}",
                    key_id="".join(secrets.choice(alphabet) for _ in range(KEY_ID_LENGTH)),
                    digest=key_digest(secrets.token_urlsafe(32), version),
                    pepper_version=version,
                    expires_at=expires,
                    is_active=i % 10 != 0,
                )
                for i in range(have, args.keys)
            ]
            ApiKey.objects.bulk_create(keys, batch_size=1000)
            timings[f"create {len(keys)} API keys"] = time.perf_counter() - started
    return timings


def measurement_keys() -> dict[str, str]:
    """Fresh keys for the measurement (plaintexts are never stored, so they are issued on every run)."""
    from django.utils import timezone

    from accounts.models import ApiKey, User
    from clients.models import Client

    ApiKey.objects.filter(description=BENCH_KEY_DESCRIPTION).delete()
    admin, _ = User.objects.get_or_create(login="bench-admin", defaults={"email": "bench-admin@msp.example.com"})
    admin.permissions = ["*"]
    admin.save(update_fields=["permissions"])
    tech = User.objects.filter(login__startswith="bench-0", allowed_clients__isnull=True).order_by("login").first()
    expires = timezone.now() + timedelta(days=30)
    _key, admin_key = ApiKey.issue(admin, BENCH_KEY_DESCRIPTION, expires)
    _key, tech_key = ApiKey.issue(tech, BENCH_KEY_DESCRIPTION, expires)
    ten = list(Client.objects.order_by("identifier")[:10])
    _key, scoped_key = ApiKey.issue(admin, BENCH_KEY_DESCRIPTION, expires, clients=ten)
    return {"admin": admin_key, "technician": tech_key, "scoped": scoped_key, "admin_login": admin.login}


# --- measuring -------------------------------------------------------------------------------------------


class Result:
    def __init__(
        self, name: str, samples: list[float], queries: int | None, rows: int | None, size: int, scale: float = 1000
    ) -> None:
        self.name, self.samples, self.queries, self.rows, self.size = name, samples, queries, rows, size
        self.scale = scale  # 1000: milliseconds, 1e6: microseconds

    def row(self) -> list[str]:
        ms = sorted(s * self.scale for s in self.samples)
        p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
        return [
            self.name,
            str(len(ms)),
            f"{statistics.median(ms):.2f}",
            f"{p95:.2f}",
            f"{statistics.fmean(ms):.2f}",
            "-" if self.queries is None else str(self.queries),
            "-" if self.rows is None else str(self.rows),
            f"{self.size / 1024:.1f}",
        ]


def print_table(title: str, results: list[Result], unit: str = "ms") -> None:
    header = ["scenario", "n", f"p50 {unit}", f"p95 {unit}", f"mean {unit}", "queries", "total rows", "KiB"]
    rows = [header] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row[1:], 1)]
        print("  " + "  ".join(cells))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


class TestClientRequester:
    """In-process requests through the whole middleware and DRF stack (no sockets)."""

    def __init__(self) -> None:
        from django.test import Client

        self.Client = Client

    def client(self, headers: dict[str, str] | None = None, login_user=None):
        client = self.Client(headers=headers or {})
        if login_user is not None:
            client.force_login(login_user)
        return client

    def get(self, client, path: str):
        response = client.get(path)
        return response.status_code, response.content


class HttpRequester:
    """A real gunicorn (one sync worker) on loopback; requests with a keep-alive httpx client."""

    def __init__(self, data_dir: str) -> None:
        import httpx

        self.httpx = httpx
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = open(Path(data_dir) / "bench-gunicorn.log", "ab")  # noqa: SIM115  (closed in stop())
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "psa.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
            ],
            cwd=BASE_DIR,
            env=dict(os.environ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    raise SystemExit("gunicorn exited; see bench-gunicorn.log") from None
                time.sleep(0.2)

    def client(self, headers: dict[str, str] | None = None, login_user=None):
        if login_user is not None:
            return None  # session logins are only measured with the test client
        return self.httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=headers or {}, timeout=30)

    def get(self, client, path: str):
        response = client.get(path)
        return response.status_code, response.content

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


def measure(requester, client, name: str, path: str, args, count_queries: bool) -> Result:
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(args.warmup):
        status, body = requester.get(client, path)
        if status != 200:
            raise SystemExit(f"{name}: GET {path} answered {status}: {body[:300]!r}")
    queries = None
    if count_queries:
        with CaptureQueriesContext(connection) as captured:
            requester.get(client, path)
        queries = len(captured)
    samples = []
    for _ in range(args.requests):
        started = time.perf_counter()
        status, body = requester.get(client, path)
        samples.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"{name}: GET {path} answered {status}: {body[:300]!r}")
    payload = json.loads(body)
    rows = payload.get("pagination", {}).get("total") if isinstance(payload, dict) else None
    return Result(name, samples, queries, rows, len(body))


def time_call(name: str, fn, n: int) -> Result:
    for _ in range(min(n, 20)):
        fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Result(name, samples, None, None, 0, scale=1e6)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import ApiKey, User
    from clients.models import Client, Contact

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    timings = generate(args)
    keys = measurement_keys()

    engine = connection.vendor
    print(
        f"PSA API benchmark: {engine} database, Python {sys.version.split()[0]}, {'gunicorn + httpx' if args.http else 'Django test client'}"
    )
    print(f"data dir {settings.DATA_DIR}")
    print(
        f"data: {Client.objects.count()} clients, {Contact.objects.count()} contacts, "
        f"{User.objects.count()} users, {ApiKey.objects.count()} API keys"
    )
    for what, seconds in timings.items():
        print(f"  generated: {what} in {seconds:.1f} s")
    print(f"  set-up total {time.perf_counter() - started:.1f} s; {args.requests} timed requests per scenario")

    # 1. The cost of checking a key, without HTTP.
    valid = keys["admin"]
    prefix, key_id, secret = valid.split("_", 2)
    wrong_secret = f"{prefix}_{key_id}_{'A' * len(secret)}"
    unknown_id = f"{prefix}_{'Z' * len(key_id)}_{secret}"
    auth_results = [
        time_call("ApiKey.authenticate: valid key", lambda: ApiKey.authenticate(valid), 1000),
        time_call("ApiKey.authenticate: wrong secret", lambda: ApiKey.authenticate(wrong_secret), 1000),
        time_call("ApiKey.authenticate: unknown key id", lambda: ApiKey.authenticate(unknown_id), 1000),
        time_call("ApiKey.authenticate: malformed", lambda: ApiKey.authenticate("not-a-key"), 1000),
    ]
    print_table("API-key check (per call, no HTTP: parse, one indexed query, HMAC-SHA256)", auth_results, "µs")

    requester = HttpRequester(str(settings.DATA_DIR)) if args.http else TestClientRequester()
    count_queries = not args.http
    try:
        admin_user = User.objects.get(login=keys["admin_login"])
        by_key = requester.client({"X-API-Key": keys["admin"]})
        by_bearer = requester.client({"Authorization": f"Bearer {keys['admin']}"})
        by_session = requester.client(login_user=admin_user)
        request_auth = [
            measure(requester, by_key, "GET /users/@me  X-API-Key", "/api/v1/users/@me", args, count_queries),
            measure(requester, by_bearer, "GET /users/@me  Bearer", "/api/v1/users/@me", args, count_queries),
        ]
        if by_session is not None:
            request_auth.append(
                measure(requester, by_session, "GET /users/@me  session", "/api/v1/users/@me", args, count_queries)
            )
        print_table("Authentication overhead per request (same endpoint, different credentials)", request_auth)

        some_client = Client.objects.order_by("identifier").values_list("id", flat=True)[len(ADJECTIVES)]
        scenarios = [
            ("clients limit=25", "/api/v1/clients"),
            ("clients limit=100", "/api/v1/clients?limit=100"),
            ("clients page=100 limit=25", "/api/v1/clients?page=100&limit=25"),
            ("clients is_active=true", "/api/v1/clients?is_active=true&limit=50"),
            ("clients type=partner", "/api/v1/clients?type=partner&limit=50"),
            ("clients search=dental", "/api/v1/clients?search=dental&limit=50"),
            ("clients sort=created_at desc", "/api/v1/clients?sort=created_at&order=desc&limit=100"),
            ("contacts limit=25", "/api/v1/contacts"),
            ("contacts limit=100", "/api/v1/contacts?limit=100"),
            ("contacts page=1000 limit=25", "/api/v1/contacts?page=1000&limit=25"),
            ("contacts client_id=<one>", f"/api/v1/contacts?client_id={some_client}"),
            ("contacts search=garcia", "/api/v1/contacts?search=garcia&limit=50"),
            ("contacts is_primary=true", "/api/v1/contacts?is_primary=true&limit=100"),
            ("contacts sort=email", "/api/v1/contacts?sort=email&limit=100"),
        ]
        list_results = [measure(requester, by_key, name, path, args, count_queries) for name, path in scenarios]
        print_table("List latency, admin key (all clients)", list_results)

        by_scoped = requester.client({"X-API-Key": keys["scoped"]})
        by_tech = requester.client({"X-API-Key": keys["technician"]})
        scoped_results = [
            measure(
                requester, by_scoped, "clients, key scoped to 10", "/api/v1/clients?limit=100", args, count_queries
            ),
            measure(
                requester, by_scoped, "contacts, key scoped to 10", "/api/v1/contacts?limit=100", args, count_queries
            ),
            measure(requester, by_tech, "contacts, technician role", "/api/v1/contacts?limit=100", args, count_queries),
            measure(
                requester, by_scoped, "contacts search, scoped", "/api/v1/contacts?search=garcia", args, count_queries
            ),
        ]
        print_table("List latency, scoped and role-based callers", scoped_results)
    finally:
        if isinstance(requester, HttpRequester):
            requester.stop()
        ApiKey.objects.filter(description=BENCH_KEY_DESCRIPTION).delete()


if __name__ == "__main__":
    arguments = parse_args()
    configure_environment(arguments)
    run(arguments)
