"""UI forms backed by the API's serializers: one source of truth for validation.

A :class:`SerializerForm` renders the fields of a serializer (labels, help texts, choices and widgets come from the
serializer and its model) and carries what the user typed, unvalidated. ``clean()`` hands the input to the serializer,
exactly as a JSON body would reach the API, and puts ``serializer.errors`` next to the fields they name, so the user's
input stays on the page with a message that says what is wrong. ``save()`` writes through :mod:`psa.writes`, so the
change is audited like the same change made through the API.

Field gating applies as in the API: fields the user may not see are neither shown nor sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from psa import writes
from psa.api.exceptions import flatten_errors

LIST_SPLIT = re.compile(r"[\n,]+")

# Callables ``(instance) -> {field name: why it is read-only here}`` that apps register (a sync owns some fields of
# the rows it mirrors): such fields are shown disabled with that note and never sent.
FIELD_LOCKS: list[Callable[[models.Model], dict[str, str]]] = []


def register_field_lock(lock: Callable[[models.Model], dict[str, str]]) -> Callable[[models.Model], dict[str, str]]:
    FIELD_LOCKS.append(lock)
    return lock


class RawInputMixin:
    """A form field that hands the submitted value over as it came: the serializer validates it, not the form."""

    def clean(self, value):
        return value


class RawCharField(RawInputMixin, forms.CharField):
    pass


class RawChoiceField(RawInputMixin, forms.ChoiceField):
    pass


class RawBooleanField(RawInputMixin, forms.BooleanField):
    def __init__(self, **kwargs):
        kwargs["required"] = False  # an unticked box is "false", never "missing"
        super().__init__(**kwargs)


def field_label(name: str, ser_field: serializers.Field | None = None) -> str:
    """The serializer's label (the model's verbose name); for a relation ``x_id``, the related thing's name."""
    if name.endswith("_id"):
        return capfirst(name[:-3].replace("_", " "))
    if ser_field is not None and ser_field.label:
        return capfirst(str(ser_field.label))
    return capfirst(name.replace("_", " "))


