"""Route-harness objects for the assets app."""

from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software, SoftwareSeat
from tests.assets.factories import (
    make_asset,
    make_certificate,
    make_domain,
    make_interface,
    make_network,
    make_seat,
    make_software,
)
from tests.factories import make_contact


def build(world) -> None:
    a, b = world.client_a, world.client_b
    asset_a, asset_b = make_asset(a, serial="SER-A"), make_asset(b, serial="SER-B")
    world.add(Asset, asset_a, asset_b)
    world.add(AssetInterface, make_interface(asset_a), make_interface(asset_b))
    world.add(Network, make_network(a), make_network(b))
    world.add(Domain, make_domain(a), make_domain(b))
    world.add(Certificate, make_certificate(a), make_certificate(b))
    software_a, software_b = make_software(a, seats=10), make_software(b, seats=10)
    world.add(Software, software_a, software_b)
    world.add(SoftwareSeat, make_seat(software_a, asset=asset_a), make_seat(software_b, asset=asset_b))
    # Nested routes take their parent's id from the URL.
    world.add_kwarg("asset_id", asset_a, asset_b)
    world.add_kwarg("software_id", software_a, software_b)


BODIES = {
    ("asset-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "New PC", "type": "laptop"},
    ("asset-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("asset-detail", "PATCH"): lambda w: {"status": "retired"},
    ("asset-upsert", "PUT"): lambda w: {"client_id": str(w.client_a.pk), "serial": "SER-A", "name": "Upserted"},
    ("asset-interface-list", "POST"): lambda w: {"name": "wlan0", "mac": "02:aa:bb:cc:dd:ee"},
    ("asset-interface-detail", "PUT"): lambda w: {"port": "Gi0/1"},
    ("asset-interface-detail", "PATCH"): lambda w: {"ipv4": "10.0.0.9"},
    ("network-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "Guest", "cidr": "192.168.50.0/24"},
    ("network-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("network-detail", "PATCH"): lambda w: {"vlan": 20},
    ("domain-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "new-domain.example"},
    ("domain-detail", "PUT"): lambda w: {"notes": "renewed"},
    ("domain-detail", "PATCH"): lambda w: {"expires_on": "2027-01-01"},
    ("certificate-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "Wildcard"},
    ("certificate-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("certificate-detail", "PATCH"): lambda w: {"issuer": "Let's Encrypt"},
    ("software-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "Antivirus", "seats": 5},
    ("software-detail", "PUT"): lambda w: {"version": "2"},
    ("software-detail", "PATCH"): lambda w: {"seats": 20},
    ("software-seat-list", "POST"): lambda w: {"contact_id": str(make_contact(w.client_a).pk)},
}

ROW_FACTORIES = {
    Asset: lambda w, i: make_interface(make_asset(w.client_a)).asset,
    AssetInterface: lambda w, i: make_interface(w.objects[Asset]),
    Network: lambda w, i: make_network(w.client_a),
    Domain: lambda w, i: make_domain(w.client_a),
    Certificate: lambda w, i: make_certificate(w.client_a),
    Software: lambda w, i: make_software(w.client_a),
    SoftwareSeat: lambda w, i: make_seat(w.objects[Software], contact=make_contact(w.client_a)),
}
