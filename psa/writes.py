"""Audited writes: save or delete through a serializer together with its audit record, in one transaction.

The API's viewsets (``psa.api.viewsets.AuditedWritesMixin``) and the technician UI both write through these, so a
change made in a page is recorded exactly like the same change made through ``/api/v1``.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from psa import audit


def create(request: Any, serializer, **save_kwargs) -> models.Model:
    """Save a validated serializer as a new object and record ``create`` with every field as new."""
    with transaction.atomic():
        instance = serializer.save(**save_kwargs)
        audit.record(request, "create", instance, changes=audit.diff({}, audit.snapshot(instance)))
    return instance


def update(request: Any, serializer, **save_kwargs) -> tuple[models.Model, dict]:
    """Save a validated serializer over its instance; record ``update`` with the changed fields, if any changed."""
    with transaction.atomic():
        before = audit.snapshot(serializer.instance)
        instance = serializer.save(**save_kwargs)
        changes = audit.diff(before, audit.snapshot(instance))
        if changes:
            audit.record(request, "update", instance, changes=changes)
    return instance, changes


def destroy(request: Any, instance: models.Model) -> None:
    """Delete an object and record ``delete`` with the fields it had."""
    with transaction.atomic():
        before = audit.snapshot(instance)
        event_kwargs = {"object_type": instance._meta.label_lower, "object_id": instance.pk}
        audit.record(request, "delete", instance, changes=audit.diff(before, {}), **event_kwargs)
        instance.delete()
