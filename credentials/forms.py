"""UI forms. Credential forms are generated from the type definition; secure inputs never render a value back."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from clients.models import Client
from credentials.defaults import DEFAULT_SCOPE
from credentials.models import SCOPE_PATTERN, CredentialType
from credentials.value_types import VALUE_TYPES, DefinitionError, InvalidValue, clean_value, validate_definition
from psa.access import restrict
from psa.api.parsers import loads_bounded
from psa.ui_gate import gate_form
from psa.utils import is_uuid

SUB_KEY = re.compile(r"^s__(?P<field>[A-Za-z][A-Za-z0-9_-]{0,63})__(?P<index>\d{1,3})__(?P<name>.+)$")
MAX_SUB_ROWS = 50


def _widget(spec: dict, *, editing: bool, is_set: bool) -> forms.Widget:
    attrs: dict[str, Any] = {"spellcheck": "false"}
    if spec["secure"]:
        attrs["autocomplete"] = "new-password"
        if editing and is_set:
            attrs["placeholder"] = "Unchanged (type a new value to replace it)"
        return forms.PasswordInput(attrs=attrs, render_value=False)
    kind = spec["value_type"]
    if kind == "url":
        return forms.URLInput(attrs=attrs)
    if kind == "email":
        return forms.EmailInput(attrs={**attrs, "autocomplete": "off"})
    return forms.TextInput(attrs={**attrs, "autocomplete": "off"})


def value_field(spec: dict, *, editing: bool = False, is_set: bool = False) -> forms.CharField:
    help_text = VALUE_TYPES[spec["value_type"]].label
    if spec["secure"]:
        help_text += " · encrypted; revealing it is audited"
    return forms.CharField(
        label=spec["name"],
        required=False,  # required-ness is checked against the type definition in clean()
        strip=False,
        widget=_widget(spec, editing=editing, is_set=is_set),
        help_text=help_text,
    )


class CredentialForm(forms.Form):
    """Name, notes and one input per field of ``definition``; sub-credential rows for its multi_credential fields.

    ``existing`` (editing) maps field ids to ``(plain value or None, is_set)``. Editing, an empty secure input
    leaves the stored value alone; a "clear" box removes an optional one.
    """

    name = forms.CharField(max_length=200)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000)

    def __init__(self, *args, definition: list[dict], existing: dict | None = None, sub_rows: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.editing = existing is not None
        self.existing = existing or {}
        self.value_specs: list[dict] = []
        self.multi_specs: list[dict] = (
            [f for f in definition if f["value_type"] == "multi_credential"] if sub_rows else []
        )
        for spec in definition:
            if spec["value_type"] == "multi_credential":
                continue
            plain, is_set = self.existing.get(spec["id"], (None, False))
            self.fields[f"f__{spec['id']}"] = value_field(spec, editing=self.editing, is_set=is_set)
            if self.editing and not spec["secure"] and plain is not None:
                self.initial[f"f__{spec['id']}"] = plain
            if self.editing and spec["secure"] and is_set and not spec["required"]:
                self.fields[f"clear__{spec['id']}"] = forms.BooleanField(
                    required=False, label=f"Remove the stored {spec['name'].lower()}"
                )
            self.value_specs.append(spec)
        self.sub_rows = self._build_sub_rows()

    def lock(self, notes: dict[str, str]) -> None:
        """Disable what a sync owns (``notes``, from ``psa.forms.FIELD_LOCKS``: ``name``, ``notes`` or ``fields`` ->
        why, with a link to change it there). A disabled field keeps its stored value whatever is posted."""
        targets = {"name": ["name"], "notes": ["notes"], "fields": [n for n in self.fields if n.startswith("f__")]}
        for key, note in notes.items():
            for name in targets.get(key, []):
                self.fields[name].disabled = True
                self.fields[name].help_text = note
        if "fields" in notes:
            for name in [n for n in self.fields if n.startswith("clear__")]:
                del self.fields[name]

    # --- sub-credential rows (create only) ------------------------------------------------------------------------

    def _posted_indexes(self, field_id: str) -> list[int]:
        if not self.is_bound:
            return []
        found = {int(m["index"]) for key in self.data if (m := SUB_KEY.match(key)) and m["field"] == field_id}
        return sorted(i for i in found if i < MAX_SUB_ROWS)

    def _build_sub_rows(self) -> list[dict]:
        groups = []
        for multi in self.multi_specs:
            indexes = self._posted_indexes(multi["id"]) or [0]
            rows = []
            for index in indexes:
                prefix = f"s__{multi['id']}__{index}__"
                self.fields[f"{prefix}name"] = forms.CharField(label="Name", required=False, max_length=200)
                inputs = [self[f"{prefix}name"]]
                for spec in multi["sub_fields"]:
                    if spec["value_type"] == "multi_credential":
                        continue  # deeper levels are added from the sub-credential's own page
                    self.fields[f"{prefix}f__{spec['id']}"] = value_field(spec)
                    inputs.append(self[f"{prefix}f__{spec['id']}"])
                rows.append({"index": index, "prefix": prefix, "inputs": inputs})
            groups.append({"spec": multi, "rows": rows, "template_prefix": f"s__{multi['id']}__"})
        return groups

    # --- validation -----------------------------------------------------------------------------------------------

    def _check(self, name: str, spec: dict, *, required: bool) -> str | None:
        raw = self.cleaned_data.get(name)
        try:
            value = clean_value(spec, raw)
        except InvalidValue as exc:
            self.add_error(name, str(exc))
            return None
        if value is None and required:
            self.add_error(name, "This field is required.")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        self.values: dict[str, str | None] = {}
        for spec in self.value_specs:
            name = f"f__{spec['id']}"
            _, is_set = self.existing.get(spec["id"], (None, False))
            if self.editing and spec["secure"]:
                if cleaned.get(f"clear__{spec['id']}"):
                    self.values[spec["id"]] = None
                    continue
                value = self._check(name, spec, required=spec["required"] and not is_set)
                if value is not None:
                    self.values[spec["id"]] = value
                continue
            value = self._check(name, spec, required=spec["required"])
            if self.editing:
                if value != self.existing.get(spec["id"], (None, False))[0]:
                    self.values[spec["id"]] = value
            elif value is not None:
                self.values[spec["id"]] = value
        self.subs: dict[str, list[dict]] = {}
        for group in self.sub_rows:
            multi = group["spec"]
            entries = []
            for row in group["rows"]:
                prefix = row["prefix"]
                names = [key for key in self.fields if key.startswith(prefix)]
                if not any((cleaned.get(key) or "").strip() for key in names):
                    continue  # an untouched blank row
                sub_name = (cleaned.get(f"{prefix}name") or "").strip()
                if not sub_name:
                    self.add_error(f"{prefix}name", "Give this sub-credential a name.")
                items = []
                for spec in multi["sub_fields"]:
                    if spec["value_type"] == "multi_credential":
                        continue
                    value = self._check(f"{prefix}f__{spec['id']}", spec, required=spec["required"])
                    if value is not None:
                        items.append({"field_id": spec["id"], "value": value})
                entries.append({"name": sub_name, "fields": items})
            if entries:
                self.subs[multi["id"]] = entries
            elif multi["required"] and not self.editing:
                first = group["rows"][0]["prefix"]
                self.add_error(f"{first}name", f"{multi['name']} is required: add at least one.")
        return cleaned

    def add_links(self, request, client, current: dict | None = None) -> None:
        """Multi-selects for the client's contacts, vendors, assets and software the caller may read."""
        from django.db.models import Q

        from assets.models import Asset, Software
        from clients.models import Contact, Vendor
        from psa.access import has_node

        choices = [
            (
                "contacts",
                "Contacts",
                "contact.read",
                Contact.objects.filter(client=client).order_by("last_name", "first_name"),
            ),
            (
                "vendors",
                "Vendors",
                "vendor.read",
                Vendor.objects.filter(Q(client=client) | Q(client__isnull=True)).order_by("name"),
            ),
            ("assets", "Assets", "asset.read", Asset.objects.filter(client=client).order_by("name")),
            ("software", "Software", "software.read", Software.objects.filter(client=client).order_by("name")),
        ]
        self.link_names = []
        for name, label, node, queryset in choices:
            if not has_node(request, node) or not queryset.exists():
                continue
            self.fields[f"link__{name}"] = forms.ModelMultipleChoiceField(
                queryset=queryset, required=False, label=label, widget=forms.SelectMultiple(attrs={"size": 5})
            )
            if current is not None and not self.is_bound:
                self.initial[f"link__{name}"] = [obj.pk for obj in current.get(name, [])]
            self.link_names.append(name)
        gate_form(self, request)  # the options' labels through the field gate

    def links(self) -> dict:
        return {name: self.cleaned_data.get(f"link__{name}") or [] for name in getattr(self, "link_names", [])}

    def link_inputs(self) -> list:
        return [self[f"link__{name}"] for name in getattr(self, "link_names", [])]

    def field_items(self) -> list[dict]:
        return [{"field_id": k, "value": v} for k, v in self.values.items()]

    def value_inputs(self) -> list[dict]:
        """For the template: each value input with its definition and (editing) its clear box."""
        return [
            {
                "spec": spec,
                "field": self[f"f__{spec['id']}"],
                "clear": self[f"clear__{spec['id']}"] if f"clear__{spec['id']}" in self.fields else None,
                "is_set": self.existing.get(spec["id"], (None, False))[1],
            }
            for spec in self.value_specs
        ]


