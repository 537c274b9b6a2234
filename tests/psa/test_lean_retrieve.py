"""The lean retrieve (psa/api/lean_retrieve.py) answers one object by id byte for byte as the model path does.

Assets (with their interfaces), clients, contacts and tickets (with tags, watchers, agents and every relation set,
and with none), each asked for by callers with different field nodes and client scopes, once with
``PSA_LEAN_RETRIEVE`` off (DRF's ``get_object`` and the serializer) and once on: the status and the body must be
identical. The lean path's queries are pinned, and a column the caller may not see is not even read.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from assets.models import Asset
from clients.models import Client, Contact, Location, Vendor
from psa.api import lean_retrieve
from tests.assets.factories import make_asset, make_certificate, make_domain, make_interface, make_network
from tests.factories import api_client, make_client, make_contact, make_key, make_user
from tests.tickets.factories import make_category, make_ticket
from tickets.models import Ticket, TicketAgent, TicketWatcher

READ_NODES = ["asset.read", "client.read", "contact.read", "ticket.read", "location.read", "vendor.read",
              "network.read", "domain.read", "certificate.read"]  # fmt: skip
# Field nodes that show some fields of each object and hide others, across the scopes derived fields read.
SOME_FIELDS = [
    "obj.asset.name", "obj.asset.serial", "obj.asset.interfaces", "obj.asset_interface.mac",
    "obj.asset_interface.name", "obj.client.name", "obj.client.tags", "obj.client.is_inactive",
    "obj.contact.first_name", "obj.contact.name", "obj.contact.default_phone_number", "obj.contact.phone",
    "obj.ticket.title", "obj.ticket.contact_name", "obj.ticket.watchers", "obj.ticket.attributes",
    "obj.ticket.description", "obj.ticket.tags", "obj.ticket.status_name", "obj.ticket.client_email",
]  # fmt: skip


class Objects:
    """Two clients' objects, one of each kind with every optional value set and one with none."""

    def __init__(self) -> None:
        self.client_a = make_client("Lean A", identifier="LA", hourly_rate=Decimal("125.50"), tags=["gold", "eu"],
                                    email="a@example.com", phone="+1 555 0100")  # fmt: skip
        self.client_b = make_client("Lean B")
        Client.objects.filter(pk=self.client_b.pk).update(archived_at=datetime(2026, 3, 4, 5, 6, 7, 890123, UTC))
        site = Location.objects.create(client=self.client_a, name="HQ", is_primary=True)
        self.contact = make_contact(self.client_a, first_name="Ada", last_name="Lovelace", email="ada@example.com",
                                    mobile="+1 555 0101", location=site, is_primary=True)  # fmt: skip
        self.bare_contact = make_contact(self.client_a, first_name="Solo", last_name="", is_active=False)
        self.contact_b = make_contact(self.client_b)
        network = make_network(self.client_a)
        self.asset = make_asset(
            self.client_a, serial="SN-1", make="Dell", os="Windows 11", purchase_date=date(2025, 1, 2),
            warranty_expires=date(2028, 1, 2), location=site, contact=self.contact, network=network,
            tags=["finance", "laptop"], notes="Desk 4",
        )  # fmt: skip
        make_interface(self.asset, name="wlan0", ipv4="10.0.0.7", network=network)
        make_interface(self.asset, name="eth0", is_primary=True, ipv6="fe80::1", port="Gi0/1")
        make_interface(self.asset, name="usb0", mac="")
        self.bare_asset = make_asset(self.client_a)
        self.asset_b = make_asset(self.client_b)
        people = [make_user(["ticket.read"], name=name) for name in ("Grace Hopper", "")]
        board_ticket = make_ticket(self.client_a, people[0], title="Printer", description="**Jammed** again\n\n- tray 2",
                                   contact=self.contact, location=site, assigned_to=people[0], tags=["vip", "Alpha"],
                                   due_date=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC))  # fmt: skip
        category = make_category(board_ticket.board, "Hardware")
        Ticket.objects.filter(pk=board_ticket.pk).update(
            category=category, subcategory=make_category(board_ticket.board, "Disks", parent=category),
            closed_by=people[1], updated_by=people[1], attributes={"asset_tag": "A-7", "nested": {"n": [1, 2]}},
        )  # fmt: skip
        TicketWatcher.objects.create(ticket=board_ticket, user=people[1])
        TicketWatcher.objects.create(ticket=board_ticket, email="boss@example.com", name="The Boss")
        TicketAgent.objects.create(ticket=board_ticket, user=people[1], role="escalation")
        self.ticket = board_ticket
        self.bare_ticket = make_ticket(self.client_a, None, title="Bare")
        self.ticket_b = make_ticket(self.client_b, None)
        self.site, self.site_b = site, Location.objects.create(client=self.client_b, name="B site")
        self.msp_vendor = Vendor.objects.create(name="Distributor", phone="+1 555 0199")  # shared by every client
        self.vendor_b = Vendor.objects.create(client=self.client_b, name="B's ISP")
        self.network, self.network_b = network, make_network(self.client_b)
        self.domain = make_domain(self.client_a, registrar=self.msp_vendor, name_servers=["ns1.example.net"])
        self.domain_b = make_domain(self.client_b)
        self.certificate, self.certificate_b = make_certificate(self.client_a), make_certificate(self.client_b)

    def urls(self) -> list[str]:
        paths = [("assets", self.asset), ("assets", self.bare_asset), ("assets", self.asset_b),
                 ("clients", self.client_a), ("clients", self.client_b), ("contacts", self.contact),
                 ("contacts", self.bare_contact), ("contacts", self.contact_b), ("tickets", self.ticket),
                 ("tickets", self.bare_ticket), ("tickets", self.ticket_b), ("locations", self.site),
                 ("locations", self.site_b), ("vendors", self.msp_vendor), ("vendors", self.vendor_b),
                 ("networks", self.network), ("networks", self.network_b), ("domains", self.domain),
                 ("domains", self.domain_b), ("certificates", self.certificate),
                 ("certificates", self.certificate_b)]  # fmt: skip
        return [f"/api/v1/{kind}/{obj.pk}" for kind, obj in paths]


