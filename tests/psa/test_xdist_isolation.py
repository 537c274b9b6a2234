"""The suite's worker processes each get data of their own (tests/xdist_isolation.py)."""

from pathlib import Path

from tests.xdist_isolation import contiguous_runs, isolate, worker_redis_url


def test_each_worker_moves_to_a_redis_database_of_its_own():
    assert worker_redis_url("redis://127.0.0.1:6379/0", 0) == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379/0", 1) == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://:pw@127.0.0.1:6379/2", 3) == "redis://:pw@127.0.0.1:6379/5"
    assert worker_redis_url("redis://127.0.0.1:6379", 1) == "redis://127.0.0.1:6379/1"
    # Database 15 is the fuzz run's: the numbers wrap before it.
    assert worker_redis_url("redis://127.0.0.1:6379/14", 1) == "redis://127.0.0.1:6379/0"


def test_a_worker_gets_a_data_directory_and_rate_limit_file_of_its_own(tmp_path):
    environ = {
        "PYTEST_XDIST_WORKER": "gw1",
        "PSA_DATA_DIR": str(tmp_path),
        "PSA_REDIS_URL": "redis://127.0.0.1:6379/0",
        "PSA_RATELIMIT_SQLITE_FILE": str(tmp_path / "limits.sqlite3"),
    }

    isolate(environ)

    assert Path(environ["PSA_DATA_DIR"]) == tmp_path / "gw1"
    assert environ["PSA_REDIS_URL"] == "redis://127.0.0.1:6379/1"
    assert environ["PSA_RATELIMIT_SQLITE_FILE"] == str(tmp_path / "limits.sqlite3.gw1")


def test_outside_xdist_nothing_changes(tmp_path):
    environ = {"PSA_DATA_DIR": str(tmp_path), "PSA_REDIS_URL": "redis://127.0.0.1:6379/0"}

    isolate(environ)

    assert environ == {"PSA_DATA_DIR": str(tmp_path), "PSA_REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_a_file_is_one_unit_per_run_of_its_tests_in_collection_order():
    collection = ["a.py::t1", "a.py::t2", "b.py::t1", "a.py::t3", "b.py::t2", "b.py::t3", "c.py::t1"]

    scopes = contiguous_runs(collection)

    assert [scopes[nodeid] for nodeid in collection] == [
        "a.py#1",
        "a.py#1",
        "b.py#1",
        "a.py#2",
        "b.py#2",
        "b.py#2",
        "c.py#1",
    ]
