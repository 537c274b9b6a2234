"""Fields a source masters are read-only on linked local rows: serializers of other apps call this one hook.

``refuse_mastered_writes(serializer, attrs)`` raises a 400 naming each field that a sync owns when a write would
change it on a row linked to an external record (local-only fields stay writable; sending the current value is fine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from rest_framework.exceptions import ValidationError

# model label -> the local fields each source kind's sync writes (and therefore masters)
MASTERED: dict[str, tuple[str, ...]] = {}


def mastered(model_label: str, fields: tuple[str, ...]) -> None:
    MASTERED[model_label] = tuple(sorted(set(MASTERED.get(model_label, ())) | set(fields)))


@dataclass(frozen=True)
class SyncOrigin:
    """Where a local row is mirrored from: the source kind's label, a link to the record there, the fields it owns."""

    label: str
    url: str
    fields: tuple[str, ...]


def sync_origin(instance: Any) -> SyncOrigin | None:
    """The origin of a local row mirrored from a source, or ``None`` for a row that is ours alone."""
    from django.contrib.contenttypes.models import ContentType

    from integrations import registry
    from integrations.models import ExternalRecord

    if instance is None or instance.pk is None:
        return None
    content_type = ContentType.objects.get_for_model(type(instance))
    record = (
        ExternalRecord.objects.filter(content_type=content_type, object_id=str(instance.pk), deleted_at__isnull=True)
        .select_related("source")
        .first()
    )
    if record is None:
        return None
    kind = registry.get(record.source.kind)
    if kind is None:
        return SyncOrigin(record.source.kind, "", MASTERED.get(instance._meta.label_lower, ()))
    url = kind.external_url(record.source, record.kind, record.external_id)
    return SyncOrigin(kind.label, url, MASTERED.get(instance._meta.label_lower, ()))


def linked_source_label(instance: Any) -> str | None:
    """The label of the source kind that a local row is mirrored from, or ``None``."""
    origin = sync_origin(instance)
    return origin.label if origin else None


def mastered_field_locks(instance: Any) -> dict[str, str]:
    """For UI forms: each field a sync owns on this row, with why it is read-only here and a link to change it."""
    origin = sync_origin(instance)
    if origin is None or not origin.fields:
        return {}
    if origin.url:
        note = format_html(
            'Synced from {}: change it there. <a href="{}" target="_blank" rel="noopener noreferrer">Open in {}</a>',
            origin.label,
            origin.url,
            origin.label,
        )
    else:
        note = f"Synced from {origin.label}: change it there."
    return dict.fromkeys(origin.fields, note)


def refuse_mastered_writes(serializer: Any, attrs: dict) -> None:
    instance = getattr(serializer, "instance", None)
    if instance is None or instance.pk is None:
        return
    fields = MASTERED.get(instance._meta.label_lower, ())
    changing = [name for name in fields if name in attrs and attrs[name] != getattr(instance, name, None)]
    # Relations arrive as objects under the relation's name (client, location).
    for name in fields:
        if name.endswith("_id") and name[:-3] in attrs:
            related = attrs[name[:-3]]
            if getattr(related, "pk", related) != getattr(instance, name, None):
                changing.append(name)
    if not changing:
        return
    label = linked_source_label(instance)
    if label is None:
        return
    message = f"Synced from {label}: change it there (this field is read-only here)."
    raise ValidationError({name: [message] for name in changing})
