"""The demo source of make run, and ``manage.py simulate connectwise``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command

from clients.models import Client
from integrations import secrets as source_secrets
from integrations.demo import DEMO_SOURCE_NAME, ensure_demo_sources
from integrations.models import Source
from integrations.sync import run_job
from tests.integrations.conftest import make_cw_client


@pytest.mark.django_db
def test_demo_source_is_created_once_and_marked(settings):
    settings.DEMO_CONNECTWISE_PORT = 8123
    assert "127.0.0.1:8123" in ensure_demo_sources()
    source = Source.objects.get(kind="connectwise")
    assert source.is_demo and source.name == DEMO_SOURCE_NAME and source.base_url == "http://127.0.0.1:8123"
    assert source_secrets.names_set(source) == ["private_key", "public_key"]
    assert ensure_demo_sources().startswith("kept")
    assert Source.objects.filter(kind="connectwise").count() == 1


@pytest.mark.django_db
def test_demo_integrations_can_be_turned_off(settings):
    settings.DEMO_INTEGRATIONS = False
    assert ensure_demo_sources().startswith("off")
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_a_database_in_use_gets_no_demo_source():
    assert ensure_demo_sources(fresh=False).startswith("kept")
    assert not Source.objects.exists() and not Client.objects.exists()


@pytest.mark.django_db
def test_bootstrap_demo_adds_the_source_and_its_sync_links_the_demo_clients(capsys):
    from integrations.connectwise.simulator import ConnectWiseSimulator
    from integrations.demo import DEMO_IDENTIFIERS

    call_command("bootstrap_demo")
    assert "Integrations:" in capsys.readouterr().out
    source = Source.objects.get(is_demo=True, kind="connectwise")
    simulator = ConnectWiseSimulator(identifiers=DEMO_IDENTIFIERS)
    run = run_job(source, "connectwise.companies", client=make_cw_client(simulator))
    assert run.status == "succeeded"
    acme = Client.objects.get(identifier="ACME")
    assert acme.cw_company_id == 101 and acme.notes == "Demo client created by make run."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_simulate_command_serves_connectwise_on_loopback():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "simulate", "connectwise", "--port", str(port), "--companies", "3"],
        cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = make_cw_client(None, base_url=f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                assert client.count("company/companies") == 3
                break
            except Exception:
                time.sleep(0.1)
        else:
            pytest.fail("the simulator did not answer")
        assert httpx.get(f"http://127.0.0.1:{port}/v4_6_release/apis/3.0/system/info").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_simulate_refuses_other_hosts():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="loopback"):
        call_command("simulate", "connectwise", "--host", "0.0.0.0")