def _callers(objects: Objects) -> dict[str, object]:
    def caller(nodes, clients=(), key_clients=()):
        return api_client(make_key(make_user(nodes, clients), key_clients)[1])

    return {
        "every node": caller(["*"]),
        "every field": caller([*READ_NODES, "obj.*"]),
        "no field node": caller(READ_NODES),
        "some fields": caller(READ_NODES + SOME_FIELDS),
        "key scoped to client A": caller(["*"], key_clients=[objects.client_a]),
        "user scoped to client B": caller([*READ_NODES, "obj.*"], clients=[objects.client_b]),
    }


def _both_paths(client, url: str, params: dict):
    with override_settings(LEAN_RETRIEVE=False):
        model_path = client.get(url, params)
    with override_settings(LEAN_RETRIEVE=True):
        lean_path = client.get(url, params)
    return model_path, lean_path


@pytest.mark.django_db
def test_the_lean_retrieve_answers_exactly_as_the_model_path():
    objects = Objects()
    queries = [{}, {"fields": "mobile_list"}, {"fields": "tags"}, {"fields": "watchers,attributes,contact_phone"}]
    seen = {200: 0, 404: 0}
    for kind, client in _callers(objects).items():
        urls = [*objects.urls(), f"/api/v1/assets/{uuid.uuid4()}", f"/api/v1/tickets/{uuid.uuid4()}"]
        for url in urls:
            for params in queries if "/tickets/" in url else [{}]:
                model_path, lean_path = _both_paths(client, url, params)
                assert model_path.status_code == lean_path.status_code, (kind, url, params, lean_path.content[:300])
                assert lean_path.content == model_path.content, (kind, url, params)
                seen[lean_path.status_code] += 1
    assert seen[200] > 80 and seen[404] > 25, seen  # both outcomes compared, for every kind of caller


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "lean_queries", "model_queries"),
    # the row; the interfaces; tags, watchers, agents (the model path: also the client, the agents' users);
    # the model path's client detail prefetches its primary site and its contacts for include_* parameters
    [("assets", 2, 2), ("clients", 1, 3), ("contacts", 1, 1), ("tickets", 4, 6)],
)
def test_a_lean_retrieve_takes_one_query_per_row_set(kind, lean_queries, model_queries):
    objects = Objects()
    obj = {"assets": objects.asset, "clients": objects.client_a, "contacts": objects.contact, "tickets": objects.ticket}
    client = api_client(make_key(make_user(["*"]))[1])
    url = f"/api/v1/{kind}/{obj[kind].pk}"
    client.get(url)  # the first use of a key writes last_used_at; the reference tables are cached
    for lean, queries in ((True, lean_queries), (False, model_queries)):
        with override_settings(LEAN_RETRIEVE=lean), CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        sql = [q["sql"] for q in captured if "ratelimitcounter" not in q["sql"].lower()]
        assert len(sql) == queries, (lean, sql)


@pytest.mark.django_db
def test_a_field_the_caller_may_not_see_is_not_read():
    objects = Objects()
    client = api_client(make_key(make_user([*READ_NODES, "obj.asset.name", "obj.contact.first_name"]))[1])
    for url, table, shown in (
        (f"/api/v1/assets/{objects.asset.pk}", "assets_", {"id", "name"}),
        (f"/api/v1/contacts/{objects.contact.pk}", "clients_contact", {"id", "first_name"}),
    ):
        client.get(url)  # the first use of a key writes last_used_at
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        assert set(response.json()["data"]) == shown
        sql = [q["sql"] for q in captured if f'FROM "{table}' in q["sql"]]
        assert len(sql) == 1, sql  # the asset's interfaces are hidden: their rows are not read either
        assert '"notes"' not in sql[0] and '"serial"' not in sql[0] and '"email"' not in sql[0], sql


@pytest.mark.django_db
def test_the_lean_retrieve_serves_only_querysets_filtered_by_the_scope_alone():
    objects = Objects()
    request = type("Request", (), {"user": make_user(["*"], clients=[objects.client_a]), "auth": None})()
    from psa.access import restrict

    scoped = restrict(Asset.objects.all(), request)
    assert lean_retrieve.scoped_only(scoped, request)
    assert lean_retrieve.scoped_only(scoped.prefetch_related("interfaces").select_related("client"), request)
    assert not lean_retrieve.scoped_only(scoped.filter(archived_at__isnull=True), request)
    assert not lean_retrieve.scoped_only(Asset.objects.all(), request)  # not the caller's scope
    assert not lean_retrieve.scoped_only(restrict(Contact.objects.filter(is_active=True), request), request)


def test_the_declared_columns_cover_every_field_of_the_lean_retrieves():
    """A field left out of a declaration sends every retrieve that shows it down the model path."""
    from assets.api import views as assets
    from clients.api import views as clients
    from tickets.api.views import TicketViewSet

    for view in (
        assets.AssetViewSet, assets.NetworkViewSet, assets.DomainViewSet, assets.CertificateViewSet,
        clients.ClientViewSet, clients.ContactViewSet, clients.LocationViewSet, clients.VendorViewSet, TicketViewSet,
    ):  # fmt: skip
        shown = {name for name, field in view.serializer_class().fields.items() if not field.write_only}
        assert shown <= set(view.retrieve_columns), (view.__name__, sorted(shown - set(view.retrieve_columns)))
