"""The Hudu demo source of make run, and ``manage.py simulate hudu`` on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings

from integrations import secrets as source_secrets
from integrations.demo import ensure_demo_sources
from integrations.hudu.simulator import DEMO_API_KEY
from integrations.models import Source
from integrations.sync import run_job

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_adds_a_hudu_source_beside_connectwise(settings):
    settings.DEMO_HUDU_PORT = 8124
    assert "127.0.0.1:8124" in ensure_demo_sources()
    source = Source.objects.get(kind="hudu")
    assert source.is_demo and source.base_url == "http://127.0.0.1:8124"
    assert source_secrets.read(source) == {"api_key": DEMO_API_KEY}


def test_simulate_hudu_serves_loopback_and_the_demo_source_syncs_from_it():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "simulate", "hudu", "--port", str(port), "--companies", "3", "--assets", "6",
         "--passwords", "3", "--websites", "2"],
        cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/api/v1/api_info", headers={"x-api-key": DEMO_API_KEY}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        from integrations.hudu.demo import ensure_hudu_demo_source

        settings.DEMO_HUDU_PORT = port
        ensure_hudu_demo_source()
        source = Source.objects.get(kind="hudu")
        runs = [run_job(source, job) for job in ("hudu.companies", "hudu.layouts", "hudu.assets", "hudu.passwords")]
        assert [r.status for r in runs] == ["succeeded"] * 4, [(r.job, r.message) for r in runs]
        assert runs[2].created == 6 and runs[3].created == 3
    finally:
        process.terminate()
        process.wait(timeout=10)
