"""Base serializers: strict input (unknown fields are a 400), field-level gating, client-scoped relations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import Field
from rest_framework.utils.formatting import lazy_format

from psa import gating
from psa.access import restrict


def bound_text(field: Field) -> None:
    """Give a writable text field without a ``max_length`` the default ``settings.MAX_TEXT_LENGTH``.

    Applied to every field of the base serializers (list and dict children too), so no text input is unbounded and
    the schema names each limit (``maxLength``). Model ``TextField``s are bounded the same way by ``psa.bounds``.
    """
    if isinstance(field, serializers.CharField) and field.max_length is None and not field.read_only:
        field.max_length = settings.MAX_TEXT_LENGTH
        message = lazy_format(field.error_messages["max_length"], max_length=field.max_length)
        field.validators.append(MaxLengthValidator(field.max_length, message=message))
    child = getattr(field, "child", None)
    if isinstance(child, Field):
        bound_text(child)


class BoundedTextMixin:
    def get_fields(self) -> dict[str, Field]:
        fields = super().get_fields()
        for field in fields.values():
            bound_text(field)
        return fields


class StrictInputMixin(BoundedTextMixin):
    """Refuses body fields the serializer does not accept, instead of silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = [key for key in data if key not in writable]
        if unknown:
            errors = {key: ["This field is read-only." if key in self.fields else "Unknown field."] for key in unknown}
            raise serializers.ValidationError(errors)
        if self._json_body():
            wrong = {k: [m] for k, value in data.items() if (m := json_type_error(self.fields[k], value))}
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)

    def _json_body(self) -> bool:
        """JSON types are enforced on JSON bodies; HTML forms and multipart uploads send every value as text."""
        request = self.context.get("request")
        content_type = (getattr(request, "content_type", "") or "") if request is not None else ""
        return request is None or content_type.startswith("application/json")


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """The JSON type the schema promises, enforced: DRF would take 5 for a string, "1" for a number or a boolean."""
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return "Must be true or false."
    if isinstance(field, serializers.IntegerField) and (isinstance(value, bool) or not isinstance(value, int)):
        return "Must be a whole number."
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return "Must be a string."
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for index, item in enumerate(value):
            if message := json_type_error(field.child, item):
                return f"Item {index}: {message}"
    return None


class PassiveSerializer(StrictInputMixin, serializers.Serializer):
    """For request and response bodies that are not models."""

    def create(self, validated_data):  # pragma: no cover - never saved
        raise TypeError("PassiveSerializer is not saved")

    def update(self, instance, validated_data):  # pragma: no cover - never saved
        raise TypeError("PassiveSerializer is not saved")


class GatedModelSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A model serializer whose fields are gated by ``obj.<gating_scope>.<field>`` nodes (design.md).

    Gated fields are absent from responses, and writing one is refused with a 403.
    """

    gating_scope: str | None = None
    gating_label: str | None = None
    # field -> the fields (or full ``obj.`` nodes of other scopes) whose values it shows, e.g. HTML from markdown
    gating_derived: dict[str, tuple[str, ...]] = {}
    # the model fields ``str(obj)`` shows, where ``__str__`` does not name them itself (see psa.gating.repr_fields)
    gating_repr_fields: tuple[str, ...] | None = None

    def __init__(self, *args, fields: list[str] | tuple[str, ...] | None = None, **kwargs):
        """``fields``: output only these (a sparse field set). Only they are built: building and copying every
        field of a wide serializer for each response was most of a list's fixed cost."""
        super().__init__(*args, **kwargs)
        if fields is not None:
            self._only_fields = frozenset(fields)
            self._declared_fields = {k: v for k, v in self._declared_fields.items() if k in self._only_fields}

    def get_field_names(self, declared_fields, info):
        names = super().get_field_names(declared_fields, info)
        only = getattr(self, "_only_fields", None)
        return names if only is None else [name for name in names if name in only]

    def _request(self):
        return self.context.get("request")

    def visible_fields(self) -> frozenset[str]:
        cached = getattr(self, "_visible_fields", None)
        if cached is None:
            cached = gating.visible_fields(self._request(), self.gating_scope, self.fields, self.gating_derived)
            self._visible_fields = cached
        return cached

    def to_representation(self, instance: Any) -> dict:
        data = super().to_representation(instance)
        # DRF leaves out a field whose dotted source passes through a null relation (e.g. ``location.name``
        # without a location); the schema promises every field, so it is there, as null.
        for field in self._readable_fields:
            data.setdefault(field.field_name, None)
        visible = self.visible_fields()
        return {key: value for key, value in data.items() if key in visible}

    def validate(self, attrs: dict) -> dict:
        if self.gating_scope and self._request() is not None:
            # Only a root serializer has initial_data; nested ones are checked by their own fields.
            sent = getattr(self, "initial_data", None)
            hidden = sorted(set(sent) - self.visible_fields()) if isinstance(sent, Mapping) else []
            if hidden:
                raise PermissionDenied(f"You may not write these fields: {', '.join(hidden)}.")
        return super().validate(attrs)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation whose choices are limited to the caller's client scope: other clients' rows do not exist."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        return restrict(queryset, request) if request is not None else queryset


class NodeListField(serializers.ListField):
    """A list of permission nodes; each must be registered or a wildcard covering registered nodes."""

    child = serializers.CharField(max_length=200)

    def to_internal_value(self, data):
        from psa.nodes import is_known

        values = super().to_internal_value(data)
        unknown = [value for value in values if not is_known(value)]
        if unknown:
            raise serializers.ValidationError(f"Unknown permission nodes: {', '.join(unknown)}.")
        return sorted(set(values))
