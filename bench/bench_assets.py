"""Client-documentation benchmark: assets with interfaces at MSP scale, then the list, search, MAC lookup,
RMM upsert and expirations endpoints.

    .venv/bin/python bench/bench_assets.py                        # 2,000 clients, 100,000 assets and interfaces
    .venv/bin/python bench/bench_assets.py --assets 20000 --runs 10
    PSA_DATABASE_URL=postgres://... .venv/bin/python bench/bench_assets.py

Data goes to its own database (``$PSA_DATA_DIR``, default ``var/bench-assets``) and is generated only when it
holds fewer assets than asked for. Requests run in-process through Django's test client with an API key, so the
figures are the application's and the database's. Prints p50/p95/max; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PSA_DATA_DIR", str(ROOT / "var" / "bench-assets"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
os.environ["PSA_ALLOWED_HOSTS"] = "testserver,localhost"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args()


def mac_for(n: int) -> str:
    return "02:" + ":".join(f"{(n >> shift) & 255:02x}" for shift in (32, 24, 16, 8, 0))


def generate(args) -> None:
    from assets.models import Asset, AssetInterface
    from clients.models import Client

    if Asset.objects.count() >= args.assets:
        return
    rng = random.Random(args.seed)
    started = time.perf_counter()
    Client.objects.bulk_create(
        [Client(name=f"Bench client {i:05d}") for i in range(args.clients - Client.objects.count())], args.batch
    )
    clients = list(Client.objects.values_list("id", flat=True))
    types = [choice for choice, _ in Asset.Type.choices]
    today = date.today()
    for start in range(Asset.objects.count(), args.assets, args.batch):
        batch = [
            Asset(
                client_id=rng.choice(clients),
                name=f"PC-{n:06d}",
                type=rng.choice(types),
                serial=f"SN{n:08d}",
                warranty_expires=today + timedelta(days=rng.randint(-200, 1500)),
            )
            for n in range(start, min(start + args.batch, args.assets))
        ]
        Asset.objects.bulk_create(batch)
        AssetInterface.objects.bulk_create(
            AssetInterface(asset=asset, name="eth0", mac=mac_for(int(asset.serial[2:])), is_primary=True)
            for asset in batch
        )
    print(f"generated {args.assets:,} assets in {time.perf_counter() - started:.1f}s")


def timed(client, method: str, url: str, runs: int, **kwargs) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        samples.append((time.perf_counter() - begin) * 1000)
        assert response.status_code in (200, 201), (url, response.status_code, response.content[:200])
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], samples[-1]


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args)

    from django.utils import timezone
    from rest_framework.test import APIClient

    from accounts.models import ApiKey, User
    from clients.models import Client

    owner, _ = User.objects.get_or_create(login="bench-assets", defaults={"is_superuser": True})
    _, plaintext = ApiKey.issue(owner, "bench", timezone.now() + timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    client_id = str(Client.objects.order_by("name").values_list("id", flat=True).first())
    probe = args.assets // 2
    scenarios = [
        ("GET /assets (25)", "get", "/api/v1/assets", {}),
        ("GET /assets?limit=100", "get", "/api/v1/assets", {"data": {"limit": 100}}),
        ("GET /assets?client_id=", "get", "/api/v1/assets", {"data": {"client_id": client_id}}),
        ("GET /assets?mac=", "get", "/api/v1/assets", {"data": {"mac": mac_for(probe)}}),
        ("GET /assets?serial=", "get", "/api/v1/assets", {"data": {"serial": f"SN{probe:08d}"}}),
        ("GET /assets?search=PC-0500", "get", "/api/v1/assets", {"data": {"search": "PC-0500"}}),
        ("GET /expirations?within_days=30", "get", "/api/v1/expirations", {"data": {"within_days": 30}}),
        (
            "PUT /assets/upsert (existing)",
            "put",
            "/api/v1/assets/upsert",
            {"data": {"client_id": client_id, "serial": "SN-UPSERT", "os": "Windows 11"}, "format": "json"},
        ),
    ]
    print(f"{'scenario':38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, method, url, kwargs in scenarios:
        timed(api, method, url, 2, **kwargs)
        p50, p95, worst = timed(api, method, url, args.runs, **kwargs)
        print(f"{label:38} {p50:8.1f} {p95:8.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
