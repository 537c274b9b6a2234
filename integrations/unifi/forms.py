"""The UniFi pages' forms; their values are checked by the API's serializers, so both paths refuse the same input."""

from __future__ import annotations

from django import forms

from integrations.unifi.wifi import BAND_CHOICES, SECURITY_CHOICES, WPA_MODE_CHOICES

SECURITY_LABELS = {"wpapsk": "WPA personal (passphrase)", "wpaeap": "WPA enterprise (RADIUS)", "open": "Open"}
WPA_LABELS = {"wpa2": "WPA2", "wpa3": "WPA3", "wpa2wpa3": "WPA2/WPA3 transition"}
BAND_LABELS = {"both": "2.4 and 5 GHz", "2g": "2.4 GHz", "5g": "5 GHz"}


class WlanForm(forms.Form):
    name = forms.CharField(label="Network name (SSID)", max_length=32)
    x_passphrase = forms.CharField(
        label="New passphrase", required=False, strip=False, max_length=64,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current one. 8-63 printable characters.",
    )  # fmt: skip
    enabled = forms.BooleanField(label="Enabled", required=False)
    security = forms.ChoiceField(choices=[(c, SECURITY_LABELS[c]) for c in SECURITY_CHOICES])
    wpa_mode = forms.ChoiceField(label="WPA mode", choices=[(c, WPA_LABELS[c]) for c in WPA_MODE_CHOICES])
    band = forms.ChoiceField(choices=[(c, BAND_LABELS[c]) for c in BAND_CHOICES])
    hide_ssid = forms.BooleanField(label="Hide the network name", required=False)
    is_guest = forms.BooleanField(label="Guest network", required=False)

    @staticmethod
    def initial_from(wlan: dict) -> dict:
        mode = "wpa2wpa3" if wlan.get("wpa3_transition") else "wpa3" if wlan.get("wpa3_support") else "wpa2"
        band = wlan.get("wlan_band") if wlan.get("wlan_band") in BAND_CHOICES else "both"
        return {"name": wlan.get("name"), "enabled": bool(wlan.get("enabled")), "security": wlan.get("security"),
                "wpa_mode": mode, "band": band, "hide_ssid": bool(wlan.get("hide_ssid")),
                "is_guest": bool(wlan.get("is_guest"))}  # fmt: skip

    def changes(self) -> dict:
        """Only what differs from the form's initial values (an empty passphrase keeps the current one)."""
        return {
            name: value for name, value in self.cleaned_data.items()
            if (name == "x_passphrase" and value) or (name != "x_passphrase" and value != self.initial.get(name))
        }  # fmt: skip


class PpskForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="Who or what uses this key")
    key = forms.CharField(
        label="Key", strip=False, max_length=64, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="8-63 printable characters; shown again only to holders of the PPSK permission.",
    )  # fmt: skip
    mac = forms.CharField(label="Device MAC address", required=False, max_length=40)
    vlan_id = forms.IntegerField(label="VLAN", required=False, min_value=1, max_value=4094)

    def body(self) -> dict:
        data = dict(self.cleaned_data)
        return {k: v for k, v in data.items() if v not in (None, "")}
