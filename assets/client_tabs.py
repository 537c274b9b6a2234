"""The assets app's tabs on the client page: assets, networks, domains, certificates and software.

Each is a documentation kind (``clients.views.Kind``: its table, filters and forms, served by the client pages'
shared views) and a tab of :mod:`psa.tabs`, counted on the client's overview.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.utils.html import format_html

from assets.api.serializers import (
    AssetSerializer,
    CertificateSerializer,
    DomainSerializer,
    NetworkSerializer,
    SoftwareSerializer,
)
from assets.filtersets import AssetFilterSet, CertificateFilterSet, DomainFilterSet, NetworkFilterSet, SoftwareFilterSet
from assets.forms import CertificateForm, DomainForm, NetworkForm, SoftwareForm
from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software
from clients.client_tabs import register_kind_tab
from clients.views import (
    EMPTY,
    KINDS,
    Column,
    Kind,
    _code,
    _display,
    _link,
    _primary_interface,
    _related,
    _seats,
    _text,
    expiry,
)

ORDER = 30  # after contacts and locations

_KINDS = [
    Kind(
        key="assets",
        label="Assets",
        noun="asset",
        model=Asset,
        node="asset",
        serializer=AssetSerializer,
        filterset=AssetFilterSet,
        search_hint="Name, serial number, make, model, MAC or IP address",
        expiring=True,
        own_pages="assets:asset",
        queryset=lambda: Asset.objects.prefetch_related(
            Prefetch("interfaces", queryset=AssetInterface.objects.order_by("-is_primary", "name", "id"))
        ),
        columns=(
            Column("Name", "name", _link("assets")),
            Column("Type", "type", _display("type")),
            Column("Status", "status", _display("status")),
            Column("Serial number", "serial", _code("serial")),
            Column(
                "Primary interface",
                ("interfaces", "obj.asset_interface.mac", "obj.asset_interface.ipv4"),
                _primary_interface,
            ),
            Column("Warranty", "warranty_expires", lambda a: expiry(a.warranty_expires)),
        ),
    ),
    Kind(
        key="networks",
        label="Networks",
        noun="network",
        model=Network,
        node="network",
        serializer=NetworkSerializer,
        filterset=NetworkFilterSet,
        form=NetworkForm,
        search_hint="Name, network or gateway",
        queryset=lambda: Network.objects.select_related("location"),
        columns=(
            Column("Name", "name", _link("networks")),
            Column("Network", "cidr", _code("cidr")),
            Column("VLAN", "vlan", lambda n: n.vlan if n.vlan is not None else EMPTY, "num"),
            Column("Gateway", "gateway", _code("gateway")),
            Column("DHCP range", "dhcp_range", _code("dhcp_range")),
            Column("Location", ("location_id", "obj.location.name"), _related("location")),
        ),
        labels={"cidr": "Network (CIDR)", "vlan": "VLAN", "dhcp_range": "DHCP range", "location_id": "Location"},
    ),
    Kind(
        key="domains",
        label="Domains",
        noun="domain",
        model=Domain,
        node="domain",
        serializer=DomainSerializer,
        filterset=DomainFilterSet,
        form=DomainForm,
        search_hint="Domain name",
        expiring=True,
        queryset=lambda: Domain.objects.select_related("registrar", "web_host"),
        columns=(
            Column("Domain", "name", _link("domains")),
            Column("Registrar", ("registrar_id", "obj.vendor.name"), _related("registrar")),
            Column("Expires", "expires_on", lambda d: expiry(d.expires_on)),
            Column("Name servers", "name_servers", lambda d: ", ".join(d.name_servers) or EMPTY),
        ),
        labels={"ip": "IP address", "expires_on": "Expires on"},
    ),
    Kind(
        key="certificates",
        label="Certificates",
        noun="certificate",
        model=Certificate,
        node="certificate",
        serializer=CertificateSerializer,
        filterset=CertificateFilterSet,
        form=CertificateForm,
        search_hint="Name, host name or issuer",
        expiring=True,
        queryset=lambda: Certificate.objects.select_related("domain_record"),
        columns=(
            Column("Name", "name", _link("certificates")),
            Column("Host name", "domain", _text("domain")),
            Column("Issuer", "issuer", _text("issuer")),
            Column("Expires", "expires_on", lambda c: expiry(c.expires_on)),
        ),
        labels={"domain": "Host name", "domain_id": "Domain record", "public_key": "Certificate (PEM)"},
    ),
    Kind(
        key="software",
        label="Software",
        noun="licence",
        model=Software,
        node="software",
        serializer=SoftwareSerializer,
        filterset=SoftwareFilterSet,
        form=SoftwareForm,
        search_hint="Name, version or notes",
        expiring=True,
        queryset=lambda: Software.objects.select_related("vendor")
        .annotate(seats_used=Count("seat_assignments"))
        .order_by("name", "id"),
        columns=(
            Column(
                "Name",
                ("name", "version"),  # str(software) is its name and version
                lambda s: format_html('<a href="{}">{}</a>', KINDS["software"].object_url(s), s),
            ),
            Column("Type", "type", _display("type")),
            Column("Licence", "license_type", _display("license_type")),
            Column("Seats used", "seats", _seats, "num"),
            Column("Expires", "expires_on", lambda s: expiry(s.expires_on)),
        ),
        labels={"license_type": "Licence type", "seats": "Seats", "seats_used": "Seats used"},
    ),
]

for _offset, _kind in enumerate(_KINDS):
    register_kind_tab(_kind, ORDER + _offset)
