"""Database expressions the ORM lacks on both engines, a PostgreSQL planning aid, PostgreSQL's ``COPY`` through
Django's connection, contention recognised, and the triggers the application relies on checked."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import checks
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, CharField, IntegerField


class JoinedText(Aggregate):
    """The group's values joined by ``,`` (SQLite ``group_concat``, PostgreSQL ``string_agg``); NULL for no rows."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


class CountRows(Aggregate):
    """``COUNT(*)``, optionally ``FILTER (WHERE ...)`` (Django's ``Count("*")`` refuses a filter)."""

    function = "COUNT"
    name = "CountRows"
    template = "%(function)s(*)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, filter=None, **extra):
        super().__init__(filter=filter, **extra)


def joins_in_written_order(execute, sql, params, many, context):
    """An execute wrapper (``connection.execute_wrapper``) that has PostgreSQL join in the order written.

    A page of rows with their eight or so relations: PostgreSQL spends longer weighing every join order (3-45 ms)
    than running the join (under 1 ms, each relation found by its key from a page of ids), and past
    ``join_collapse_limit`` relations it keeps a semi-join where it was written, after every other join. Joined in
    the order written, from the page's rows outwards, it plans in under 1 ms; only the plan changes, never the rows.

    The setting goes in the same message as the query (``SET LOCAL ...; SELECT ...``): the statements of one message
    are one transaction, so the setting holds for this query alone and costs no round trip of its own. Inside a
    transaction a ``SET LOCAL`` would hold to the transaction's end, so there the same message sets it back.
    """
    if many:
        return execute(sql, params, many, context)
    restore = _RESTORE_JOIN_ORDER if context["connection"].in_atomic_block else ""
    result = execute(f"{JOINS_IN_WRITTEN_ORDER}{sql}{restore}", params, many, context)
    context["cursor"].nextset()  # the query's rows follow the setting's empty result
    return result


JOINS_IN_WRITTEN_ORDER = "SET LOCAL join_collapse_limit = 1; "
_RESTORE_JOIN_ORDER = "; SET LOCAL join_collapse_limit = DEFAULT"


# SQLSTATEs with which PostgreSQL settles contention between transactions (serialization failure, deadlock, lock
# timeout): the statement was undone and the same request may simply be sent again.
_CONTENTION_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY = ("database is locked", "database table is locked")


def is_contention(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the database refusing a statement because another transaction held what it needed, or an
    error raised from that (``raise ... from``: a sync batch that stayed refused through its retries)."""
    for _ in range(4):  # the chain of causes is short; a loop in it must not hang
        if exc is None:
            return False
        if isinstance(exc, OperationalError) and (
            getattr(exc.__cause__, "sqlstate", None) in _CONTENTION_STATES or str(exc).startswith(_SQLITE_BUSY)
        ):
            return True
        exc = exc.__cause__
    return False


# --- triggers the application relies on ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequiredTrigger:
    """A trigger a migration created and the application relies on (the ticket counters, the search index's FTS5
    tables). Django rebuilds a SQLite table for many schema changes (a new NOT NULL column, an altered field),
    copying its rows into a new table and dropping the old one, and the old table's triggers go with it, silently:
    counts and search would then drift from the rows. Declaring them lets ``migrate`` and ``check --database``
    say so instead."""

    name: str
    table: str
    vendor: str
    migration: tuple[str, str]  # (app label, migration name) that creates it: before it is applied, none is due


_REQUIRED_TRIGGERS: dict[tuple[str, str], RequiredTrigger] = {}


def require_triggers(migration: tuple[str, str], vendor: str, table: str, names: Iterable[str]) -> None:
    """Declare that ``migration`` creates the triggers ``names`` on ``table`` on ``vendor``'s databases."""
    for name in names:
        _REQUIRED_TRIGGERS[(vendor, name)] = RequiredTrigger(name, table, vendor, migration)


def missing_triggers(connection: BaseDatabaseWrapper) -> list[RequiredTrigger]:
    """The declared triggers of this database's engine whose migration is applied but which are not there."""
    due = [t for t in _REQUIRED_TRIGGERS.values() if t.vendor == connection.vendor]
    if not due:
        return []
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder(connection).applied_migrations()
    due = [t for t in due if t.migration in applied]
    if not due:
        return []
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if connection.vendor == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        present = {row[0] for row in cursor.fetchall()}
    return [t for t in due if t.name not in present]


def missing_triggers_message(missing: list[RequiredTrigger]) -> str:
    names = ", ".join(f"{t.name} (on {t.table}, from {t.migration[0]}.{t.migration[1]})" for t in missing)
    return (
        f"Database triggers the application relies on are missing: {names}. A migration that rebuilt the table "
        "drops them on SQLite; the migration that rebuilds it must create them again (as the listed one does)."
    )


def verify_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """After ``migrate`` (its ``post_migrate`` signal): fail loudly when a declared trigger is missing."""
    missing = missing_triggers(connections[using])
    if missing:
        raise CommandError(missing_triggers_message(missing))


def check_triggers(databases: Iterable[str] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The same as a system check (``manage.py check --database default``)."""
    errors = []
    for alias in databases or ():
        missing = missing_triggers(connections[alias])
        if missing:
            errors.append(checks.Error(missing_triggers_message(missing), id="psa.E010"))
    return errors


def copy_rows(connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: ``COPY table (columns) FROM STDIN`` (names already quoted), the rows adapted by psycopg's C dumpers.
    Django's cursor binds on the client, so its ``executemany`` built and quoted every row's statement in Python: most
    of a first sync's write time. The statement goes through the connection's execute wrappers and query log like
    any other, and its errors are Django's."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"

    def execute(sql: str, params: Sequence[Sequence[Any]], many: bool, context: dict) -> None:
        with context["cursor"].cursor.copy(sql) as copy:
            for row in params:
                copy.write_row(row)

    with connection.cursor() as cursor:
        executor = execute
        for wrapper in reversed(connection.execute_wrappers):
            executor = functools.partial(wrapper, executor)
        started = time.monotonic()
        with connection.wrap_database_errors:
            executor(sql, rows, True, {"connection": connection, "cursor": cursor})
        if connection.queries_logged:
            duration = time.monotonic() - started
            connection.queries_log.append({"sql": f"{sql} ({len(rows)} rows)", "time": f"{duration:.3f}"})
