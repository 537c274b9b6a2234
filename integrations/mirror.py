"""Batched, idempotent upserts of external records into local rows, with the raw payload kept beside them.

For each batch: records whose payload hash is unchanged are counted and skipped (no write at all); the others are
mapped by a :class:`Mapper` (a malformed record raises :class:`RecordError` and becomes one error), matched to
their linked or matching local row, and written together with their :class:`ExternalRecord` by
:mod:`integrations.bulk` (one prepared statement per model and batch, run with ``executemany``). If the bulk write
fails, the batch is retried record by record so a bad row costs one error.

Each payload is serialized once (orjson, keys sorted): that text is both what the hash is taken over and what the
mirror stores, so a first sync does not encode every record twice more with the standard library.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, models, transaction
from django.db.models import prefetch_related_objects, signals
from django.db.models.base import ModelState

from integrations import bulk
from integrations.http import IntegrationError
from integrations.models import ExternalRecord
from psa import search
from psa.db import is_contention
from psa.search import index as search_index


class DatabaseBusy(IntegrationError):
    """The database refused a batch for contention through every retry: the job stops (its run ``failed``, its
    cursor not moved) rather than count every record of the batch as an error."""


class RecordError(ValueError):
    """A record that cannot be mapped; its message is shown in the run's errors."""


def text(payload: dict, key: str, limit: int, *, required: bool = False) -> str:
    """A payload's text field, stripped and cut to the local column's length; a wrong type is the record's error."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(f"'{key}' is missing.")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' should be text, got {type(value).__name__}.")
    return value.strip()[:limit]


@dataclass
class Item:
    external_id: str
    payload: dict
    hash: str = ""
    record: ExternalRecord | None = None
    values: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # what a mapper keeps beside the values (a MAC to attach)
    obj: models.Model | None = None
    created: bool = False
    new_record: bool = False
    text: str = ""  # the payload's canonical JSON (what is hashed and stored)
    # Whether the linked row differs from the values, decided before the first attempt wrote them into it: an attempt
    # the database undid left them in the object, so a retry compares nothing and writes what the first would have.
    must_update: bool | None = None


RECORD_STATE = ("id", "external_id", "payload_hash", "deleted_at", "object_id")
RECORD_WRITTEN = ["payload", "payload_hash", "last_seen_at", "deleted_at", "content_type", "object_id"]
NEW_RECORD_COLUMNS = ("external_id", "content_type_id", "object_id", "payload", "payload_hash")  # and the batch's own


def canonical_json(payload: Any) -> bytes:
    """The payload as compact JSON with sorted keys, in UTF-8: the same text for the same data, whatever its order."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (an integer past 64 bits, a key that is not text): the standard library
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def _item(external_id: str, payload: dict) -> Item:
    data = canonical_json(payload)
    return Item(external_id, payload, hashlib.sha256(data).hexdigest(), text=data.decode())


class Mapper:
    """How one kind of external record maps to one local model. Subclasses set the class attributes."""

    kind: ClassVar[str]  # the ExternalRecord kind, e.g. "company"
    model: ClassVar[type[models.Model] | None]  # None: mirror only, no local row
    fields: ClassVar[tuple[str, ...]] = ()  # the local fields this mapper writes (the source masters them)

    def __init__(self, context) -> None:
        self.context = context

    def prepare(self, items: list[Item]) -> None:
        """Bulk-load whatever ``values`` needs for this batch (related rows)."""

    def values(self, item: Item) -> dict:
        """The local field values of one record; raise :class:`RecordError` if it is malformed."""
        raise NotImplementedError

    def match(self, items: list[Item]) -> None:
        """Set ``item.obj`` for records without a linked row that match an existing local row."""

    def new(self, item: Item) -> models.Model | None:
        """A new, unsaved local row for ``item`` (``None``: create nothing)."""
        return build(self.model, item.values) if self.model is not None else None

    def after_save(self, items: list[Item]) -> None:
        """Write dependent rows (an asset's interface...) once the batch's objects exist."""

    def on_deleted(self, object_ids: list[str]) -> None:
        """The records of these local rows disappeared upstream; never hard-delete rows that carry local work."""


def _content_type(model) -> ContentType | None:
    return ContentType.objects.get_for_model(model) if model is not None else None


