"""A ticket's description HTML is rendered once on save and stored, on every write path; views show the stored HTML."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client as BrowserClient
from django.urls import reverse

from tests.factories import api_for, make_user
from tests.psa.helpers import data_of
from tests.tickets.factories import make_ticket
from tickets import markdown
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

HOSTILE = 'Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(2)"> **bold**'
TICKETS = "/api/v1/tickets"


def _stored(ticket_id) -> str:
    return Ticket.objects.values_list("description_html", flat=True).get(pk=ticket_id)


def _assert_sanitised(html: str) -> None:
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


@pytest.fixture
def api():
    client, _, _ = api_for(["ticket.*", "obj.*"])
    return client


def test_an_api_create_stores_the_html_the_renderer_makes(api, client_a):
    data = data_of(
        api.post(TICKETS, {"title": "T", "client_id": str(client_a.pk), "description": HOSTILE}, format="json"), 201
    )
    assert _stored(data["id"]) == markdown.render(HOSTILE) == data["description_html"]
    _assert_sanitised(data["description_html"])


def test_an_api_update_re_renders_and_a_save_leaving_the_description_alone_does_not(api, client_a):
    ticket = make_ticket(client_a, description="First")
    assert _stored(ticket.pk) == "<p>First</p>"
    data = data_of(api.patch(f"{TICKETS}/{ticket.pk}", {"description": HOSTILE}, format="json"))
    assert _stored(ticket.pk) == markdown.render(HOSTILE) == data["description_html"]
    Ticket.objects.filter(pk=ticket.pk).update(description_html="<p>stored</p>")
    data = data_of(api.patch(f"{TICKETS}/{ticket.pk}", {"title": "Renamed"}, format="json"))
    assert _stored(ticket.pk) == "<p>stored</p>" == data["description_html"]  # shown as stored, not rendered anew
    assert data_of(api.get(f"{TICKETS}/{ticket.pk}"))["description_html"] == "<p>stored</p>"
    assert data_of(api.get(TICKETS, {"fields": "description_html"}))[0]["description_html"] == "<p>stored</p>"


def test_the_attributes_description_re_renders_too(api, client_a):
    """AlgaPSA's ``PUT /tickets/{id}`` with ``attributes.description``: the same field, the same rendering."""
    ticket = make_ticket(client_a, description="Old")
    data_of(api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {"description": "*New*"}}, format="json"))
    assert _stored(ticket.pk) == "<p><em>New</em></p>"
    data_of(api.put(f"{TICKETS}/{ticket.pk}", {"attributes": {}}, format="json"))  # a key left out clears it
    assert _stored(ticket.pk) == ""


def test_the_ui_create_and_edit_store_the_html_and_the_page_shows_it(client_a):
    user = make_user(["ticket.*", "obj.*"], name="Tess Tech")
    browser = BrowserClient()
    browser.force_login(user)
    browser.post(
        reverse("tickets:ticket_create"), {"title": "From the form", "client_id": client_a.pk, "description": HOSTILE}
    )
    ticket = Ticket.objects.get(title="From the form")
    assert _stored(ticket.pk) == markdown.render(HOSTILE)
    response = browser.post(
        reverse("tickets:ticket_edit", args=[ticket.pk]), {"title": ticket.title, "description": "Edited **now**"}
    )
    assert response.status_code == 302
    assert _stored(ticket.pk) == "<p>Edited <strong>now</strong></p>"
    Ticket.objects.filter(pk=ticket.pk).update(description_html="<p>stored marker</p>")
    page = browser.get(reverse("tickets:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<p>stored marker</p>" in page  # the stored HTML, not a rendering of the description


def test_a_row_written_without_save_is_rendered_when_shown(api, client_a):
    ticket = make_ticket(client_a, description="x")
    Ticket.objects.filter(pk=ticket.pk).update(description=HOSTILE, description_html="")  # raw SQL, an import
    html = data_of(api.get(f"{TICKETS}/{ticket.pk}"))["description_html"]
    assert html == markdown.render(HOSTILE)
    _assert_sanitised(html)


def test_the_data_migration_renders_existing_tickets(client_a):
    tickets = [make_ticket(client_a, description=f"{HOSTILE} {i % 2}") for i in range(3)]
    empty = make_ticket(client_a, description="")
    Ticket.objects.update(description_html=None)  # as the rows were before the migration
    Ticket.objects.filter(pk=tickets[0].pk).update(description_html="")
    migration = importlib.import_module("tickets.migrations.0011_ticket_description_html")
    migration.render_existing(apps, None)
    for ticket in tickets:
        assert _stored(ticket.pk) == markdown.render(ticket.description)
    assert not _stored(empty.pk)  # nothing to render
