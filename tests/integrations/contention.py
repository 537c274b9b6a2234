"""Real contention for the sync tests: a second connection takes the lock a batch needs just before it writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

_RECORDS = 'FROM "integrations_externalrecord"'


class OtherWriter:
    """A second connection that takes the lock a batch needs once the batch has looked up its stored records (so
    just before its write transaction), and lets it go when told, or when the run's own row is saved at its end.

    SQLite: its one write lock (``BEGIN IMMEDIATE``); PostgreSQL: a SHARE lock on ``table``, which writes of its
    rows must wait for."""

    def __init__(self, table: str = "clients_client") -> None:
        self.table = table
        self.other: Any = None
        self.refusals = 0

    def take(self) -> None:
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.other = sqlite3.connect(settings["NAME"], isolation_level=None)
            self.other.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.other = psycopg.connect(
                host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                password=settings["PASSWORD"], dbname=settings["NAME"],
            )  # fmt: skip
            self.other.execute(f"LOCK TABLE {self.table} IN SHARE MODE")

    def release(self) -> None:
        if self.other is not None:
            self.other.rollback()
            self.other.close()
            self.other = None

    def around(self, job: Callable[[], Any]) -> Any:
        """Run ``job`` with this writer watching the job's statements; the lock is let go whatever happens."""
        try:
            with connection.execute_wrapper(self):
                return job()
        finally:
            self.release()

    def __call__(self, execute, sql, params, many, context):
        if self.other is None and self.refusals == 0 and sql.startswith("SELECT") and _RECORDS in sql:
            self.take()  # the batch's look-up of its stored records: its write transaction comes next
        if self.other is not None and sql.startswith('UPDATE "integrations_syncrun"'):
            self.release()  # the run records its end: nothing more to refuse
        try:
            return execute(sql, params, many, context)
        except Exception:
            if self.other is not None:
                self.refusals += 1
            raise


@pytest.fixture
def no_wait():
    """The job's connection gives up at once on a held lock (SQLite waits 10 s by default)."""
    statement, usual = (
        ("PRAGMA busy_timeout = 0", "PRAGMA busy_timeout = 10000")
        if connection.vendor == "sqlite"
        else ("SET lock_timeout = '50ms'", "RESET lock_timeout")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute(usual)