@dataclass
class Hashed:
    """A batch's records with their canonical JSON and hash, worked out without the database (so a page can be
    hashed by the thread that fetched it, while the job's thread writes the one before), and how many had no id."""

    items: dict[str, Item]
    without_id: int = 0


def hashed(records: Iterable[tuple[Any, dict]]) -> Hashed:
    """The ``(external_id, payload)`` records of a batch as :class:`Item` objects keyed by id (the last of an id
    wins). Touches no database and no run: safe in any thread."""
    batch = Hashed({})
    for external_id, payload in records:
        if external_id is None or external_id == "":
            batch.without_id += 1
            continue
        batch.items[str(external_id)] = _item(str(external_id), payload)
    return batch


def apply_batch(context, mapper_class: type[Mapper], records: Iterable[tuple[Any, dict]] | Hashed) -> None:
    """Upsert one batch of ``(external_id, payload)`` (or a batch already :func:`hashed`)."""
    mapper = mapper_class(context)
    batch = records if isinstance(records, Hashed) else hashed(records)
    for _ in range(batch.without_id):
        context.error("?", "The record has no id.")
    items = batch.items
    if not items:
        return
    changed = _changed(context, mapper, items)
    if not changed:
        return
    valid = _mapped(context, mapper, changed)
    if not valid:
        return
    try:
        _store(context, mapper, valid)
    except DatabaseError:  # not contention: _store raised DatabaseBusy for that
        # Rolled back (a deferred constraint fails only at commit, after the counts moved): store record by record,
        # so a bad row costs one error and the others are kept.
        for item in valid:
            _reset(item)
            try:
                _store(context, mapper, [item])
            except DatabaseError as exc:
                context.error(item.external_id, f"Could not be stored: {type(exc).__name__}: {str(exc)[:200]}")
    context.progress()


def _store(context, mapper: Mapper, items: list[Item]) -> None:
    """Write ``items`` in one transaction; if the database refuses it for contention (another writer held the lock
    past the busy timeout, a deadlock), undo the counts and send the same batch again after a back-off, up to
    ``PSA_INTEGRATIONS_BUSY_RETRIES`` times. Contention says nothing about the records: it must not turn a whole
    batch into per-record errors. What still meets contention after the retries stops the job (it raises
    :class:`DatabaseBusy`), and the next run starts again from the last saved cursor. A request's own store (a
    refresh) does not wait: its context allows no retry, and the request answers 503 BUSY."""
    retries = context.busy_retries
    for attempt in range(retries + 1):
        counted = (context.run.created, context.run.updated, context.writes)
        try:
            with transaction.atomic():
                _write(context, mapper, items)
            return
        except DatabaseError as exc:
            context.run.created, context.run.updated, context.writes = counted
            if not is_contention(exc):
                raise
            if attempt == retries:
                raise DatabaseBusy(
                    f"The database stayed busy (another writer held it) through {attempt + 1} attempts at a batch; "
                    "nothing of that batch was stored, and the next run starts again from the last saved cursor."
                ) from exc
            for item in items:
                _reset(item)
            context.sleep(busy_backoff(attempt, context.rng))


def busy_backoff(attempt: int, rng: Callable[[], float]) -> float:
    """Seconds before the next attempt at a batch the database refused: doubling from
    ``PSA_INTEGRATIONS_BUSY_BACKOFF``, with jitter so that two jobs that met do not meet again."""
    return settings.INTEGRATIONS_BUSY_BACKOFF * (2**attempt) * (0.5 + rng() / 2)


def _changed(context, mapper: Mapper, items: dict[str, Item]) -> list[Item]:
    """The items whose stored hash differs (or that are new, or were marked deleted); the others are counted.

    Only the state columns are read, as tuples: loading (and decoding) every stored payload cost more than the whole
    unchanged re-sync, and model instances for records that turn out unchanged were most of what was left."""
    existing = ExternalRecord.objects.filter(
        bulk.among(ExternalRecord, "external_id", items), source=context.source, kind=mapper.kind
    ).values_list(*RECORD_STATE)
    source_id, unchanged = context.source.pk, set()
    for pk, external_id, stored_hash, deleted_at, object_id in existing:
        item = items[external_id]
        if stored_hash == item.hash and deleted_at is None:
            unchanged.add(external_id)
        else:  # only what the write needs: it sets every other column it stores
            item.record = _new_record(id=pk, source_id=source_id, kind=mapper.kind, external_id=external_id,
                                      payload_hash=stored_hash, deleted_at=deleted_at, object_id=object_id)  # fmt: skip
            item.record._state.adding = False
    context.run.unchanged += len(unchanged)
    return [item for external_id, item in items.items() if external_id not in unchanged]


