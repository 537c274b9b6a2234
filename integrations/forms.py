"""The Integrations page's form: a source's fields, its kind's settings and its secrets (which go to the vault)."""

from __future__ import annotations

from django import forms

from integrations import registry


class SourceForm(forms.Form):
    """ConnectWise fields today; each kind's settings and secrets come from the registry, prefixed by the kind."""

    kind = forms.ChoiceField(choices=())
    name = forms.CharField(max_length=100)
    base_url = forms.CharField(max_length=500, label="Base URL", help_text="e.g. https://api-na.myconnectwise.net")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kinds = registry.kinds()
        self.fields["kind"].choices = [(key, kind.label) for key, kind in sorted(kinds.items())]
        for key, kind in sorted(kinds.items()):
            for setting in kind.settings_fields:
                self.fields[f"{key}__{setting.name}"] = forms.CharField(
                    label=setting.label, required=False, initial=setting.default, help_text=setting.help, max_length=200
                )
            for secret in kind.secret_fields:
                self.fields[f"{key}__secret__{secret.name}"] = forms.CharField(
                    label=f"{secret.label} (kept in the vault)", required=False, max_length=2000,
                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                )  # fmt: skip

    def api_body(self) -> dict:
        """The body the API's serializer validates (one set of rules for the API and the page)."""
        data = self.cleaned_data
        kind = registry.get(data["kind"])
        body = {"kind": data["kind"], "name": data["name"], "base_url": data["base_url"], "settings": {}, "secrets": {}}
        for setting in kind.settings_fields:
            value = (data.get(f"{kind.key}__{setting.name}") or "").strip()
            if value:
                body["settings"][setting.name] = value
        for secret in kind.secret_fields:
            value = data.get(f"{kind.key}__secret__{secret.name}") or ""
            if value:
                body["secrets"][secret.name] = value
        return body

    def add_api_errors(self, errors: dict, kind: str) -> None:
        for name, problems in errors.items():
            if name in ("settings", "secrets") and isinstance(problems, dict):
                for sub, messages in problems.items():
                    field = f"{kind}__{sub}" if name == "settings" else f"{kind}__secret__{sub}"
                    self.add_error(field if field in self.fields else None, [str(m) for m in messages])
            else:
                field = name if name in self.fields else None
                self.add_error(field, [str(m) for m in (problems if isinstance(problems, list) else [problems])])
