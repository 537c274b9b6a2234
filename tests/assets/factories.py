from datetime import date

from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software, SoftwareSeat

_n = iter(range(10**9))


def make_asset(client, **fields) -> Asset:
    n = next(_n)
    fields.setdefault("name", f"PC-{n:04d}")
    return Asset.objects.create(client=client, **fields)


def make_interface(asset, **fields) -> AssetInterface:
    n = next(_n)
    fields.setdefault("name", f"eth{n}")
    fields.setdefault("mac", f"02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}")
    return AssetInterface.objects.create(asset=asset, **fields)


def make_network(client, **fields) -> Network:
    n = next(_n)
    fields.setdefault("name", f"LAN {n}")
    fields.setdefault("cidr", f"10.{n % 250}.0.0/24")
    return Network.objects.create(client=client, **fields)


def make_domain(client, **fields) -> Domain:
    n = next(_n)
    fields.setdefault("name", f"example{n}.com")
    return Domain.objects.create(client=client, **fields)


def make_certificate(client, **fields) -> Certificate:
    n = next(_n)
    fields.setdefault("name", f"Certificate {n}")
    return Certificate.objects.create(client=client, **fields)


def make_software(client, **fields) -> Software:
    n = next(_n)
    fields.setdefault("name", f"Office {n}")
    fields.setdefault("purchase_date", date(2026, 1, 1))
    return Software.objects.create(client=client, **fields)


def make_seat(software, asset=None, contact=None) -> SoftwareSeat:
    return SoftwareSeat.objects.create(software=software, asset=asset, contact=contact)
