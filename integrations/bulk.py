"""Fast bulk writes for the sync engine: one prepared statement run with ``executemany`` (inserts on PostgreSQL:
``COPY``).

Why not ``bulk_create``/``bulk_update``: profiling the ConnectWise first sync showed most of its time in Django
compiling SQL, not in the database. ``bulk_create`` builds one ``INSERT ... VALUES (...), (...)`` per batch of
999 parameters on SQLite (about 60 rows of a 15-column table) and prepares every value through the compiler;
``bulk_update`` builds a ``CASE WHEN pk=... THEN ...`` per field over the whole batch. Here the statement is built
once per model, every value goes through its field's ``get_db_prep_save`` (so UUIDs, dates and JSON are stored
exactly as Django stores them), and the rows go to the driver's ``executemany`` (SQLite runs it in C; psycopg 3
pipelines it). Signals are not sent, as with ``bulk_create``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router
from django.db.models.expressions import RawSQL
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from psa.db import copy_rows

CHUNK = 2000  # rows per executemany call: bounds the memory of one call, not a parameter limit
# Field types whose Python values the drivers take as they are (no conversion by Django either).
_PLAIN = frozenset(
    {
        "CharField", "TextField", "SlugField", "EmailField", "URLField", "IntegerField", "BigIntegerField",
        "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
        "BooleanField", "FloatField",
    }
)  # fmt: skip


class JSONText(str):
    """A JSON field's value already serialized (the sync engine's canonical payload text): stored as it is, rather
    than decoded by nobody and encoded again by Django's ``json.dumps``."""


def _identity(text: str) -> str:
    return text


def _json_converter(field: models.Field, connection, copy: bool) -> Callable[[Any], Any]:
    prep = field.get_db_prep_save
    if copy:
        raw = str  # COPY reads every value as text: the JSON as it is
    elif connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        def raw(text: JSONText) -> Any:
            return Jsonb(text, dumps=_identity)

    elif connection.vendor == "sqlite":
        raw = str
    else:  # what other backends do with JSON is theirs to decide

        def raw(text: JSONText) -> Any:
            return prep(json.loads(text), connection)

    def convert(value: Any) -> Any:
        return raw(value) if type(value) is JSONText else prep(value, connection)

    return convert


def _uuid_converter(field: models.Field, connection, copy: bool) -> Callable[[Any], Any]:
    """UUIDs (and keys to UUID primary keys) without Django's per-value ``to_python``: the commonest column here.
    COPY takes them as text (32 hex digits), which psycopg's C dumpers write; its UUID dumper is Python."""
    prep = field.get_db_prep_save
    native = connection.features.has_native_uuid_field and not copy

    def convert(value: Any) -> Any:
        if type(value) is uuid.UUID:
            return value if native else value.hex
        return prep(value, connection)

    return convert


def _converter(field: models.Field, connection, copy: bool = False) -> Callable[[Any], Any] | None:
    """How a field's values are given to the driver; ``copy``: to PostgreSQL's ``COPY``, which reads each as text."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind in _PLAIN and not field.is_relation:
        return None
    if kind == "UUIDField":
        return _uuid_converter(field, connection, copy)
    if kind == "JSONField":
        return _json_converter(field, connection, copy)
    if kind == "GenericIPAddressField" and copy:
        # Django's value as text (an IPv6 address normalised, "" as NULL), read by the server's inet input, not
        # parsed again by ipaddress only to be written back as the same text.
        return lambda value: field.get_prep_value(value) or None
    prep = field.get_db_prep_save
    last: list = [object(), None]  # (value, converted): a batch repeats its timestamps, client and content type

    def convert(value: Any) -> Any:
        if value is last[0] or (type(value) is type(last[0]) and value == last[0]):
            return last[1]
        last[0], last[1] = value, prep(value, connection)
        return last[1]

    return convert


def _rows(objs: Iterable[Any], fields: Sequence[models.Field], connection, copy: bool = False) -> list[list]:
    attnames = [f.attname for f in fields]
    get = attrgetter(*attnames) if len(attnames) > 1 else (lambda obj: (getattr(obj, attnames[0]),))
    return _convert_rows([get(obj) for obj in objs], fields, connection, copy)


def _run(connection, sql: str, rows: list[list]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])


def insert(model: type[models.Model], objs: Sequence[models.Model], *, using: str | None = None) -> int:
    """Insert new rows; returns how many. Objects must carry their primary key (UUID defaults do) unless the key
    is generated by the database, in which case they do not learn it (use ``bulk_create`` when you need it)."""
    if not objs:
        return 0
    using = using or router.db_for_write(model)
    connection = connections[using]
    now = timezone.now()
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, AutoFieldMixin):
            continue
        fields.append(field)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:  # what pre_save(add=True) would do
                if getattr(field, "auto_now", False) or getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), [quote(f.column) for f in fields]
    if connection.vendor == "postgresql":
        copy_rows(connection, table, columns, _rows(objs, fields, connection, copy=True))
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(fields))})"
        _run(connection, sql, _rows(objs, fields, connection))
    for obj in objs:
        obj._state.adding, obj._state.db = False, using
    return len(objs)


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: dict[str, Any] | None = None,
    *,
    using: str | None = None,
) -> int:
    """Insert rows given as the values of ``names`` (attribute names), each row extended by ``constants`` (the same
    in every row, converted once): no model instance per row, for rows nobody reads back (a batch's new mirror
    records). Every concrete field but a database-generated key must be named; values are converted by their
    fields exactly as :func:`insert` converts them."""
    if not rows:
        return 0
    using = using or router.db_for_write(model)
    connection = connections[using]
    constants = constants or {}
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    fixed_fields = [by_name[name] for name in constants]
    expected = {f.attname for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))}
    if set(names) | set(constants) != expected or len(names) + len(constants) != len(expected):
        raise ValueError(f"insert_rows({model.__name__}) needs each of {sorted(expected)} once")
    copy = connection.vendor == "postgresql"
    fixed = _rows([_Values(constants)], fixed_fields, connection, copy)[0] if constants else []
    converted = _convert_rows(rows, fields, connection, copy)
    for row in converted:
        row.extend(fixed)
    quote = connection.ops.quote_name
    all_fields = [*fields, *fixed_fields]
    table, columns = quote(model._meta.db_table), [quote(f.column) for f in all_fields]
    if copy:
        copy_rows(connection, table, columns, converted)
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(all_fields))})"
        _run(connection, sql, converted)
    return len(converted)


class _Values:
    """Attribute access to a dict (the constants of :func:`insert_rows`, converted as an object's values)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _convert_rows(
    rows: Sequence[Sequence[Any]], fields: Sequence[models.Field], connection, copy: bool = False
) -> list[list]:
    converters = [(i, c) for i, c in enumerate(_converter(f, connection, copy) for f in fields) if c is not None]
    converted = []
    for values in rows:
        row = list(values)
        for i, convert in converters:
            value = row[i]
            if value is not None:
                row[i] = convert(value)
        converted.append(row)
    return converted


