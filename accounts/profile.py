"""The signed-in user's own name and email on the profile page (the UI side of ``PATCH /api/v1/users/@me``).

The same rules as the API: the ``user.write`` node, field gating (a field the user may not see is not offered), and
a new email address confirmed by the current password and unique among users (single sign-on links by email).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.api.serializers import validate_own_email
from accounts.models import User
from psa import audit, gating
from psa.views import deny_unless


class ProfileDetailsForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name", help_text="As others see you in PSA.")
    email = forms.EmailField(max_length=254, required=False, label="Email")
    current_password = forms.CharField(
        required=False,
        strip=False,
        label="Current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed only to change your email address.",
    )

    def __init__(self, *args, user: User, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("name", "email"):
            if not gating.field_visible(request, "user", name):
                del self.fields[name]
        if "email" not in self.fields or not user.has_usable_password():
            self.fields.pop("current_password", None)
        if "email" in self.fields and not user.has_usable_password():
            self.fields["email"].disabled = True
            self.fields["email"].help_text = "It comes from your single sign-on provider."

    def clean_name(self) -> str:
        value = self.cleaned_data["name"]
        if any(ord(c) < 32 for c in value):
            raise forms.ValidationError("A name cannot contain control characters.")
        return value.strip()

    def clean(self) -> dict:
        data = super().clean()
        if "email" in self.fields and "email" in data and not self.fields["email"].disabled:
            data["email"] = User.objects.normalize_email(data["email"])
            for field, message in validate_own_email(self.user, data["email"], data.get("current_password")).items():
                self.add_error(field, message)
        return data


def form_for(request) -> ProfileDetailsForm:
    user = request.user
    return ProfileDetailsForm(initial={"name": user.name, "email": user.email}, user=user, request=request)


@login_required
@require_POST
def update_details(request):
    deny_unless(request, "user.write")
    form = ProfileDetailsForm(request.POST, user=request.user, request=request)
    if not form.is_valid():
        from accounts.views import profile

        return profile(request, details_form=form)
    user = request.user
    with transaction.atomic():
        before = audit.snapshot(user)
        fields = [name for name in ("name", "email") if name in form.fields and not form.fields[name].disabled]
        for name in fields:
            setattr(user, name, form.cleaned_data[name])
        user.save(update_fields=[*fields, "updated_at"])
        changes = audit.diff(before, audit.snapshot(user))
        if changes:
            audit.record(request, "update", user, changes=changes)
    messages.success(request, "Your details were saved." if changes else "Nothing changed.")
    return redirect("accounts:profile")
