"""The top bar's search (``/search/``): tickets by number and by words in their comments, credentials by name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.credentials.factories import make_credential
from tests.factories import make_client
from tests.tickets.factories import make_comment, make_ticket

pytestmark = pytest.mark.django_db


def titles(response, key) -> list[str] | None:
    group = next((g for g in response.context["groups"] if g["key"] == key), None)
    return None if group is None else [item["title"] for item in group["items"]]


@pytest.fixture
def estate():
    client = make_client("Acme")
    ticket = make_ticket(client, title="Printer offline")
    make_comment(ticket, text="The fuser unit overheats after an hour")
    make_credential(client, name="Firewall admin console")
    return ticket


def test_finds_a_ticket_by_number_and_by_a_word_in_a_comment(browser_for, estate):
    browser, _ = browser_for(["ticket.read"])
    response = browser.get("/search/", {"q": estate.ticket_number})
    assert titles(response, "ticket") == [f"{estate.ticket_number} Printer offline"]
    assert response.context["groups"][0]["items"][0]["url"] == f"/tickets/{estate.pk}/"
    response = browser.get("/search/", {"q": "fuser overheats"})
    assert titles(response, "ticket") == [f"{estate.ticket_number} Printer offline"]
    assert "<mark>fuser</mark> unit <mark>overheats</mark>" in response.content.decode()


def test_finds_a_credential_by_name_only_with_its_node(browser_for, estate):
    browser, _ = browser_for(["credential.read"])
    response = browser.get("/search/", {"q": "firewall"})
    assert titles(response, "credential") == ["Firewall admin console"]
    assert titles(response, "ticket") is None
    browser, _ = browser_for(["ticket.read"])
    assert titles(browser.get("/search/", {"q": "firewall"}), "credential") is None


def test_snippets_are_escaped(browser_for):
    ticket = make_ticket(make_client("B"), title="Scripted <script>alert(1)</script> printer")
    browser, _ = browser_for(["ticket.read"])
    page = browser.get("/search/", {"q": "printer"}).content.decode()
    assert ticket.ticket_number in page and "<script>alert" not in page


def test_one_query_per_readable_type(browser_for, estate):
    browser, _ = browser_for(["ticket.read", "credential.read"])
    browser.get("/search/", {"q": "printer"})
    with CaptureQueriesContext(connection) as few:
        browser.get("/search/", {"q": "printer"})
    for i in range(15):
        make_ticket(estate.client, title=f"Printer {i}")
    with CaptureQueriesContext(connection) as many:
        response = browser.get("/search/", {"q": "printer"})
    assert len(titles(response, "ticket")) == 10 and response.context["groups"][0]["more"]
    assert len(many) == len(few)