def update(
    model: type[models.Model], objs: Sequence[models.Model], names: Iterable[str], *, using: str | None = None
) -> int:
    """``UPDATE ... SET <names> WHERE pk = %s`` for each object; returns how many objects were sent."""
    if not objs:
        return 0
    using = using or router.db_for_write(model)
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in names]
    fields = [f for f in fields if f.concrete and not f.primary_key]
    if not fields:
        return 0
    pk = model._meta.pk
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields), quote(pk.column)
    )
    _run(connection, sql, _rows(objs, [*fields, pk], connection))
    return len(objs)


def among(model: type[models.Model], name: str, values: Iterable[str]) -> RawSQL | models.Q:
    """A filter for ``name__in=values`` on a text column, with the values as one parameter (PostgreSQL: an array,
    ``= ANY``; SQLite: a JSON array read by ``json_each``). Django's ``__in`` prepares and binds every value on its
    own: for the thousand external ids of a batch's look-ups, that was most of each query's cost."""
    values = [str(value) for value in values]
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(name).column)}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} = ANY(%s::text[])", [values], output_field=models.BooleanField())
    if connection.vendor == "sqlite":
        return RawSQL(f"{column} IN (SELECT value FROM json_each(%s))", [orjson.dumps(values).decode()],
                      output_field=models.BooleanField())  # fmt: skip
    return models.Q(**{f"{name}__in": values})


@contextmanager
def bulk_load(using: str | None = None) -> Iterator[None]:
    """The connection's settings for the many batch transactions of a sync job, restored when it ends.

    SQLite (WAL): the automatic checkpoint waits for ``PSA_INTEGRATIONS_SQLITE_CHECKPOINT_PAGES`` pages instead of
    1,000. A batch dirties more than 1,000 pages (the random UUID keys touch most leaves of their indexes), so every
    commit copied the whole log into the database and synced it: a tenth of a first sync's CPU time, more of its wall
    time. A longer log holds the pages that many batches rewrite once when it is copied. The job's last checkpoint is
    its own (passive), not the next request's. The page cache is ``PSA_INTEGRATIONS_SQLITE_CACHE_MB`` instead of
    2 MB: each batch's inserts land all over those indexes, and every page not cached was read again.

    PostgreSQL: ``synchronous_commit`` is off while the batches commit (``PSA_INTEGRATIONS_ASYNC_COMMIT``), so no
    batch waits for the log's flush. Nothing is put at risk but the last moments' batches on a server crash, and
    those are read again: the run's own final save is committed synchronously after this, which flushes every
    earlier commit before it, so the saved cursor never gets ahead of the stored rows."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    restore: Callable[[Any], None] | None = None
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA wal_autocheckpoint")
                pages = int(cursor.fetchone()[0])
                cursor.execute("PRAGMA cache_size")
                cache = int(cursor.fetchone()[0])
                if settings.INTEGRATIONS_SQLITE_CHECKPOINT_PAGES > 0:
                    cursor.execute(f"PRAGMA wal_autocheckpoint = {int(settings.INTEGRATIONS_SQLITE_CHECKPOINT_PAGES)}")
                if settings.INTEGRATIONS_SQLITE_CACHE_MB > 0:
                    cursor.execute(f"PRAGMA cache_size = {-1024 * int(settings.INTEGRATIONS_SQLITE_CACHE_MB)}")

                def restore(cursor: Any) -> None:
                    cursor.execute(f"PRAGMA cache_size = {cache}")
                    cursor.execute(f"PRAGMA wal_autocheckpoint = {pages}")
                    if not connection.in_atomic_block:  # a checkpoint cannot run inside a transaction
                        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")

            elif connection.vendor == "postgresql" and settings.INTEGRATIONS_ASYNC_COMMIT:
                cursor.execute("SELECT current_setting('synchronous_commit'), set_config('synchronous_commit', "
                               "'off', false)")  # fmt: skip
                before = cursor.fetchone()[0]

                def restore(cursor: Any) -> None:
                    cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [before])
    except DatabaseError:  # whatever fails here fails again in the job, where it is reported
        restore = None
    try:
        yield
    finally:
        if restore is not None:
            try:
                with connection.cursor() as cursor:
                    restore(cursor)
            except DatabaseError:  # a broken connection is closed and reopened with the defaults anyway
                pass
