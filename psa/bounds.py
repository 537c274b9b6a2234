"""Length limits of text columns, checked on every save of a :class:`psa.models.BaseModel`.

``TextField`` has no length in the database, and SQLite does not enforce a ``CharField``'s ``max_length`` either.
Every ``TextField`` is bounded by ``settings.MAX_TEXT_LENGTH`` (``PSA_MAX_TEXT_LENGTH``, 64 KiB by default) and every
``CharField`` by its ``max_length``: model forms show the error on the field (``BaseModel.clean_fields``), and any
other save through the ORM is refused with a ``ValidationError`` naming the field (a 400 in the API). Kept out of the
fields' own definitions so that changing the limit needs no migration.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def text_limit(field: models.Field) -> int | None:
    if isinstance(field, models.TextField):
        return field.max_length or settings.MAX_TEXT_LENGTH
    if isinstance(field, models.CharField):
        return field.max_length
    return None


def length_errors(instance: models.Model, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """``{field name: [message]}`` for each text field of ``instance`` longer than its limit."""
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        limit = text_limit(field)
        if limit is None or field.name in exclude:
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str) and len(value) > limit:
            errors[field.name] = [f"Ensure this field has no more than {limit} characters (it has {len(value)})."]
    return errors


def check_lengths(sender, instance: models.Model, raw: bool = False, update_fields=None, **kwargs) -> None:
    """``pre_save`` receiver: refuse to store overlong text."""
    from psa.models import BaseModel

    if raw or not isinstance(instance, BaseModel):
        return
    errors = length_errors(instance)
    if update_fields is not None:
        errors = {name: messages for name, messages in errors.items() if name in update_fields}
    if errors:
        raise ValidationError(errors)
