"""Demo documentation for ``make run``: each client's network, devices, domains, certificates and software.

Some domains, certificates, warranties and licences expire within the next weeks, so the expirations panel and
``GET /expirations`` have something to show on the first run.
"""

from __future__ import annotations

import ipaddress

from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software
from psa.demo import DemoContext, demo_builder

T = Asset.Type
# (name suffix, type, make, model, os)
DEVICES = [
    ("FW01", T.FIREWALL, "Ubiquiti", "UniFi Dream Machine Pro", "UniFi OS 4.1"),
    ("SW01", T.SWITCH, "Ubiquiti", "USW-Pro-24-PoE", ""),
    ("AP01", T.ACCESS_POINT, "Ubiquiti", "U6-Pro", ""),
    ("SRV01", T.SERVER, "Dell", "PowerEdge R650", "Windows Server 2022"),
    ("PC-RECEPTION", T.DESKTOP, "Dell", "OptiPlex 7010", "Windows 11 Pro"),
    ("LT-MANAGER", T.LAPTOP, "Dell", "Latitude 7440", "Windows 11 Pro"),
    ("PRN01", T.PRINTER, "HP", "LaserJet Pro M404", ""),
]
# (name, type, license type, seats, vendor)
SOFTWARE = [
    ("Microsoft 365 Business Premium", Software.Type.PRODUCTIVITY, Software.LicenseType.USER, 25, "Microsoft"),
    ("SentinelOne Control", Software.Type.SECURITY, Software.LicenseType.DEVICE, 30, None),
    ("Windows Server 2022 Standard", Software.Type.OPERATING_SYSTEM, Software.LicenseType.PERPETUAL, 1, "Microsoft"),
]


def _mac(ctx: DemoContext) -> str:
    return "24:5a:4c:" + ":".join(f"{ctx.rng.randrange(256):02x}" for _ in range(3))


@demo_builder(order=30)
def build_documentation(ctx: DemoContext) -> str:
    counts = {"assets": 0, "networks": 0, "domains": 0, "certificates": 0, "software": 0}
    vendors = ctx.made.get("vendors", {})
    assets_by_client: dict = {}
    for number, client in enumerate(ctx.made.get("clients", [])):
        site = client.locations.order_by("-is_primary", "name").first()
        contact = client.contacts.order_by("-is_primary", "last_name").first()
        subnet = ipaddress.ip_network(f"10.{10 + number}.0.0/24")
        hosts = list(subnet.hosts())
        network = Network.objects.create(
            client=client, name="LAN", vlan=1, cidr=str(subnet), gateway=str(hosts[0]),
            dhcp_range=f"{hosts[99]}-{hosts[199]}", location=site,
        )  # fmt: skip
        Network.objects.create(client=client, name="Guest Wi-Fi", vlan=20, cidr=f"10.{10 + number}.20.0/24")
        counts["networks"] += 2
        rows = []
        for index, (suffix, kind, make, model, os_name) in enumerate(DEVICES):
            warranty = ctx.days(ctx.rng.choice([12, 25, 200, 400, 700])) if kind != T.PRINTER else None
            asset = Asset.objects.create(
                client=client, name=f"{client.identifier}-{suffix}", type=kind, make=make, model=model, os=os_name,
                serial=f"{client.identifier[:3]}{ctx.rng.randrange(10**7, 10**8)}", location=site,
                contact=contact if kind == T.LAPTOP else None, network=network,
                vendor=vendors.get("Dell Technologies") if make == "Dell" else vendors.get("Ubiquiti"),
                purchase_date=ctx.days(-ctx.rng.randrange(90, 1400)), warranty_expires=warranty,
            )  # fmt: skip
            AssetInterface.objects.create(
                asset=asset, name="eth0", mac=_mac(ctx), ipv4=str(hosts[index + 1]), network=network, is_primary=True
            )
            if kind in (T.FIREWALL, T.SERVER):
                AssetInterface.objects.create(asset=asset, name="eth1", mac=_mac(ctx), port="WAN" if index == 0 else "")
            rows.append(asset)
        assets_by_client[client.pk] = rows
        counts["assets"] += len(rows)
        if client.website:
            host = client.website.split("//", 1)[1]
            domain = Domain.objects.create(
                client=client, name=host.removeprefix("www."), registrar=vendors.get("Cloudflare"),
                expires_on=ctx.days(ctx.rng.choice([9, 21, 140, 300])), name_servers=["ns1.cloudflare.com"],
            )  # fmt: skip
            Certificate.objects.create(
                client=client, name=f"{host} TLS", domain=host, domain_record=domain, issuer="Sectigo RSA DV CA",
                issued_on=ctx.days(-340), expires_on=ctx.days(ctx.rng.choice([6, 18, 25, 190])),
            )  # fmt: skip
            counts["domains"] += 1
            counts["certificates"] += 1
        for name, kind, license_type, seats, vendor in SOFTWARE:
            Software.objects.create(
                client=client, name=name, type=kind, license_type=license_type, seats=seats,
                vendor=vendors.get(vendor) if vendor else None, purchase_date=ctx.days(-330),
                expires_on=ctx.days(ctx.rng.choice([14, 35, 35, 365])) if license_type != "perpetual" else None,
            )  # fmt: skip
            counts["software"] += 1
    ctx.made["assets"] = assets_by_client
    return ", ".join(f"{n} {label}" for label, n in counts.items())