def _mapped(context, mapper: Mapper, changed: list[Item]) -> list[Item]:
    """The changed items that map (the others are one error each), with their linked or matching local rows."""
    mapper.prepare(changed)
    valid = []
    for item in changed:
        try:
            item.values = mapper.values(item)
        except RecordError as exc:
            context.error(item.external_id, str(exc))
        else:
            valid.append(item)
    if valid:
        _attach_linked(mapper, valid)
        mapper.match([item for item in valid if item.obj is None])
    return valid


def _attach_linked(mapper: Mapper, items: list[Item]) -> None:
    if mapper.model is None:
        return
    ids = [item.record.object_id for item in items if item.record is not None and item.record.object_id]
    rows = {str(obj.pk): obj for obj in mapper.model.objects.filter(pk__in=ids)} if ids else {}
    for item in items:
        if item.record is not None and item.record.object_id:
            item.obj = rows.get(item.record.object_id)


def _reset(item: Item) -> None:
    if item.created:
        item.obj, item.created = None, False
    if item.new_record:
        item.record, item.new_record = None, False


def _write(context, mapper: Mapper, items: list[Item]) -> None:
    now = context.now
    to_create, to_update, update_names = [], [], set()
    for item in items:
        if item.obj is None:
            item.obj = mapper.new(item)
            item.created = item.obj is not None
            if item.created:
                to_create.append(item.obj)
        elif _must_update(item):
            for name, value in item.values.items():
                setattr(item.obj, name, value)
            to_update.append(item.obj)
            update_names.update(item.values)
    if to_create:
        bulk.insert(mapper.model, to_create)
    if to_update:
        names = sorted(update_names)
        if any(f.name == "updated_at" for f in mapper.model._meta.concrete_fields):
            for obj in to_update:
                obj.updated_at = now
            names.append("updated_at")
        bulk.update(mapper.model, to_update, names)
    mapper.after_save(items)
    _index(mapper.model, to_create, to_update)  # bulk writes send no signal; after_save: an asset's MAC
    if to_update:  # a changed name reaches the documents that fold it in (a renamed client's tickets)
        search.reindex_owners(mapper.model, to_update)
    content_type = _content_type(mapper.model)
    content_type_id = content_type.pk if content_type is not None else None
    new_records, old_records = [], []
    for item in items:
        object_id = str(item.obj.pk) if item.obj is not None else ""
        if item.record is None:  # a row, not an instance: nothing reads a new record back
            new_records.append((item.external_id, content_type_id if object_id else None, object_id,
                                bulk.JSONText(item.text), item.hash))  # fmt: skip
            item.new_record = True
        else:
            record = item.record
            record.payload, record.payload_hash, record.last_seen_at, record.deleted_at = (
                bulk.JSONText(item.text),
                item.hash,
                now,
                None,
            )
            record.content_type, record.object_id = (content_type if object_id else None), object_id
            old_records.append(record)
    if new_records:
        bulk.insert_rows(ExternalRecord, NEW_RECORD_COLUMNS, new_records, {"source_id": context.source.pk,
                         "kind": mapper.kind, "first_seen_at": now, "last_seen_at": now, "deleted_at": None})  # fmt: skip
    if old_records:
        bulk.update(ExternalRecord, old_records, RECORD_WRITTEN)
    context.writes += len(to_create) + len(to_update) + len(new_records) + len(old_records)
    context.run.created += len(new_records)
    context.run.updated += len(old_records)


@dataclass(frozen=True)
class _Layout:
    """How to build a model's instances positionally: each concrete field's position, the value of every field
    whose default is a constant, and the fields whose default must be called per row (a new UUID, a new list)."""

    attnames: tuple[str, ...]
    positions: dict[str, int]
    template: tuple
    calls: tuple[tuple[int, Any], ...]


_LAYOUTS: dict[type[models.Model], _Layout] = {}


