"""Demo clients for ``make run``: a small MSP's customers with their people, sites and vendors."""

from __future__ import annotations

from clients.models import Client, Contact, Location, Vendor
from psa.demo import DemoContext, demo_builder

# (name, identifier, type, website, phone, [(first, last, title, phone)], [(site, address1, city, state, zip)])
CLIENTS = [
    (
        "Acme Manufacturing", "ACME", Client.Type.CUSTOMER, "https://acme.example.com", "+1 206 555 0100",
        [("Alice", "Anders", "IT Manager", "+1 206 555 0101"), ("Bob", "Baker", "CFO", "+1 206 555 0102"),
         ("Carla", "Cruz", "Office Manager", "+1 206 555 0103")],
        [("Head office", "1200 Western Ave", "Seattle", "WA", "98101"),
         ("Plant", "88 Harbor Island Rd", "Tacoma", "WA", "98421")],
    ),
    (
        "Bluebird Dental Group", "BLUEBIRD", Client.Type.CUSTOMER, "https://bluebird-dental.example.com",
        "+1 503 555 0110",
        [("Dana", "Dietrich", "Practice Manager", "+1 503 555 0111"), ("Eli", "Evans", "Dentist", "+1 503 555 0112")],
        [("Downtown clinic", "415 SW Morrison St", "Portland", "OR", "97204")],
    ),
    (
        "Cobalt Legal LLP", "COBALT", Client.Type.CUSTOMER, "https://cobalt-legal.example.com", "+1 415 555 0120",
        [("Farah", "Fischer", "Managing Partner", "+1 415 555 0121"), ("Gus", "Garcia", "Paralegal", "+1 415 555 0122"),
         ("Hana", "Hoffmann", "Accounts", "+1 415 555 0123")],
        [("Office", "350 California St", "San Francisco", "CA", "94104")],
    ),
    (
        "Driftwood Hotels", "DRIFTWOOD", Client.Type.CUSTOMER, "https://driftwood-hotels.example.com",
        "+1 360 555 0130",
        [("Ivan", "Ito", "General Manager", "+1 360 555 0131"), ("Jade", "Jensen", "Front Desk Lead", "+1 360 555 0132")],
        [("Driftwood Bay", "2 Shore Dr", "Port Angeles", "WA", "98362")],
    ),
    (
        "Evergreen School District", "EVERGREEN", Client.Type.PROSPECT, "https://evergreen-schools.example.com",
        "+1 425 555 0140",
        [("Kai", "Kowalski", "Director of Technology", "+1 425 555 0141")],
        [("District office", "900 Evergreen Way", "Everett", "WA", "98201")],
    ),
    (
        "Foxglove Networks", "FOXGLOVE", Client.Type.PARTNER, "https://foxglove.example.com", "+1 206 555 0150",
        [("Lena", "Larsen", "Partner Manager", "+1 206 555 0151")],
        [],
    ),
    (
        "Our MSP (internal)", "INTERNAL", Client.Type.INTERNAL, "", "+1 206 555 0160",
        [("Max", "Meyer", "Service Desk Lead", "+1 206 555 0161")],
        [("Service desk", "500 Pine St", "Seattle", "WA", "98101")],
    ),
]  # fmt: skip

# MSP-wide vendors (no client): name, website, phone
VENDORS = [
    ("Microsoft", "https://www.microsoft.com", "+1 800 642 7676"),
    ("Dell Technologies", "https://www.dell.com", "+1 800 624 9897"),
    ("Ubiquiti", "https://www.ui.com", ""),
    ("Cloudflare", "https://www.cloudflare.com", ""),
    ("Sectigo", "https://www.sectigo.com", ""),
]


def _domain(website: str) -> str:
    return website.split("//", 1)[1] if website else "msp.example.com"


@demo_builder(order=20)
def build_clients(ctx: DemoContext) -> str:
    clients, contacts, locations = [], 0, 0
    for name, identifier, kind, website, phone, people, sites in CLIENTS:
        domain = _domain(website)
        client = Client.objects.create(
            name=name,
            identifier=identifier,
            type=kind,
            website=website,
            phone=phone,
            email=f"office@{domain}",
            notes="Demo client created by make run.",
        )
        site_rows = [
            Location.objects.create(
                client=client,
                name=site,
                address1=street,
                city=city,
                state=state,
                zip=zip_code,
                country="US",
                is_primary=index == 0,
            )
            for index, (site, street, city, state, zip_code) in enumerate(sites)
        ]
        locations += len(site_rows)
        for index, (first, last, title, contact_phone) in enumerate(people):
            Contact.objects.create(
                client=client,
                first_name=first,
                last_name=last,
                title=title,
                phone=contact_phone,
                email=f"{first.lower()}.{last.lower()}@{domain}",
                is_primary=index == 0,
                is_billing=title in {"CFO", "Accounts"},
                is_technical=title.startswith(("IT", "Director")),
                location=site_rows[0] if site_rows else None,
            )
            contacts += 1
        clients.append(client)
    vendors = [Vendor.objects.create(name=n, website=w, phone=p) for n, w, p in VENDORS]
    ctx.made.update(clients=clients, vendors={v.name: v for v in vendors})
    return f"{len(clients)} clients, {contacts} contacts, {locations} locations, {len(vendors)} vendors"
