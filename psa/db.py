"""Database expressions the ORM lacks on both engines, a PostgreSQL planning aid, PostgreSQL's ``COPY`` through
Django's connection, and contention recognised."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any

from django.db import OperationalError
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


def is_contention(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a statement because another transaction held what it needed."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) in _CONTENTION_STATES:
        return True
    return str(exc).startswith(_SQLITE_BUSY)


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
