"""Writing the search index: one ``psa_searchentry`` row per object, kept in step on every save and delete.

The words are decided in Python (:mod:`psa.search.text`). On SQLite the row's ``words_*`` columns feed two FTS5 tables
that triggers keep in step (``psa_search_fts`` for words, ``psa_search_ids`` with the trigram tokenizer for
identifiers). On PostgreSQL the same words go into the ``document`` column as a ``tsvector`` literal with their
positions and weights (GIN index), and ``identifiers`` has a pg_trgm index. Between two fields one position is
left empty (FTS5: a filler word), so a phrase never spans two fields on either engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from psa.search import GROUPS, Document, Searchable
from psa.search import text as t

RELATED_CHUNK = 500  # objects re-indexed per query after a related row's write (SQLite caps a query's parameters)
COLUMNS = ("kind", "object_id", "client_id", "is_active", "title", "identifiers", *(f"words_{g}" for g in GROUPS))


def row_of(searchable: Searchable, obj: Any, tsvector: bool | None = None) -> tuple[list, str] | None:
    """The column values of ``obj``'s entry and its tsvector literal (PostgreSQL only, else ""); None when it is
    not to be found."""
    document: Document | None = searchable.document(obj)
    if document is None:
        return None
    if tsvector is None:
        tsvector = connection.vendor == "postgresql"
    per_group: dict[str, list[str]] = {g: [] for g in GROUPS}
    lexemes: dict[str, list[str]] = {}  # word: its weighted positions ("12B"), for the tsvector
    position = 0
    for group in GROUPS:
        out = per_group[group]
        weight = group.upper()
        for item in (f for f in searchable.fields if f.group == group):
            found = t.words(document.texts.get(item.name) or "")
            if not found:
                continue
            if position:
                position += 1  # the empty position between two fields
                if out:
                    out.append(t.FILLER)
            for word in found:
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
    values = [
        searchable.kind,
        obj.pk,
        document.client_id,
        document.is_active,
        document.title[:300],
        t.identifiers_column(document.identifiers),
        *(" ".join(per_group[g]) for g in GROUPS),
    ]
    literal = " ".join(f"'{word}':{','.join(ps)}" for word, ps in lexemes.items()) if tsvector else ""
    texts = {name: value for name, value in document.texts.items() if value}
    return [*values, json.dumps(texts)], literal


def _prepared(values: list) -> list:
    from psa.models import SearchEntry

    out = []
    for name, value in zip((*COLUMNS, "texts"), values, strict=True):
        if name in ("object_id", "client_id"):
            value = SearchEntry._meta.get_field(name).get_db_prep_value(value, connection)
        out.append(value)
    return out


def _upsert_sql() -> str:
    columns = [*COLUMNS, "texts"]
    placeholders = ["%s"] * len(columns)
    updates = [f"{c} = excluded.{c}" for c in columns if c not in ("kind", "object_id")]
    if connection.vendor == "postgresql":
        columns.append("document")
        placeholders.append("%s::tsvector")
        updates.append("document = excluded.document")
    return (
        f"INSERT INTO psa_searchentry ({', '.join(columns)}) VALUES ({', '.join(placeholders)}) "
        f"ON CONFLICT (kind, object_id) DO UPDATE SET {', '.join(updates)}"
    )


def write(searchable: Searchable, objects: Iterable[Any]) -> int:
    """Index (or re-index) ``objects``, keeping each one's place in the order; returns how many."""
    params, dropped = [], []
    objects = list(objects)
    if searchable.prepare is not None and objects:
        searchable.prepare(objects)
    for obj in objects:
        built = row_of(searchable, obj)
        if built is None:
            dropped.append(obj.pk)
            continue
        row = _prepared(built[0])
        params.append([*row, built[1]] if connection.vendor == "postgresql" else row)
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(), params)
    if dropped:
        remove(searchable, dropped)
    return len(params)


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


def connect(searchable: Searchable) -> None:
    uid = f"psa.search.{searchable.kind}"
    post_save.connect(_saved(searchable), sender=searchable.model, weak=False, dispatch_uid=f"{uid}.save")
    post_delete.connect(_deleted(searchable), sender=searchable.model, weak=False, dispatch_uid=f"{uid}.delete")
    for model, owners in searchable.related.items():
        name = f"{uid}.{model._meta.label_lower}"
        post_save.connect(_related(searchable, owners), sender=model, weak=False, dispatch_uid=f"{name}.save")
        post_delete.connect(_related(searchable, owners), sender=model, weak=False, dispatch_uid=f"{name}.delete")
