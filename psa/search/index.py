"""Writing the search index: one ``psa_searchentry`` row per object, kept in step on every save and delete.

The words are decided in Python (:mod:`psa.search.text`). On SQLite the row's ``words_*`` columns feed two FTS5 tables
that triggers keep in step (``psa_search_fts`` for words, ``psa_search_ids`` with the trigram tokenizer for
identifiers). On PostgreSQL the same words go into the ``document`` column as a ``tsvector`` literal with their
positions and weights (GIN index), and ``identifiers`` has a pg_trgm index. Between two fields one position is
left empty (FTS5: a filler word), so a phrase never spans two fields on either engine.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from psa.db import copy_rows
from psa.search import GROUPS, Document, Searchable
from psa.search import text as t

RELATED_CHUNK = 500  # objects re-indexed per query after a related row's write (SQLite caps a query's parameters)
# Entries per statement, and the size of its JSON past which the next entry goes in another: they bound one
# statement's memory, not a parameter limit.
WRITE_CHUNK = 2000
WRITE_BYTES = 16 * 1024 * 1024
COLUMNS = ("kind", "object_id", "client_id", "is_active", "title", "identifiers", *(f"words_{g}" for g in GROUPS))


def row_of(searchable: Searchable, obj: Any, tsvector: bool | None = None) -> tuple[list, str] | None:
    """The column values of ``obj``'s entry and its tsvector literal (PostgreSQL only, else ""); None when it is
    not to be found."""
    document: Document | None = searchable.document(obj)
    if document is None:
        return None
    if tsvector is None:
        tsvector = connection.vendor == "postgresql"
    texts = document.texts
    found: list[tuple[str, list[list[str]]]] = []  # per group, the word lists of its fields that have words
    total = 0
    words = t.words
    for group, names in _layout_of(searchable):
        fields = []
        for name in names:
            value = texts.get(name)
            if value:  # most fields of a synced row are empty (notes, department)
                field_words = words(value)
                if field_words:
                    fields.append(field_words)
                    total += len(field_words)
        found.append((group, fields))
    # Most documents (a client, a contact, an asset) are far below the caps: no word can reach
    # MAX_POSITIONS_PER_WORD and no position MAX_POSITION (at most one empty position per word), so the words are
    # joined as they are. Only long documents (a ticket with its comments) take the word-by-word way.
    per_group, literal = (_short if total <= t.MAX_POSITIONS_PER_WORD else _capped)(found, tsvector)
    values = [
        searchable.kind,
        obj.pk,
        document.client_id,
        document.is_active,
        document.title[:300],
        t.identifiers_column(document.identifiers),
        *per_group,
    ]
    return [*values, {name: value for name, value in texts.items() if value}], literal


_LAYOUTS: dict[int, tuple[tuple, tuple]] = {}


def _layout_of(searchable: Searchable) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """:func:`_layout` of the searchable's fields, found by the tuple's identity: hashing its fields (frozen
    dataclasses) for the cache's key cost more per object than anything else in its entry but the words."""
    fields = searchable.fields
    cached = _LAYOUTS.get(id(fields))
    if cached is None or cached[0] is not fields:
        cached = _LAYOUTS[id(fields)] = (fields, _layout(fields))
    return cached[1]


@functools.lru_cache(maxsize=256)
def _layout(fields: tuple) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The field names of each group, in the groups' order (the order positions are given in)."""
    return tuple((g, tuple(f.name for f in fields if f.group == g)) for g in GROUPS)


def _short(found: list[tuple[str, list[list[str]]]], tsvector: bool) -> tuple[list[str], str]:
    """The ``words_*`` columns and the tsvector literal of a document below every cap. The literal names a word once
    per position (``'a':1A 'a':3A``): PostgreSQL's input merges a word's positions into one lexeme, so the stored
    tsvector is the one that lists each word once, without a dictionary of positions per document here."""
    per_group = [f" {t.FILLER} ".join(" ".join(words) for words in fields) for _, fields in found]
    if not tsvector:
        return per_group, ""
    lexemes: list[str] = []
    position = 0
    for group, fields in found:
        weight = group.upper()
        for words in fields:
            if position:
                position += 1  # the empty position between two fields
            lexemes += [f"'{word}':{p}{weight}" for p, word in enumerate(words, position + 1)]
            position += len(words)
    return per_group, " ".join(lexemes)