def _layout(model: type[models.Model]) -> _Layout:
    layout = _LAYOUTS.get(model)
    if layout is None:
        fields = model._meta.concrete_fields
        calls = tuple((i, f.default) for i, f in enumerate(fields) if f.has_default() and callable(f.default))
        called = {i for i, _ in calls}
        template = tuple(None if i in called else f.get_default() for i, f in enumerate(fields))
        attnames = tuple(f.attname for f in fields)
        layout = _LAYOUTS[model] = _Layout(attnames, {name: i for i, name in enumerate(attnames)}, template, calls)
    return layout


def _instance(model: type[models.Model], layout: _Layout, row: list) -> models.Model:
    """What ``model(*row)`` builds, without its per-field ``setattr`` (a descriptor per foreign key) when no
    ``pre_init``/``post_init`` receiver would see the difference: Django's construction was most of a new row's
    cost after the statement itself."""
    if (signals.pre_init.receivers and signals.pre_init.has_listeners(model)) or (
        signals.post_init.receivers and signals.post_init.has_listeners(model)
    ):  # a receiver for any model, then for this one: the first test is most often enough, and cheap
        return model(*row)
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(zip(layout.attnames, row, strict=True))
    return obj


def build(model: type[models.Model], values: dict) -> models.Model:
    """``model(**values)``, built positionally (as Django builds rows read from the database), every other field
    with its default: keyword construction was most of the cost of a new row. ``values`` keyed by anything but
    attribute names (``client`` rather than ``client_id``, a property) go the keyword way."""
    layout = _layout(model)
    positions = layout.positions
    if not positions.keys() >= values.keys():
        return model(**values)
    row = list(layout.template)
    for i, default in layout.calls:
        row[i] = default()
    for name, value in values.items():
        row[positions[name]] = value
    return _instance(model, layout, row)


def _new_record(**values: Any) -> ExternalRecord:
    """An unsaved ExternalRecord built positionally (keyword construction was a fifth of a first sync's write
    time). Unnamed fields are ``None``."""
    layout = _layout(ExternalRecord)
    return _instance(ExternalRecord, layout, [values.get(name) for name in layout.attnames])


def _index(model: type[models.Model] | None, created: list[models.Model], updated: list[models.Model]) -> None:
    """Index the rows this batch wrote, from the objects in hand (re-reading them cost as much as writing them);
    what the searchable's documents read through relations (an asset's interfaces) is prefetched as it would be.
    The rows just created have no entry yet: they are written as new entries, before the updated rows' upsert."""
    searchable = search.for_model(model) if model is not None else None
    objs = [*created, *updated]
    if searchable is None or not objs:
        return
    rows = searchable.rebuild()
    if rows.query.select_related:  # a document that reads a joined row: read them again, joined (few such kinds)
        search.reindex(model, [obj.pk for obj in objs])
        return
    lookups = rows._prefetch_related_lookups
    if lookups:
        _prefetch(objs, lookups)
    if created:
        search_index.write(searchable, created, new=True)
    if updated:
        search_index.write(searchable, updated)


def prefetched(obj: models.Model, name: str, rows: list[models.Model]) -> None:
    """Tell the search index what ``obj``'s reverse relation ``name`` holds (a mapper's ``after_save`` that just
    created an asset's only interface knows), so it is not read back. Objects read in the batch have no such cache:
    whatever is not told is read."""
    _cache(obj, name, _empty(type(obj)._meta.get_field(name).related_model), rows)


@functools.lru_cache(maxsize=64)
def _empty(model: type[models.Model]) -> models.QuerySet:
    """An empty queryset of ``model``, the template of every prefetch cache entry told or read here (building one per
    object cost more than indexing the object). Its copies share its query, which nothing mutates in place."""
    return model._default_manager.none()


def _cache(obj: models.Model, cache_name: str, template: Any, rows: list) -> None:
    cached = object.__new__(type(template))  # copy.copy would run the query (QuerySet.__getstate__)
    cached.__dict__.update(template.__dict__, _result_cache=rows, _prefetch_done=True)
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[cache_name] = cached


