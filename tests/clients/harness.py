"""Route-harness objects for locations and vendors (clients and contacts are in the harness itself)."""

from clients.models import Location, Vendor


def build(world) -> None:
    world.add(
        Location,
        Location.objects.create(client=world.client_a, name="HQ A"),
        Location.objects.create(client=world.client_b, name="HQ B"),
    )
    world.add(
        Vendor,
        Vendor.objects.create(client=world.client_a, name="Vendor A"),
        Vendor.objects.create(client=world.client_b, name="Vendor B"),
    )


BODIES = {
    ("location-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "Branch"},
    ("location-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("location-detail", "PATCH"): lambda w: {"city": "Leeds"},
    ("vendor-list", "POST"): lambda w: {"client_id": str(w.client_a.pk), "name": "Supplier"},
    ("vendor-detail", "PUT"): lambda w: {"name": "Renamed"},
    ("vendor-detail", "PATCH"): lambda w: {"phone": "555-0100"},
}

ROW_FACTORIES = {
    Location: lambda w, i: Location.objects.create(client=w.client_a, name=f"Site {i}"),
    Vendor: lambda w, i: Vendor.objects.create(client=w.client_a if i % 2 else None, name=f"Vendor {i}"),
}
