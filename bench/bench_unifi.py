#!/usr/bin/env python
"""Benchmark the UniFi sync against the simulator (in-process, through httpx's WSGI transport).

Usage (from the repository root)::

    .venv/bin/python bench/bench_unifi.py                      # SQLite in var/bench-unifi
    .venv/bin/python bench/bench_unifi.py --database-url postgres://psa@127.0.0.1/psa_bench_unifi

On a freshly flushed database (``PSA_DATA_DIR`` defaults to ``var/bench-unifi``): a UniFi OS simulator with
200 sites and 5,000 devices; every site is linked to a client of its own after the sites job, so each device is
upserted onto an asset.

1. first sync (sites, then devices): records/s;
2. the same sync again with nothing changed: the rows written (statements that change data, bookkeeping excluded);
3. the same sync again after the session expired: one more login, still nothing written.

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

JOBS = ["unifi.sites", "unifi.devices"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(BASE_DIR / "var" / "bench-unifi"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--devices-per-site", type=int, default=25)
    return parser.parse_args()


def make_source():
    from integrations import secrets as source_secrets
    from integrations.models import Source
    from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME

    source = Source.objects.create(kind="unifi", name="Bench UniFi", base_url="http://unifi.bench",
                                   settings={"username": DEMO_USERNAME})  # fmt: skip
    source_secrets.store(source, {"password": DEMO_PASSWORD})
    return source


def make_client(simulator):
    import httpx

    from integrations.http import RetryPolicy
    from integrations.unifi.client import UnifiClient
    from integrations.unifi.simulator import DEMO_PASSWORD, DEMO_USERNAME

    return UnifiClient("http://unifi.bench", username=DEMO_USERNAME, password=DEMO_PASSWORD,
                       transport=httpx.WSGITransport(app=simulator), retry=RetryPolicy(attempts=3))  # fmt: skip


def run(source, client, jobs=JOBS) -> tuple[list, float, float]:
    from integrations.sync import run_job

    started, cpu = time.perf_counter(), time.process_time()
    runs = [run_job(source, job, client=client) for job in jobs]
    return runs, time.perf_counter() - started, time.process_time() - cpu


def describe(runs) -> str:
    return ", ".join(f"{r.job.split('.')[1]}={r.status}(+{r.created} ~{r.updated} ={r.unchanged} !{r.failed})"
                     for r in runs)  # fmt: skip


def main() -> None:
    args = parse_args()
    from bench_connectwise import configure, counting, fresh_database

    configure(args)
    from django.db import connection

    from assets.models import Asset, AssetInterface
    from clients.models import Client
    from integrations.unifi.models import UnifiDevice, UnifiSite
    from integrations.unifi.simulator import UnifiSimulator

    names = [f"Bench customer {i:03d}" for i in range(args.sites)]
    simulator = UnifiSimulator("unifi_os", sites=args.sites, devices_per_site=args.devices_per_site, site_names=names)
    devices = sum(len(site.devices) for site in simulator.sites.values())
    print(f"database: {connection.vendor}; {args.sites} sites, {devices} devices")
    fresh_database()
    source, client = make_source(), make_client(simulator)

    with counting() as first_writes:
        sites_run, site_seconds, site_cpu = run(source, client, ["unifi.sites"])
        clients = Client.objects.bulk_create([Client(name=name) for name in names])
        by_name = {c.name: c for c in clients}
        tracked = list(UnifiSite.objects.filter(source=source))
        for site in tracked:
            site.client = by_name[site.name]
        UnifiSite.objects.bulk_update(tracked, ["client"])
        device_run, device_seconds, device_cpu = run(source, client, ["unifi.devices"])
    records = args.sites + devices
    seconds, cpu = site_seconds + device_seconds, site_cpu + device_cpu
    print(f"1. first sync: {records} records in {seconds:.1f} s = {records / seconds:,.0f} records/s "
          f"(devices alone {devices / device_seconds:,.0f}/s; CPU {cpu:.1f} s = {records / cpu:,.0f} records per CPU "
          f"second, simulator included); {first_writes.writes} write statements; "
          f"{len(simulator.requests)} requests, {simulator.logins} login")  # fmt: skip
    print(f"   {describe(sites_run + device_run)}")
    print(f"   local rows: sites {UnifiSite.objects.count()}, devices {UnifiDevice.objects.count()}, "
          f"assets {Asset.objects.count()}, interfaces {AssetInterface.objects.count()}")  # fmt: skip

    with counting() as again:
        runs, seconds, cpu = run(source, client)
    print(f"2. re-sync, nothing changed: {again.writes} rows written; {records} records compared in {seconds:.1f} s "
          f"({records / seconds:,.0f}/s); {describe(runs)}")  # fmt: skip

    simulator.expire_sessions()
    with counting() as expired:
        runs, seconds, cpu = run(source, client)
    print(f"3. re-sync after the session expired: {expired.writes} rows written, logins now {simulator.logins}; "
          f"{describe(runs)}")  # fmt: skip


if __name__ == "__main__":
    main()