def _prefetch(objs: list[models.Model], lookups: Iterable[Any]) -> None:
    """``prefetch_related_objects`` for the rows just written. A plain reverse foreign key (an asset's interfaces)
    is read in one query and each object's cache gets a copy of one empty queryset holding its own rows: Django
    filters and clones a queryset per object, which cost more than indexing the objects. Anything else goes
    through Django."""
    model, rest = type(objs[0]), []
    for lookup in lookups:
        relation = _reverse_foreign_key(model, lookup)
        if relation is None:
            rest.append(lookup)
            continue
        key, manager = relation.field, relation.related_model._default_manager
        cache_name = key.remote_field.cache_name
        unknown = [obj for obj in objs if cache_name not in obj.__dict__.get("_prefetched_objects_cache", {})]
        found: dict[Any, list] = {}
        if unknown:
            for row in manager.filter(**{f"{key.name}__in": [obj.pk for obj in unknown]}):
                found.setdefault(getattr(row, key.attname), []).append(row)
        template = _empty(relation.related_model)
        for obj in unknown:
            _cache(obj, cache_name, template, found.get(obj.pk, []))
    if rest:
        prefetch_related_objects(objs, *rest)


def _reverse_foreign_key(model: type[models.Model], lookup: Any) -> models.ManyToOneRel | None:
    if not isinstance(lookup, str) or "__" in lookup:
        return None
    try:
        relation = model._meta.get_field(lookup)
    except FieldDoesNotExist:
        return None
    if type(relation) is not models.ManyToOneRel or relation.get_accessor_name() != lookup:
        return None
    return relation


def _must_update(item: Item) -> bool:
    if item.must_update is None:
        item.must_update = _differs(item.obj, item.values)
    return item.must_update


def _differs(obj: models.Model, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def mark_missing(context, mapper_class: type[Mapper], seen: set[str], scope: dict | None = None) -> None:
    """The id-only scan: mark records no longer upstream as deleted (and revive those seen again)."""
    mapper = mapper_class(context)
    rows = ExternalRecord.objects.filter(source=context.source, kind=mapper.kind, **(scope or {}))
    gone = [
        (pk, object_id)
        for pk, external_id, object_id in rows.filter(deleted_at__isnull=True).values_list(
            "pk", "external_id", "object_id"
        )
        if external_id not in seen
    ]
    back = [pk for pk, external_id in rows.filter(deleted_at__isnull=False).values_list("pk", "external_id")
            if external_id in seen]  # fmt: skip
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        with transaction.atomic():
            ExternalRecord.objects.filter(pk__in=[pk for pk, _ in chunk]).update(deleted_at=context.now)
            mapper.on_deleted([object_id for _, object_id in chunk if object_id])
    if back:
        # Seen again: clear the mark and the hash, so the next incremental run rewrites the local row.
        ExternalRecord.objects.filter(pk__in=back).update(deleted_at=None, payload_hash="")
    context.run.deleted += len(gone)
    context.writes += len(gone) + len(back)


def linked_uuids(context, kind: str, external_ids: Iterable[Any]) -> dict[str, uuid.UUID]:
    """:func:`local_uuids` of the records of another kind that a job's records refer to (a configuration's company,
    site and contact), remembered for the rest of the run: each batch asked again for the same thousand companies,
    a tenth of a first sync's mapping time. Only links found are kept, so a record synced meanwhile is still found;
    the returned map may hold more ids than asked for."""
    known = context.linked.setdefault(kind, {})
    missing = {str(e) for e in external_ids if e is not None} - known.keys()
    if missing:
        known.update(local_uuids(context.source, kind, missing))
    return known


def local_uuids(source, kind: str, external_ids: Iterable[Any]) -> dict[str, uuid.UUID]:
    """:func:`local_ids` for local rows keyed by UUID, as UUIDs: converted once per batch, not once per use."""
    return {ext: uuid.UUID(obj) for ext, obj in local_ids(source, kind, external_ids).items()}


def local_ids(source, kind: str, external_ids: Iterable[Any]) -> dict[str, str]:
    """external id -> local object id, for the linked, not deleted records of ``kind``."""
    wanted = {str(e) for e in external_ids if e is not None}
    if not wanted:
        return {}
    rows = ExternalRecord.objects.filter(
        bulk.among(ExternalRecord, "external_id", sorted(wanted)), source=source, kind=kind, deleted_at__isnull=True
    )
    return {ext: obj for ext, obj in rows.exclude(object_id="").values_list("external_id", "object_id")}
