"""Writing the audit log. Values are copied as JSON-safe text; fields named in ``audit_exclude`` never are.

A value longer than ``settings.AUDIT_VALUE_MAX_BYTES`` (4 KiB) is stored cut to that size with a marker saying how
large it was, so a large note is never copied whole into the log (nor served back by ``/audit-events``).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from psa.access import client_id_of
from psa.models import AuditEvent

REDACTED = "[redacted]"


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime.datetime | datetime.date | datetime.time | decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def bounded(value: Any) -> Any:
    """``value``, or when its JSON is larger than the limit, its start followed by a ``[truncated: ...]`` marker."""
    limit = settings.AUDIT_VALUE_MAX_BYTES
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size <= limit:
        return value
    head = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return f"{head}… [truncated: {size} bytes]"


def bounded_changes(changes: dict) -> dict:
    """``changes`` with each ``{"old", "new"}`` value (or other top-level value) bounded by :func:`bounded`."""
    result = {}
    for key, value in changes.items():
        if isinstance(value, dict) and set(value) <= {"old", "new"}:
            result[key] = {side: bounded(item) for side, item in value.items()}
        else:
            result[key] = bounded(value)
    return result


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audit-visible state of an instance: concrete fields and many-to-many ids."""
    exclude = getattr(instance, "audit_exclude", frozenset())
    state: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.name in ("created_at", "updated_at"):
            continue
        state[field.name] = _json_value(field.value_from_object(instance))
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            if field.name in exclude:
                continue
            state[field.name] = sorted(str(obj.pk) for obj in field.value_from_object(instance))
    return state


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = set(before) | set(after)
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(keys)
        if before.get(key) != after.get(key)
    }


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    request: Any,
    action: str,
    instance: models.Model | None = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    changes: dict | None = None,
    client_id: Any = None,
    outcome: str = "success",
) -> AuditEvent:
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    key = getattr(request, "auth", None)
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id if object_id is not None else instance.pk
        client_id = client_id if client_id is not None else client_id_of(instance)
    return AuditEvent.objects.create(
        actor=user,
        actor_name=(user.get_username() if user else "")[:255],
        api_key=key if key is not None and hasattr(key, "key_id") else None,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        object_repr=(str(instance) if instance is not None else "")[:255],
        client_id=client_id,
        changes=bounded_changes(changes or {}),
        ip_address=client_ip(request),
        outcome=outcome,
    )
