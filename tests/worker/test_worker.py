"""Background jobs through a real broker and a real ``celery -A psa worker`` (and ``celery -A psa beat``).

The broker is whatever the settings pick: kombu's filesystem transport under ``PSA_DATA_DIR`` by default,
Redis when ``PSA_REDIS_URL`` is set. The worker is a subprocess with this process's environment, pointed at
the test database, consuming a queue of its own. Nothing here is skipped: if a worker cannot run, these
tests fail and say why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from psa.celery import app
from psa.models import JobRun
from psa.tasks import heartbeat

pytestmark = pytest.mark.worker

WAIT_SECONDS = 60
HEARTBEAT = "psa.tasks.heartbeat"


@dataclass
class Processes:
    queue: str
    env: dict[str, str]
    log_dir: Path
    procs: list[tuple[str, subprocess.Popen]]

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "psa", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def logs(self) -> str:
        parts = []
        for name, _proc in self.procs:
            text = (self.log_dir / f"{name}.log").read_text(errors="replace")
            parts.append(f"----- {name} log (last 3000 characters) -----\n{text[-3000:]}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                pytest.fail(f"celery {name} exited with status {proc.returncode}\n{self.logs()}")

    def stop(self) -> None:
        for _name, proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """Start and stop Celery processes that share this test's database and a queue of its own."""
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "PSA_CELERY_EAGER is set: these tests need a real broker"
    queue = f"psa-test-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.worker.settings",
        PSA_DATA_DIR=str(settings.DATA_DIR),
        PSA_TEST_WORKER_DATABASE=str(connection.settings_dict["NAME"]),
        PSA_TEST_WORKER_QUEUE=queue,
        PSA_TEST_WORKER_BEAT_SCHEDULE=str(tmp_path / "celerybeat-schedule"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("PSA_CELERY_EAGER", None)
    processes = Processes(queue=queue, env=env, log_dir=tmp_path, procs=[])
    try:
        yield processes
    finally:
        processes.stop()
        _drop_queue(queue)


def _drop_queue(queue: str) -> None:
    """Best effort: leave nothing of the test's queue in the broker."""
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:
        pass
    if not settings.REDIS_URL:
        control = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"])
        (control / f"{queue}.exchange").unlink(missing_ok=True)


def _start_worker(processes: Processes) -> subprocess.Popen:
    return processes.start(
        "worker",
        "worker",
        "--pool",
        "solo",
        "--queues",
        processes.queue,
        "--hostname",
        f"{processes.queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    )


def _wait_for(processes: Processes, condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        processes.check_alive()
        time.sleep(0.25)
    pytest.fail(f"no {what} within {WAIT_SECONDS} s\n{processes.logs()}")


def test_heartbeat_runs_on_a_real_worker(celery_processes):
    _start_worker(celery_processes)

    sent = heartbeat.apply_async(queue=celery_processes.queue)

    def finished():
        run = JobRun.objects.filter(task_id=sent.id).first()
        return run if run is not None and run.status in (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED) else None

    run = _wait_for(celery_processes, finished, f"finished JobRun for task {sent.id}")
    assert run.status == JobRun.Status.SUCCEEDED, f"{run.error}\n{celery_processes.logs()}"
    assert run.task_name == HEARTBEAT
    assert run.hostname.startswith(celery_processes.queue), "the run was not taken by this test's worker"
    assert run.started_at is not None and run.finished_at is not None
    assert run.started_at <= run.finished_at
    assert run.duration_ms is not None and run.duration_ms >= 0
    assert set(run.result) == {"at", "pruned"}
    assert run.result["pruned"] == 0
    assert run.error == ""


def test_beat_schedules_the_heartbeat_onto_a_real_worker(celery_processes):
    """Beat itself, not the test, sends the heartbeat; the worker runs it."""
    celery_processes.env["PSA_HEARTBEAT_INTERVAL"] = "1"
    _start_worker(celery_processes)
    celery_processes.start("beat", "beat", "--loglevel", "INFO", "--max-interval", "1")

    def succeeded():
        return JobRun.objects.filter(task_name=HEARTBEAT, status=JobRun.Status.SUCCEEDED).first()

    run = _wait_for(celery_processes, succeeded, "heartbeat sent by beat")
    assert run.hostname.startswith(celery_processes.queue)
    assert run.result["pruned"] == 0


def test_beat_schedule_has_the_heartbeat_with_an_expiry():
    entry = app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == HEARTBEAT
    assert entry["schedule"] == settings.HEARTBEAT_INTERVAL > 0
    expires = entry["options"]["expires"]
    # A heartbeat nobody ran before the next one is due is dropped rather than piling up.
    assert 0 < expires <= max(settings.HEARTBEAT_INTERVAL, 5)
    app.loader.import_default_modules()
    assert HEARTBEAT in app.tasks


def test_broker_is_the_configured_one():
    """Filesystem transport without PSA_REDIS_URL, Redis with it; never eager, never the default amqp."""
    if settings.REDIS_URL:
        assert app.conf.broker_url == settings.REDIS_URL
    else:
        assert app.conf.broker_url == "filesystem://"
        options = app.conf.broker_transport_options
        for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            path = Path(options[folder])
            assert path.is_dir(), folder
            assert Path(settings.DATA_DIR) in path.parents, f"{folder} lies outside PSA_DATA_DIR"
    assert app.conf.task_always_eager is False
