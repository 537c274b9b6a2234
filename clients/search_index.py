"""What the clients app makes searchable (``psa.search``): clients, contacts, locations and vendors."""

from __future__ import annotations

from django.urls import reverse

from clients.models import Client, Contact, Location, Vendor
from psa.search import Document, Searchable, SearchField, register


def _client(client: Client) -> Document:
    return Document(
        title=client.name,
        texts={
            "name": client.name,
            "identifier": client.identifier or "",
            "email": client.email,
            "website": client.website,
            "notes": client.notes,
        },
        client_id=client.pk,
        identifiers=[client.identifier or "", client.phone],
        is_active=client.archived_at is None,
    )


def _contact(contact: Contact) -> Document:
    return Document(
        title=contact.name,
        texts={
            "name": contact.name,
            "email": contact.email,
            "title": contact.title,
            "department": contact.department,
            "notes": contact.notes,
        },
        client_id=contact.client_id,
        identifiers=[contact.email, contact.phone, contact.mobile],
        is_active=contact.is_active,
    )


ADDRESS = ("address1", "address2", "city", "state", "zip", "country")


def _location(location: Location) -> Document:
    return Document(
        title=location.name,
        texts={"name": location.name, **{f: getattr(location, f) for f in ADDRESS}, "notes": location.notes},
        client_id=location.client_id,
        identifiers=[location.phone],
    )


def _vendor(vendor: Vendor) -> Document:
    return Document(
        title=vendor.name,
        texts={
            "name": vendor.name,
            "contact_name": vendor.contact_name,
            "description": vendor.description,
            "notes": vendor.notes,
        },
        client_id=vendor.client_id,
        identifiers=[vendor.account_number, vendor.phone, vendor.email],
    )


def _doc_url(kind: str):
    return lambda object_id, client_id: reverse("clients:doc_detail", args=[client_id, kind, object_id])


register(
    Searchable(
        kind="client",
        label="Clients",
        model=Client,
        nodes=("client.read",),
        fields=(
            SearchField("name", "a", gate="name"),
            SearchField("identifier", "a", gate="identifier"),
            SearchField("email", "b", gate="email"),
            SearchField("website", "b", gate="website"),
            SearchField("notes", "c", gate="notes"),
        ),
        document=_client,
        url=lambda object_id, client_id: reverse("clients:client_detail", args=[object_id]),
        rebuild=lambda: Client.objects.order_by("created_at", "id"),
        order=20,
        identifier_gates=("identifier", "phone"),
    )
)
register(
    Searchable(
        kind="contact",
        label="Contacts",
        model=Contact,
        nodes=("contact.read", "client.read"),
        fields=(
            SearchField("name", "a", gate="name"),
            SearchField("email", "b", gate="email"),
            SearchField("title", "b", gate="title"),
            SearchField("department", "b", gate="department"),
            SearchField("notes", "c", gate="notes"),
        ),
        document=_contact,
        url=_doc_url("contacts"),
        rebuild=lambda: Contact.objects.order_by("created_at", "id"),
        order=30,
        identifier_gates=("email", "phone", "mobile"),
    )
)
register(
    Searchable(
        kind="location",
        label="Locations",
        model=Location,
        nodes=("location.read", "client.read"),
        fields=(
            SearchField("name", "a", gate="name"),
            *(SearchField(f, "b", gate=f) for f in ADDRESS),
            SearchField("notes", "c", gate="notes"),
        ),
        document=_location,
        url=_doc_url("locations"),
        rebuild=lambda: Location.objects.order_by("created_at", "id"),
        order=70,
        identifier_gates=("phone",),
    )
)
register(
    Searchable(
        kind="vendor",
        label="Vendors",
        model=Vendor,
        nodes=("vendor.read",),
        fields=(
            SearchField("name", "a", gate="name"),
            SearchField("contact_name", "b", gate="contact_name"),
            SearchField("description", "b", gate="description"),
            SearchField("notes", "c", gate="notes"),
        ),
        document=_vendor,
        url=lambda object_id, client_id: reverse("clients:client_detail", args=[client_id]) if client_id else "",
        rebuild=lambda: Vendor.objects.order_by("created_at", "id"),
        order=110,
        identifier_gates=("account_number", "phone", "email"),
    )
)