class NewCredentialStartForm(forms.Form):
    """Step one of creating a credential: which client and which type."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client")
    type = forms.ModelChoiceField(queryset=CredentialType.objects.none(), empty_label="Choose a type")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = restrict(Client.objects.filter(archived_at__isnull=True), request).order_by(
            "name"
        )
        self.fields["type"].queryset = CredentialType.objects.order_by("name")
        gate_form(self, request)  # labels and values through the field gate


class CredentialTypeForm(forms.ModelForm):
    """The type editor. ``fields`` is the definition as JSON; the page's field builder writes it."""

    fields_json = forms.CharField(
        label="Fields (JSON)",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        help_text='A list of {"id", "name", "value_type", "required", "secure", "sub_fields"}.',
    )

    class Meta:
        model = CredentialType
        fields = ["name", "description", "permission_scope", "icon"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "permission_scope": "Who may reveal this type's secrets. Leave it as 'credential' and everyone who may "
            "reveal secrets at all can reveal these. Give it a name of its own, such as credential.domain_admin, to "
            "limit it to the roles you grant credential.domain_admin.read.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["fields_json"] = json.dumps(self.instance.fields, indent=2)
        if not self.instance.pk:
            self.initial.setdefault("permission_scope", DEFAULT_SCOPE)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if is_uuid(name):
            raise ValidationError("A type name cannot look like an id.")
        others = CredentialType.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError("Another credential type has this name.")
        return name

    def clean_permission_scope(self) -> str:
        from rest_framework.exceptions import ValidationError as DRFValidationError

        from credentials.api.serializers import CredentialTypeSerializer

        value = self.cleaned_data["permission_scope"].strip()
        if not re.match(SCOPE_PATTERN, value):
            raise ValidationError("Use dotted lower-case words, e.g. aws.credentials.")
        try:
            return CredentialTypeSerializer().validate_permission_scope(value)
        except DRFValidationError as exc:
            raise ValidationError([str(m) for m in exc.detail]) from None

    def clean_fields_json(self) -> list[dict]:
        try:
            data = loads_bounded(self.cleaned_data["fields_json"])
        except json.JSONDecodeError as exc:
            raise ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        except ValueError as exc:
            raise ValidationError(f"Not valid JSON: {exc}") from None
        try:
            return validate_definition(data)
        except DefinitionError as exc:
            from psa.api.exceptions import flatten_errors

            raise ValidationError(
                [
                    f"{'.'.join(str(p) for p in e['path']) or 'fields'}: {e['message']}"
                    for e in flatten_errors(exc.errors)
                ]
            ) from None

    def save(self, commit: bool = True) -> CredentialType:
        self.instance.fields = self.cleaned_data["fields_json"]
        return super().save(commit=commit)
