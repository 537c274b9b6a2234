"""The user's own UI preferences (profile page): time zone and single-key keyboard shortcuts (WCAG 2.1.4)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from psa import audit


@cache
def zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [("", "The server's time zone"), ("UTC", "UTC"), *((z, z.replace("_", " ")) for z in zones)]


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        required=False, label="Time zone", help_text="Times in the UI are shown in this zone, with the zone named."
    )
    keyboard_shortcuts = forms.BooleanField(
        required=False,
        label="Single-key keyboard shortcuts",
        help_text="j/k to move through lists, x to select, / to search, ? for help. Turn them off if you use speech "
        "input or a switch device, where a stray letter would act.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()


def form_for(user) -> PreferencesForm:
    return PreferencesForm(initial={"time_zone": user.time_zone, "keyboard_shortcuts": user.keyboard_shortcuts})


@login_required
@require_POST
def preferences(request):
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a time zone from the list.")
        return redirect("accounts:profile")
    user = request.user
    before = audit.snapshot(user)
    user.time_zone = form.cleaned_data["time_zone"]
    user.keyboard_shortcuts = form.cleaned_data["keyboard_shortcuts"]
    user.save(update_fields=["time_zone", "keyboard_shortcuts", "updated_at"])
    changes = audit.diff(before, audit.snapshot(user))
    if changes:
        audit.record(request, "update", user, changes=changes)
    messages.success(request, "Preferences saved.")
    return redirect("accounts:profile")