def _capped(found: list[tuple[str, list[list[str]]]], tsvector: bool) -> tuple[list[str], str]:
    """The ``words_*`` columns and the tsvector literal, word by word within PostgreSQL's caps (positions per word,
    last position): what the index does not keep is a filler, so phrases never join across it on either engine."""
    per_group = []
    lexemes: dict[str, list[str]] = {}  # word: its weighted positions ("12B"), for the tsvector
    position = 0
    for group, fields in found:
        out: list[str] = []
        weight = group.upper()
        for words in fields:
            if position:
                position += 1  # the empty position between two fields
                if out:
                    out.append(t.FILLER)
            for word in words:
                position += 1
                if position > t.MAX_POSITION:
                    break
                seen = lexemes.get(word)
                if seen is None:
                    lexemes[word] = seen = []
                if len(seen) < t.MAX_POSITIONS_PER_WORD:
                    seen.append(f"{position}{weight}")
                    out.append(word)
                else:
                    out.append(t.FILLER)
        per_group.append(" ".join(out))
    return per_group, _literal(lexemes) if tsvector else ""


def _literal(lexemes: dict[str, list[str]]) -> str:
    return " ".join(f"'{word}':{','.join(ps)}" for word, ps in lexemes.items())


def _texts_json(texts: dict) -> str:
    try:
        return orjson.dumps(texts).decode()
    except TypeError:  # what orjson refuses (an integer past 64 bits): the standard library
        return json.dumps(texts)


def _uuid(value: Any, native: bool) -> Any:
    """An id as the entry's UUID column stores it (SQLite: 32 hex digits) and JSON can carry it."""
    if value is None:
        return None
    if type(value) is not uuid.UUID:
        value = uuid.UUID(str(value))
    return str(value) if native else value.hex


def _payloads(built: list[tuple[list, str]]) -> Iterator[str]:
    """The rows to write as JSON arrays, each one statement's only parameter: at most ``WRITE_CHUNK`` entries and,
    past the first entry, ``WRITE_BYTES`` (a rebuild's chunk of long tickets would otherwise be one huge value)."""
    native = connection.features.has_native_uuid_field
    postgresql = connection.vendor == "postgresql"
    pending: list[bytes] = []
    size = 0
    for row, literal in built:
        kind, object_id, client_id, *rest, texts = row
        entry = [kind, _uuid(object_id, native), _uuid(client_id, native), *rest, orjson.Fragment(_texts_json(texts))]
        if postgresql:
            entry.append(literal)
        encoded = orjson.dumps(entry)
        if pending and (len(pending) >= WRITE_CHUNK or size + len(encoded) > WRITE_BYTES):
            yield _array(pending)
            pending, size = [], 0
        pending.append(encoded)
        size += len(encoded)
    if pending:
        yield _array(pending)


def _array(encoded: list[bytes]) -> str:
    return (b"[" + b",".join(encoded) + b"]").decode()


def _upsert_sql() -> str:
    """One statement writing a whole batch of entries from a JSON array of rows, in the array's order.

    One statement, not one per entry: on SQLite the FTS5 tables flush their pending terms into a new segment at every
    statement savepoint, and each execution of an upsert with triggers opens one, so a statement per entry wrote (and
    merged) a segment per entry, twice (most of a bulk sync's index time). One statement flushes once. On PostgreSQL
    the batch is one parameter instead of a statement bound on the client per entry."""
    columns = [*COLUMNS, "texts"]
    updated = [c for c in columns if c not in ("kind", "object_id")]
    if connection.vendor == "postgresql":
        casts = ["", "::uuid", "::uuid", "::boolean", *[""] * (len(COLUMNS) - 4)]
        select = [f"(e.value ->> {i}){cast}" for i, cast in enumerate(casts)]
        select += [f"e.value -> {len(COLUMNS)}", f"(e.value ->> {len(COLUMNS) + 1})::tsvector"]
        columns.append("document")
        updated.append("document")
        source = "jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(value, position) ORDER BY e.position"
    else:
        select = [f"json_extract(e.value, '$[{i}]')" for i in range(len(columns))]
        # WHERE true: SQLite's grammar needs it between a SELECT and its upsert clause.
        source = "json_each(%s) AS e WHERE true ORDER BY e.key"
    # An entry whose content did not change is not written again: no new row version, no index maintenance (on
    # SQLite the update trigger would delete and re-add it in both FTS5 tables), as a re-sync's unchanged documents.
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"psa_searchentry.{c} {distinct} excluded.{c}" for c in updated)
    return (
        f"INSERT INTO psa_searchentry ({', '.join(columns)}) SELECT {', '.join(select)} FROM {source} "
        f"ON CONFLICT (kind, object_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updated)} "
        f"WHERE {changed}"
    )


