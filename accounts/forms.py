"""Forms of the technician UI for sign-in, API keys, users and roles.

Privilege checks that need the request (granting only nodes the editor holds, client scope) happen here so that a
refused change comes back as a form error with the user's input kept.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.api.views import check_others_email, ensure_can_grant
from accounts.models import ApiKey, Role, User
from clients.models import Client
from psa.access import client_scope, restrict
from psa.nodes import categories, is_known

KEY_DEFAULT_DAYS = 90
KEY_MAX_DAYS = 365
LOGIN_RE = re.compile(r"^[\w.@+-]+$")


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That login and password do not match an active account. Check both and try again.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Login"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def scoped_clients(request):
    """The clients the signed-in user may see, for choosing a client scope."""
    return restrict(Client.objects.order_by("name", "id"), request)


class ClientChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Client) -> str:
        label = f"{obj.name} ({obj.identifier})" if obj.identifier else obj.name
        return label if obj.archived_at is None else f"{label} (archived)"


# --- API keys -----------------------------------------------------------------------------------------------------


class ApiKeyForm(forms.Form):
    description = forms.CharField(
        max_length=200,
        help_text="What the key is for, e.g. \u201cbackup script on srv-01\u201d.",
        error_messages={"required": "Enter a description, so you can tell this key apart from your others."},
    )
    purpose = forms.ChoiceField(choices=ApiKey.Purpose.choices, initial=ApiKey.Purpose.GENERAL)
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter an expiry date.",
            "invalid": "Enter the expiry date as YYYY-MM-DD.",
        },
    )
    clients = ClientChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Limit to clients",
        help_text="Optional. The key can never see more clients than you can.",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        today = timezone.localdate()
        self.min_date = today + timedelta(days=1)
        self.max_date = today + timedelta(days=KEY_MAX_DAYS)
        self.fields["expires_on"].initial = today + timedelta(days=KEY_DEFAULT_DAYS)
        self.fields["expires_on"].widget.attrs.update(
            {"min": self.min_date.isoformat(), "max": self.max_date.isoformat()}
        )
        self.fields["expires_on"].help_text = f"Required; at most one year ahead (latest {self.max_date.isoformat()})."
        self.fields["clients"].queryset = scoped_clients(request)
        if client_scope(request) is not None:
            self.fields[
                "clients"
            ].help_text = (
                "Optional. You are limited to some clients: a key without a choice here gets your own client scope."
            )

    def clean_expires_on(self) -> date:
        value = self.cleaned_data["expires_on"]
        if value < self.min_date:
            raise ValidationError("The expiry date must be in the future (tomorrow at the earliest).")
        if value > self.max_date:
            raise ValidationError(
                f"The expiry date can be at most one year ahead: {self.max_date.isoformat()} at the latest."
            )
        return value

    def expires_at(self) -> datetime:
        """The key stops working at the end of the chosen day."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.max))

    def key_clients(self) -> list[Client]:
        """The chosen clients; a scoped user who chose none hands the key their own scope, as the API does."""
        chosen = list(self.cleaned_data.get("clients") or [])
        scope = client_scope(self.request)
        if not chosen and scope is not None:
            return list(Client.objects.filter(pk__in=scope))
        return chosen


# --- Permission nodes ---------------------------------------------------------------------------------------------


def _category_order(category) -> tuple:
    rank = 0 if category.key == "global" else 2 if category.key.startswith("obj.") else 1
    return (rank, category.name.lower())


def registry_groups() -> list[tuple]:
    """``(category, [(node, label), ...])`` for every category of the registry, in display order.

    A category gets a ``<key>.*`` wildcard option (when that is not already a node) so whole areas can be granted.
    """
    groups = []
    for category in sorted(categories().values(), key=_category_order):
        options = []
        wildcard = f"{category.key}.*"
        if category.key != "global" and wildcard not in category.nodes and is_known(wildcard):
            options.append((wildcard, "Everything in this category, including nodes added later"))
        options.extend((node.node, node.description) for node in category.nodes.values())
        groups.append((category, options))
    return groups


def _dom_id(prefix: str, value: str) -> str:
    return f"{prefix}_{re.sub(r'[^a-zA-Z0-9]+', '-', value.replace('*', 'all')).strip('-')}"


