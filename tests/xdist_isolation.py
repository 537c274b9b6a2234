"""Data of its own for each pytest-xdist worker (loaded with ``-p tests.xdist_isolation``, before Django's settings).

``make test`` runs the suite in several worker processes. pytest-django already gives each one its own test database
(``…_gw0``); what lives outside the database is separated here, in the environment the settings read, so that it
also reaches the processes a test starts (Celery workers, simulators, live servers):

- ``PSA_DATA_DIR`` becomes ``<data dir>/<worker>``: the filesystem broker, the SQLite rate-limit file, documents,
  local secrets;
- ``PSA_REDIS_URL`` moves worker *n* to database *base + n* of the same server: the cache (caller cache, rate-limit
  counters) and the Celery broker.

Outside xdist (a plain ``pytest``) nothing changes.

The tests are handed out by ``RunsOfAFile`` (below), which keeps the order pytest-django gives them.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# The bounded schemathesis run keeps database 15 of the same server for itself (tests/fuzz/run_schemathesis.py).
REDIS_DATABASES = 15


def worker_redis_url(url: str, index: int) -> str:
    """The URL of database ``base + index`` on the same Redis server (``redis://h:p/2``, index 1: ``redis://h:p/3``)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    base = int(path) if path.isdigit() else 0
    database = (base + index) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{database}"))


def isolate(environ: os._Environ | dict[str, str]) -> None:
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    base_dir = environ.get("PSA_DATA_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    environ["PSA_DATA_DIR"] = str(Path(base_dir) / worker)
    if environ.get("PSA_RATELIMIT_SQLITE_FILE"):
        environ["PSA_RATELIMIT_SQLITE_FILE"] = f"{environ['PSA_RATELIMIT_SQLITE_FILE']}.{worker}"
    if environ.get("PSA_REDIS_URL"):
        environ["PSA_REDIS_URL"] = worker_redis_url(environ["PSA_REDIS_URL"], index)


def contiguous_runs(collection: list[str]) -> dict[str, str]:
    """Each test id's unit of work: its file and which run of that file's tests, in collection order, it is in."""
    scopes: dict[str, str] = {}
    runs: dict[str, int] = {}
    previous = None
    for nodeid in collection:
        path = nodeid.split("::", 1)[0]
        if path != previous:
            runs[path] = runs.get(path, 0) + 1
            previous = path
        scopes[nodeid] = f"{path}#{runs[path]}"
    return scopes


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class RunsOfAFile(LoadScopeScheduling):
        """Units of work are the runs of one file's tests in collection order, handed out in that order.

        pytest-django orders the collection: tests in a rolled-back transaction first, then transactional tests,
        whose flush empties the tables (the data migrations' boards, statuses and priorities with them), then tests
        without a database. A file with tests of two kinds is two units, and each worker takes its units in
        collection order, so, as in one process, no test runs on a database a transactional test has flushed unless
        it is transactional itself. (xdist's ``loadfile`` sends whole files, largest first.)
        """

        _scopes: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._scopes is None:
                self._scopes = contiguous_runs(self.collection)
            return self._scopes[nodeid]

    config.option.loadscopereorder = False
    return RunsOfAFile(config, log)


isolate(os.environ)