def write(searchable: Searchable, objects: Iterable[Any], *, new: bool = False) -> int:
    """Index (or re-index) ``objects``, keeping each one's place in the order; returns how many.

    An object given twice is written once, at its first place, with what it holds at its last. ``new``: none of
    ``objects`` has an entry yet (rows just inserted with new keys, as a sync's created rows), so PostgreSQL takes
    them with ``COPY``: no JSON array to build and take apart, no conflict to look for (an entry that does exist
    fails the statement on its unique key, as any insert would)."""
    rows: dict[Any, tuple[list, str]] = {}
    dropped = []
    objects = list(objects)
    if searchable.prepare is not None and objects:
        searchable.prepare(objects)
    postgresql = connection.vendor == "postgresql"
    for obj in objects:
        built = row_of(searchable, obj, postgresql)
        if built is None:
            rows.pop(obj.pk, None)
            dropped.append(obj.pk)
            continue
        rows[obj.pk] = built
    built_rows = list(rows.values())
    if built_rows and new and postgresql:
        _copy(built_rows)
    elif built_rows:
        sql = _upsert_sql()
        with connection.cursor() as cursor:
            for payload in _payloads(built_rows):
                cursor.execute(sql, [payload])
    if dropped:
        remove(searchable, dropped)
    return len(built_rows)


def _copy(built: list[tuple[list, str]]) -> None:
    """PostgreSQL: new entries with ``COPY``, which reads every value as text: the ids as hex digits (psycopg's UUID
    dumper is Python, its text one is not), the texts as JSON, the words as their ``tsvector`` literal."""
    rows = []
    for row, literal in built:
        row[1], row[2] = _uuid(row[1], False), _uuid(row[2], False)
        row[-1] = _texts_json(row[-1])
        row.append(literal)
        rows.append(row)
    copy_rows(connection, "psa_searchentry", [*COLUMNS, "texts", "document"], rows)


def remove(searchable: Searchable, object_ids: Iterable[Any]) -> None:
    from psa.models import SearchEntry

    SearchEntry.objects.filter(kind=searchable.kind, object_id__in=list(object_ids)).delete()


def rebuild(searchable: Searchable, batch: int = 2000) -> int:
    """Drop the kind's entries and index every object again, oldest first."""
    from psa.models import SearchEntry

    count = 0
    with transaction.atomic():
        SearchEntry.objects.filter(kind=searchable.kind).delete()
        pending = []
        for obj in searchable.rebuild().iterator(chunk_size=batch):
            pending.append(obj)
            if len(pending) >= batch:
                count += write(searchable, pending)
                pending = []
        count += write(searchable, pending)
    return count


# --- kept in step on write ---------------------------------------------------------------------------------


def _saved(searchable: Searchable):
    def handler(sender, instance, raw=False, **kwargs):
        if raw:
            return  # loaddata: the rebuild command indexes fixtures
        write(searchable, [instance])

    return handler


def _deleted(searchable: Searchable):
    def handler(sender, instance, **kwargs):
        remove(searchable, [instance.pk])

    return handler


def _related(searchable: Searchable, owners):
    def handler(sender, instance, raw=False, origin=None, **kwargs):
        if raw or isinstance(origin, searchable.model):
            return  # loaddata; or deleted with its owner (a ticket's comments), whose entry goes with it
        write_ids(searchable, [pk for pk in owners(instance) if pk is not None])

    return handler


def write_ids(searchable: Searchable, ids: list) -> int:
    """Re-index ``ids`` of ``searchable``, a chunk per query (a renamed client may own many tickets)."""
    written = 0
    for start in range(0, len(ids), RELATED_CHUNK):
        written += write(searchable, list(searchable.rebuild().filter(pk__in=ids[start : start + RELATED_CHUNK])))
    return written


def owners_of(searchable: Searchable, model: type, objs: list) -> list:
    """The ids of ``searchable``'s objects that fold in one of ``objs`` (rows of ``model``), sorted: through its
    ``related_many`` a chunk at a time where it has one (a sync's renamed clients: one query per chunk, not per
    client), else through ``related`` row by row."""
    many = searchable.related_many.get(model)
    if many is not None:
        found = {pk for start in range(0, len(objs), RELATED_CHUNK) for pk in many(objs[start : start + RELATED_CHUNK])}
    else:
        owners = searchable.related[model]
        found = {pk for obj in objs for pk in owners(obj)}
    found.discard(None)
    return sorted(found, key=str)


def connect(searchable: Searchable) -> None:
    uid = f"psa.search.{searchable.kind}"
    post_save.connect(_saved(searchable), sender=searchable.model, weak=False, dispatch_uid=f"{uid}.save")
    post_delete.connect(_deleted(searchable), sender=searchable.model, weak=False, dispatch_uid=f"{uid}.delete")
    for model, owners in searchable.related.items():
        name = f"{uid}.{model._meta.label_lower}"
        post_save.connect(_related(searchable, owners), sender=model, weak=False, dispatch_uid=f"{name}.save")
        post_delete.connect(_related(searchable, owners), sender=model, weak=False, dispatch_uid=f"{name}.delete")