class PermissionNodesMixin:
    """Adds ``permissions`` (checkboxes from the registry) and ``other_grants`` (grants the registry lists not)."""

    def setup_permissions(self, current: list[str], label: str = "Permission nodes") -> None:
        self._groups = registry_groups()
        choices = [option for _, options in self._groups for option in options]
        listed = {value for value, _ in choices}
        self._current_grants = set(current or [])
        self.fields["permissions"] = forms.MultipleChoiceField(
            choices=choices, required=False, label=label, widget=forms.CheckboxSelectMultiple
        )
        self.fields["other_grants"] = forms.CharField(
            required=False,
            label="Other grants",
            widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
            help_text="One per line: wildcards such as ticket.* or obj.*, or nodes not listed above.",
        )
        self.initial["permissions"] = sorted(n for n in self._current_grants if n in listed)
        self.initial["other_grants"] = "\n".join(sorted(n for n in self._current_grants if n not in listed))

    def clean_other_grants(self) -> list[str]:
        grants = [g for g in re.split(r"[\s,]+", self.cleaned_data.get("other_grants") or "") if g]
        # A grant already held may stay even if no app declares it yet (the built-in roles name future apps).
        unknown = [g for g in grants if not is_known(g) and g not in self._current_grants]
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise ValidationError(
                f"Unknown permission node{plural}: {', '.join(unknown)}. "
                "Tick nodes from the list above, or use a wildcard that covers registered nodes, such as client.*."
            )
        return grants

    def granted_nodes(self) -> list[str]:
        return sorted(
            set(self.cleaned_data.get("permissions") or []) | set(self.cleaned_data.get("other_grants") or [])
        )

    def node_groups(self) -> list[dict]:
        """The permission checkboxes grouped by category, for the template."""
        field = self["permissions"]
        selected = set(field.value() or [])
        groups = []
        for category, options in self._groups:
            items = [
                {"value": value, "label": label, "checked": value in selected, "id": _dom_id(field.auto_id, value)}
                for value, label in options
            ]
            groups.append(
                {
                    "key": category.key,
                    "name": category.name,
                    "description": category.description,
                    "items": items,
                    "selected": sum(item["checked"] for item in items),
                }
            )
        return groups


def _grant_error(request, nodes) -> str | None:
    """Reuses the API's rule: nobody hands out nodes they do not hold."""
    try:
        ensure_can_grant(request, nodes)
    except ApiPermissionDenied as exc:
        return str(exc.detail)
    return None


# --- Roles --------------------------------------------------------------------------------------------------------


class RoleForm(PermissionNodesMixin, forms.ModelForm):
    class Meta:
        model = Role
        fields = ["title", "moniker", "description"]
        help_texts = {
            "moniker": "The role's short name in the API: lower-case letters, digits, hyphens and underscores.",
        }
        error_messages = {
            "title": {"required": "Enter a title for the role."},
            "moniker": {
                "required": "Enter a moniker, e.g. helpdesk.",
                "invalid": "Use only letters, digits, hyphens and underscores in the moniker (no spaces).",
            },
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, request, can_modify: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.setup_permissions([] if self.instance._state.adding else self.instance.permissions)
        self.fields["moniker"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})
        if not self.instance._state.adding and self.instance.is_builtin:
            self.fields["moniker"].disabled = True
            self.fields["moniker"].help_text = "Built-in roles keep their moniker."
        if not can_modify:
            for field in self.fields.values():
                field.disabled = True

    def clean_moniker(self) -> str:
        value = self.cleaned_data["moniker"]
        clash = Role.objects.filter(moniker__iexact=value).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"A role with the moniker \u201c{value}\u201d already exists; choose another.")
        return value

    def clean(self):
        cleaned = super().clean()
        if "permissions" in cleaned and "other_grants" in cleaned:
            added = set(self.granted_nodes()) - self._current_grants
            if error := _grant_error(self.request, added):
                self.add_error("permissions", error)
        return cleaned

    def save(self, commit: bool = True) -> Role:
        role = super().save(commit=False)
        role.permissions = self.granted_nodes()
        if commit:
            role.save()
        return role


# --- Users --------------------------------------------------------------------------------------------------------


class RoleChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Role) -> str:
        return obj.title


