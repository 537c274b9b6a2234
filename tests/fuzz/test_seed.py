"""The fuzz run's seed process (tests/fuzz/seed.py) and how the runner holds it (tests/fuzz/run_schemathesis.py)."""

from __future__ import annotations

import io
import sys
import urllib.request

import pytest

from integrations.models import Source
from tests.fuzz import run_schemathesis, seed
from tests.hudu.conftest import make_hudu_source
from tests.integrations.conftest import make_source
from tests.integrations.live_sim import shared_simulator

CHILD = """
import sys
print("seeding", flush=True)
print("READY", flush=True)
sys.stdin.read()
open(sys.argv[1], "w").write("stopped")
"""


def test_the_runner_waits_for_ready_and_stops_the_seed_by_closing_its_input(tmp_path, capsys):
    marker = tmp_path / "stopped"
    seeder = run_schemathesis.Seeder([sys.executable, "-c", CHILD, str(marker)], {}, tmp_path / "seed.log")

    seeder.wait_ready()
    assert seeder.process.poll() is None  # still serving
    assert capsys.readouterr().out == "seeding\n"  # what came before READY is passed on
    seeder.stop()

    assert seeder.process.returncode == 0
    assert marker.read_text() == "stopped"


def test_a_seed_that_exits_before_ready_fails_the_run(tmp_path):
    seeder = run_schemathesis.Seeder([sys.executable, "-c", "raise SystemExit(3)"], {}, tmp_path / "seed.log")

    with pytest.raises(SystemExit, match="status 3"):
        seeder.wait_ready()
    seeder.stop()


def test_the_seed_serves_until_its_input_closes(capsys):
    seed.serve_until_stdin_closes(io.StringIO(""))

    assert capsys.readouterr().out == "READY\n"


@pytest.mark.django_db
def test_sources_left_on_a_closed_port_are_pointed_at_a_live_simulator_of_their_kind():
    closed_cw = make_source(seed.CLOSED_PORT_URL, name="Closed CW")
    closed_hudu = make_hudu_source(seed.CLOSED_PORT_URL, name="Closed Hudu")
    elsewhere = make_source("http://127.0.0.1:8011", name="Elsewhere CW")

    urls = seed.point_sources_at_simulators("http://127.0.0.1:4242")

    assert urls == {"connectwise": shared_simulator()[1], "hudu": "http://127.0.0.1:4242"}
    assert Source.objects.get(pk=closed_cw.pk).base_url == shared_simulator()[1]
    assert Source.objects.get(pk=closed_hudu.pk).base_url == "http://127.0.0.1:4242"
    assert Source.objects.get(pk=elsewhere.pk).base_url == "http://127.0.0.1:8011"


def test_the_hudu_simulator_answers_on_the_url_the_seed_gives():
    from integrations.hudu.simulator import DEMO_API_KEY

    url = seed.start_hudu_simulator()
    request = urllib.request.Request(f"{url}/api/v1/api_info", headers={"x-api-key": DEMO_API_KEY})

    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert url.startswith("http://127.0.0.1:")


def test_the_fuzz_server_gets_a_redis_database_of_its_own(monkeypatch):
    monkeypatch.delenv("PSA_FUZZ_REDIS_DB", raising=False)  # the default, whatever the caller's shell sets
    monkeypatch.setenv("PSA_REDIS_URL", "redis://:secret@127.0.0.1:6390/0")
    assert run_schemathesis.RedisDatabase().env() == {"PSA_REDIS_URL": "redis://:secret@127.0.0.1:6390/15"}
    monkeypatch.setenv("PSA_FUZZ_REDIS_DB", "9")
    assert run_schemathesis.RedisDatabase().env() == {"PSA_REDIS_URL": "redis://:secret@127.0.0.1:6390/9"}
    monkeypatch.delenv("PSA_REDIS_URL")
    without = run_schemathesis.RedisDatabase()
    assert without.env() == {}
    without.flush()  # nothing to empty: no server is asked
