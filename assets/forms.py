"""Forms of the asset and client documentation pages. Validation is the API serializers' (:mod:`psa.forms`)."""

from __future__ import annotations

import uuid

from django import forms

from assets.api.serializers import (
    AssetInterfaceSerializer,
    AssetSerializer,
    CertificateSerializer,
    DomainSerializer,
    NetworkSerializer,
    SoftwareSerializer,
)
from assets.models import Asset, Domain, Network, Software
from clients.forms import ClientDocumentForm, _choices
from clients.models import Client, Location
from psa.access import restrict
from psa.forms import RawChoiceField, SerializerForm
from psa.ui_gate import gate_form, gated_label


class AssetForm(ClientDocumentForm):
    serializer_class = AssetSerializer
    field_names = (
        "name", "type", "status", "make", "model", "serial", "os", "purchase_date", "install_date",
        "warranty_expires", "location_id", "contact_id", "vendor_id", "network_id", "uri", "tags", "is_archived",
        "notes",
    )  # fmt: skip
    labels = {
        "serial": "Serial number",
        "warranty_expires": "Warranty expires",
        "contact_id": "Assigned contact",
        "uri": "URI",
        "is_archived": "Archived (retired from the active list)",
    }
    help_texts = {"uri": "A link to manage the asset, e.g. https://fw01.example.com.", "tags": "Separate with commas."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "is_archived" in self.fields and self.instance is not None and not self.is_bound:
            # write-only in the API, so the representation does not carry it
            self.initial["is_archived"] = self.instance.archived_at is not None

    def related_choices(self):
        return {
            "location_id": _choices(self.request, self.client_rows(Location)),
            "contact_id": self.contact_choices(),
            "vendor_id": self.vendor_choices(),
            "network_id": _choices(self.request, self.client_rows(Network)),
        }


class InterfaceForm(SerializerForm):
    """An interface of ``asset`` (the API's ``/assets/{id}/interfaces``: the asset is the serializer's parent)."""

    serializer_class = AssetInterfaceSerializer
    field_names = ("name", "mac", "ipv4", "ipv6", "port", "network_id", "is_primary")
    labels = {"ipv4": "IPv4 address", "ipv6": "IPv6 address", "is_primary": "Primary interface"}
    help_texts = {
        "name": "e.g. eth0, Wi-Fi or iDRAC.",
        "mac": "Any common notation: 00:1A:2B:3C:4D:5E, 00-1a-2b-3c-4d-5e or 001a.2b3c.4d5e.",
        "port": "The switch port it is plugged into, if known.",
    }
    widgets = {"mac": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})}

    def __init__(self, data=None, *, asset: Asset, request, instance=None, **kwargs):
        self.asset = asset
        context = {"parent": asset}
        super().__init__(data, request=request, instance=instance, context=context, **kwargs)

    def related_choices(self):
        return {
            "network_id": _choices(
                self.request, restrict(Network.objects.filter(client=self.asset.client), self.request)
            )
        }

    def save(self, **save_kwargs):
        if self.instance is None:
            save_kwargs.setdefault("asset", self.asset)
        return super().save(**save_kwargs)


class NetworkForm(ClientDocumentForm):
    serializer_class = NetworkSerializer
    field_names = ("name", "cidr", "vlan", "gateway", "dhcp_range", "location_id", "notes")
    labels = {"cidr": "Network (CIDR)", "vlan": "VLAN", "dhcp_range": "DHCP range"}
    help_texts = {
        "cidr": "e.g. 192.168.1.0/24 or 2001:db8::/64.",
        "vlan": "1 to 4094.",
        "gateway": "Must lie inside the network.",
        "dhcp_range": "first-last, e.g. 192.168.1.100-192.168.1.200.",
    }

    def related_choices(self):
        return {"location_id": _choices(self.request, self.client_rows(Location))}


class DomainForm(ClientDocumentForm):
    serializer_class = DomainSerializer
    field_names = ("name", "registrar_id", "web_host_id", "expires_on", "ip", "name_servers", "mail_servers", "notes")
    labels = {"name": "Domain name", "expires_on": "Expires on", "ip": "IP address", "name_servers": "Name servers",
              "mail_servers": "Mail servers"}  # fmt: skip
    help_texts = {"name": "e.g. example.com."}
    widgets = {
        "name_servers": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        "mail_servers": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    }

    def related_choices(self):
        vendors = self.vendor_choices()
        return {"registrar_id": vendors, "web_host_id": vendors}


class CertificateForm(ClientDocumentForm):
    serializer_class = CertificateSerializer
    field_names = ("name", "public_key", "domain", "domain_id", "issued_on", "expires_on", "issuer", "notes")
    labels = {
        "public_key": "Certificate (PEM)",
        "domain": "Host name",
        "domain_id": "Domain record",
        "issued_on": "Issued on",
        "expires_on": "Expires on",
    }
    help_texts = {
        "public_key": "Paste the certificate (-----BEGIN CERTIFICATE----- ...): its dates, issuer and host name are "
        "read from it and win over the fields below.",
        "domain": "e.g. www.example.com or *.example.com.",
    }
    widgets = {"public_key": forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"})}

    def related_choices(self):
        return {"domain_id": _choices(self.request, self.client_rows(Domain))}


class SoftwareForm(ClientDocumentForm):
    serializer_class = SoftwareSerializer
    field_names = ("name", "version", "type", "license_type", "vendor_id", "seats", "purchase_date", "expires_on",
                   "notes")  # fmt: skip
    labels = {"license_type": "Licence type", "purchase_date": "Purchased on", "expires_on": "Expires on"}
    help_texts = {"seats": "Leave empty for unlimited."}

    def related_choices(self):
        return {"vendor_id": self.vendor_choices()}


class SeatForm(forms.Form):
    """Give ``asset`` a seat of one of its client's licences. The seat rules are the API's (serializer + seats)."""

    software_id = RawChoiceField(label="Licence", choices=[])

    def __init__(self, data=None, *, asset: Asset, request, **kwargs):
        super().__init__(data, **kwargs)
        held = asset.software_seats.values("software_id")
        self.licences = restrict(Software.objects.filter(client=asset.client_id), request).exclude(pk__in=held)
        self.fields["software_id"].choices = [("", "Choose a licence")] + [
            (str(s.pk), gated_label(request, s)) for s in self.licences.order_by("name", "version", "id")
        ]
        gate_form(self, request)  # labels and values through the field gate

    def clean_software_id(self) -> Software:
        try:
            software = self.licences.filter(pk=uuid.UUID(str(self.cleaned_data.get("software_id")))).first()
        except ValueError:
            software = None
        if software is None:
            raise forms.ValidationError("Choose one of this client's licences that the asset does not hold yet.")
        return software


class ChooseClientForm(forms.Form):
    """The first step of a new asset: whose is it? (Its locations, contacts and networks depend on the answer.)"""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        label="Client",
        empty_label="Choose a client",
        error_messages={"required": "Choose the client the asset belongs to.",
                        "invalid_choice": "Choose one of the clients in the list."},
    )  # fmt: skip

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = restrict(Client.objects.filter(archived_at__isnull=True), request)
        gate_form(self, request)  # labels and values through the field gate