class UserForm(PermissionNodesMixin, forms.ModelForm):
    """Edit another user. Fields the editor may not change are shown disabled and ignored on submit."""

    roles = RoleChoiceField(queryset=Role.objects.all(), required=False)
    allowed_clients = ClientChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Allowed clients",
        help_text="The clients this user may see. None ticked means every client.",
    )

    class Meta:
        model = User
        fields = ["name", "email", "is_active", "roles", "allowed_clients"]
        labels = {"is_active": "Active (may sign in and use API keys)"}
        error_messages = {"email": {"invalid": "Enter a valid email address, like name@example.com."}}

    def __init__(self, *args, request, can_write=True, can_roles=False, can_permissions=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        adding = self.instance._state.adding
        self.setup_permissions([] if adding else self.instance.permissions, label="Direct permission nodes")
        visible = scoped_clients(request)
        self.fields["allowed_clients"].queryset = visible
        visible_ids = set(visible.values_list("pk", flat=True))
        existing = set() if adding else set(self.instance.allowed_clients.values_list("pk", flat=True))
        # Clients outside the editor's own scope cannot be shown, so they are kept as they are.
        self.hidden_clients = existing - visible_ids
        self._initial_roles = set() if adding else set(self.instance.roles.values_list("pk", flat=True))
        if client_scope(request) is not None:
            self.fields[
                "allowed_clients"
            ].help_text = "The clients this user may see. You are limited to some clients, so tick at least one."
        if not can_roles:
            self.fields["roles"].disabled = True
            self.fields["roles"].help_text = "Changing roles needs the permission user.roles.other."
        if not can_permissions:
            self.fields["permissions"].disabled = True
            self.fields["other_grants"].disabled = True
            self.fields["permissions"].help_text = "Changing direct nodes needs the permission user.permissions.other."
        if not can_write:
            for field in self.fields.values():
                field.disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk == self.request.user.pk and cleaned.get("is_active") is False:
            self.add_error("is_active", "You cannot deactivate your own user.")
        if "roles" in cleaned and not self.fields["roles"].disabled:
            added = [role for role in cleaned["roles"] if role.pk not in self._initial_roles]
            if error := _grant_error(self.request, [n for role in added for n in role.permissions]):
                self.add_error("roles", error)
        if "permissions" in cleaned and "other_grants" in cleaned and not self.fields["permissions"].disabled:
            added = set(self.granted_nodes()) - self._current_grants
            if error := _grant_error(self.request, added):
                self.add_error("permissions", error)
        email = cleaned.get("email")
        if self.instance.pk and self.instance.pk != self.request.user.pk and email is not None:
            try:
                check_others_email(self.request, self.instance, email)
            except (ApiPermissionDenied, ApiValidationError) as exc:
                detail = exc.detail["email"][0] if isinstance(exc.detail, dict) else exc.detail
                self.add_error("email", str(detail))
        if "allowed_clients" in cleaned and client_scope(self.request) is not None and not self.final_clients():
            self.add_error(
                "allowed_clients",
                "Tick at least one client: you are limited to some clients, so you cannot give access to all of them.",
            )
        return cleaned

    def final_clients(self) -> set:
        return {c.pk for c in self.cleaned_data.get("allowed_clients") or []} | self.hidden_clients

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.permissions = self.granted_nodes()
        if user._state.adding:
            user.set_unusable_password()  # the new user chooses one through a one-time link
        user.save()
        user.roles.set(self.cleaned_data.get("roles") or [])
        user.allowed_clients.set(self.final_clients())
        return user


class UserCreateForm(UserForm):
    """A new user has no password: the page that creates them shows a one-time link for choosing one."""

    class Meta(UserForm.Meta):
        fields = ["login", "name", "email", "is_active", "roles", "allowed_clients"]
        help_texts = {"login": "Used to sign in: letters, digits and @ . + - _ only."}
        error_messages = {
            **UserForm.Meta.error_messages,
            "login": {"required": "Enter a login for the new user."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_active"].initial = True
        self.fields["login"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def clean_login(self) -> str:
        value = self.cleaned_data["login"].strip()
        if not LOGIN_RE.match(value):
            raise ValidationError("Use only letters, digits and @ . + - _ in the login (no spaces).")
        if User.objects.filter(login__iexact=value).exists():
            raise ValidationError(f"A user with the login \u201c{value}\u201d already exists.")
        return value


class ConfirmOwnPasswordForm(forms.Form):
    """Re-entering one's own password before acting on someone else's account."""

    your_password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your own password, to confirm it is you.",
        error_messages={"required": "Enter your own password to confirm."},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_your_password(self) -> str:
        value = self.cleaned_data["your_password"]
        if not self.user.check_password(value):
            raise ValidationError("That is not your password. Enter the password you sign in with.")
        return value