class SerializerForm(forms.Form):
    """A form whose rules are a serializer's.

    Subclasses set ``serializer_class`` and ``field_names`` (the fields shown, in order), and may override
    ``labels``, ``help_texts`` and ``widgets``, and ``related_choices()`` for the options of relation fields.
    ``fixed`` values (e.g. the client a new object belongs to) are sent to the serializer without being shown.
    """

    serializer_class: ClassVar[type[serializers.Serializer]]
    field_names: ClassVar[tuple[str, ...]] = ()
    labels: ClassVar[dict[str, str]] = {}
    help_texts: ClassVar[dict[str, str]] = {}
    widgets: ClassVar[dict[str, forms.Widget]] = {}

    def __init__(
        self,
        data=None,
        *,
        request,
        instance: models.Model | None = None,
        fixed: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        prefix: str | None = None,
    ):
        super().__init__(data, prefix=prefix)
        self.request = request
        self.instance = instance
        self.fixed = dict(fixed or {})
        self.context = {"request": request, **(context or {})}
        self.serializer = None
        self.changes: dict = {}
        probe = self.serializer_class(instance, context=self.context)
        visible = probe.visible_fields() if hasattr(probe, "visible_fields") else frozenset(probe.fields)
        self.serializer_fields: dict[str, serializers.Field] = {}
        for name in self.field_names:
            ser_field = probe.fields[name]
            if ser_field.read_only or name not in visible:
                continue
            self.serializer_fields[name] = ser_field
            self.fields[name] = self.build_field(name, ser_field)
        for name, choices in self.related_choices().items():
            if name in self.fields:
                self.fields[name].choices = [("", "\u2014")] + [(str(pk), label) for pk, label in choices]
        if not self.is_bound:
            self.initial = self.initial_from(probe.data) if instance is not None else self.model_defaults()
        self.locked = self.lock_fields(probe)

    def lock_fields(self, probe: serializers.Serializer) -> frozenset[str]:
        """Disable the fields a registered lock claims on this row; they show their stored value and are not sent.
        Locks name model fields (``name``); each is read under the form field whose source it is (``product_name``)."""
        if self.instance is None:
            return frozenset()
        by_source = {field.source: name for name, field in self.serializer_fields.items()}
        notes: dict[str, str] = {}
        for lock in FIELD_LOCKS:
            notes.update({by_source.get(name, name): note for name, note in lock(self.instance).items()})
        locked = frozenset(name for name in notes if name in self.fields)
        if locked:
            current = self.initial_from(probe.data)
            for name in locked:
                self.fields[name].disabled = True
                self.fields[name].help_text = notes[name]
                self.initial[name] = current.get(name)
        return locked

    # --- building -------------------------------------------------------------------------------------------------

    def build_field(self, name: str, ser_field: serializers.Field) -> forms.Field:
        kwargs: dict[str, Any] = {
            "label": self.labels.get(name) or field_label(name, ser_field),
            "help_text": self.help_texts.get(name, ser_field.help_text or ""),
            "required": bool(ser_field.required),
        }
        widget = self.widgets.get(name)
        if isinstance(ser_field, serializers.BooleanField):
            kwargs.pop("required")
            return RawBooleanField(widget=widget, **kwargs)
        if isinstance(ser_field, serializers.ChoiceField):
            blank = [("", "\u2014")] if ser_field.allow_blank or ser_field.allow_null else []
            return RawChoiceField(choices=blank + list(ser_field.choices.items()), widget=widget, **kwargs)
        if isinstance(ser_field, serializers.RelatedField):
            return RawChoiceField(choices=[("", "\u2014")], widget=widget, **kwargs)
        if widget is None:
            widget = self.default_widget(ser_field)
        max_length = getattr(ser_field, "max_length", None)
        if isinstance(ser_field, serializers.ListField):
            max_length = None
            if not kwargs["help_text"]:
                kwargs["help_text"] = (
                    "One per line." if isinstance(widget, forms.Textarea) else "Separate them with commas."
                )
        return RawCharField(widget=widget, max_length=max_length, strip=False, **kwargs)

    @staticmethod
    def default_widget(ser_field: serializers.Field) -> forms.Widget:
        if isinstance(ser_field, serializers.DateField):
            return forms.DateInput(attrs={"type": "date"})
        if isinstance(ser_field, serializers.IntegerField | serializers.DecimalField):
            step = "any" if isinstance(ser_field, serializers.DecimalField) else "1"
            return forms.NumberInput(attrs={"step": step})
        if isinstance(ser_field, serializers.EmailField):
            return forms.EmailInput(attrs={"autocomplete": "off"})
        if isinstance(ser_field, serializers.URLField):
            return forms.URLInput()
        if isinstance(ser_field, serializers.ListField):
            return forms.TextInput()
        if ser_field.style.get("base_template") == "textarea.html":
            return forms.Textarea(attrs={"rows": 4})
        return forms.TextInput()

    def related_choices(self) -> dict[str, list[tuple[Any, str]]]:
        """``{field: [(pk, label), ...]}`` for relation fields; scope them to the object's client."""
        return {}

    def initial_from(self, data: dict) -> dict:
        """The current values, from the serializer's own representation."""
        initial = {}
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(value, list):
                value = ("\n" if isinstance(field.widget, forms.Textarea) else ", ").join(str(v) for v in value)
            initial[name] = value
        return initial

    def model_defaults(self) -> dict:
        model = getattr(getattr(self.serializer_class, "Meta", None), "model", None)
        initial = {}
        for name, ser_field in self.serializer_fields.items():
            try:
                model_field = model._meta.get_field(ser_field.source)
            except FieldDoesNotExist:
                continue
            if model_field.has_default() and not callable(model_field.default):
                initial[name] = model_field.default
        return initial

    # --- validating -----------------------------------------------------------------------------------------------

    def api_data(self) -> dict[str, Any]:
        """The input in the shape of an API body: what a script would send for the same change."""
        data = dict(self.fixed)
        for name, ser_field in self.serializer_fields.items():
            if name in self.locked:
                continue
            value = self.cleaned_data.get(name)
            if isinstance(ser_field, serializers.BooleanField):
                data[name] = bool(value)
            elif isinstance(ser_field, serializers.ListField):
                data[name] = [item.strip() for item in LIST_SPLIT.split(value or "") if item.strip()]
            elif value not in (None, ""):
                data[name] = value
            elif ser_field.allow_null:
                data[name] = None
            elif isinstance(ser_field, serializers.CharField):
                data[name] = ""  # the serializer says whether blank is allowed
            # Anything else left empty is not sent: required on create, unchanged on edit.
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        serializer = self.serializer_class(
            self.instance, data=self.api_data(), partial=self.instance is not None, context=self.context
        )
        try:
            valid = serializer.is_valid()
        except ApiPermissionDenied as exc:
            raise PermissionDenied(str(exc.detail)) from None
        if valid:
            self.serializer = serializer
        else:
            self.add_api_errors(serializer.errors)
        return cleaned

    def add_api_errors(self, detail: Any) -> None:
        """Put the API's errors next to the fields they name; others go above the form, named."""
        for error in flatten_errors(detail):
            path, message = error["path"], error["message"]
            if path and path[0] in self.fields:
                rest = path[1:]
                if rest and isinstance(rest[0], int):
                    message = f"Item {rest[0] + 1}: {message}"
                self.add_error(path[0], message)
            elif path:
                name = str(path[0])
                self.add_error(None, f"{self.labels.get(name) or field_label(name)}: {message}")
            else:
                self.add_error(None, message)

    # --- saving ---------------------------------------------------------------------------------------------------

    def save(self, **save_kwargs) -> models.Model:
        """Create or update through the validated serializer, audited in the same transaction."""
        if self.serializer is None:
            raise ValueError("save() needs a valid form")
        if self.instance is None:
            self.instance = writes.create(self.request, self.serializer, **save_kwargs)
        else:
            self.instance, self.changes = writes.update(self.request, self.serializer, **save_kwargs)
        return self.instance
