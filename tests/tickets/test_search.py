"""``GET /tickets/search``: fields searched, ranking, closed tickets, comment visibility, and both engines.

The suite runs on SQLite (FTS5) and on PostgreSQL (tsvector); the expectations here, and the reference the results
are compared with, hold for both.
"""

from __future__ import annotations

import pytest

from psa.search.text import words
from tests.factories import api_for, make_contact
from tests.psa.helpers import data_of, error_paths
from tests.tickets.factories import make_comment, make_ticket, status_named
from tickets import search as ticket_search
from tickets.models import Ticket
from tickets.search_index import document

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/tickets/search"


@pytest.fixture
def tech():
    api, user, _ = api_for(["ticket.*", "obj.*"])
    api.user = user
    return api


@pytest.fixture
def corpus(client_a, client_b):
    contact = make_contact(client_a, first_name="Marge", last_name="Simpson")
    tickets = {
        "title": make_ticket(client_a, title="Printer offline in accounting"),
        "description": make_ticket(client_a, title="Office issue", description="The printer shows error 50"),
        "contact": make_ticket(client_b, title="Password reset", contact=None),
        "comment": make_ticket(client_a, title="Slow laptop"),
        "closed": make_ticket(client_a, title="Printer toner", status=status_named("Closed")),
        "other": make_ticket(client_a, title="Firewall rules", contact=contact),
    }
    make_comment(tickets["comment"], text="Turns out the printer driver was hogging the CPU")
    make_comment(tickets["other"], text="Secret printer plans", is_internal=True)
    return tickets


def found(api, **params) -> list[str]:
    response = api.get(SEARCH, params)
    return [row["title"] for row in data_of(response)]


def test_ranking_title_before_description_before_comments(tech, corpus):
    titles = found(tech, query="printer")
    assert titles[0] == "Printer offline in accounting"
    assert titles.index("Office issue") < titles.index("Slow laptop"), titles
    assert set(titles) == {"Printer offline in accounting", "Office issue", "Slow laptop", "Firewall rules"}


def test_closed_tickets_only_on_request(tech, corpus):
    assert "Printer toner" not in found(tech, query="printer")
    assert "Printer toner" in found(tech, query="printer", include_closed="true")


def test_every_word_must_match(tech, corpus):
    assert found(tech, query="printer accounting") == ["Printer offline in accounting"]
    assert found(tech, query="printer zebra") == []


def test_client_and_contact_names_and_numbers(tech, corpus, client_b):
    assert set(found(tech, query="simpson")) == {"Firewall rules"}
    assert set(found(tech, query="client b")) == {"Password reset"}
    number = corpus["description"].ticket_number
    rows = data_of(tech.get(SEARCH, {"query": number}))
    assert rows[0]["ticket_number"] == number
    assert rows[0]["rank"] >= 10


def test_internal_comments_only_for_those_who_may_read_them(corpus):
    reader, _, _ = api_for(["ticket.read", "obj.*"])
    assert "Firewall rules" not in found(reader, query="plans")
    assert "Slow laptop" in found(reader, query="driver")


def test_scope_and_list_filters_apply(corpus, client_a):
    scoped, _, _ = api_for(["ticket.read", "obj.*"], key_clients=[client_a])
    assert found(scoped, query="password") == []
    tech, _, _ = api_for(["ticket.*", "obj.*"])
    assert found(tech, query="printer", client_id=str(client_a.pk), has_assignment="true") == []


def test_limit_and_validation(tech, corpus):
    assert len(found(tech, query="printer", limit=2)) == 2
    assert error_paths(tech.get(SEARCH, {"query": "printer", "limit": 0})) == [["limit"]]
    assert error_paths(tech.get(SEARCH, {"query": "printer", "limit": 101})) == [["limit"]]
    assert error_paths(tech.get(SEARCH, {"query": "!!!"})) == [["query"]]
    assert error_paths(tech.get(SEARCH, {"query": "x" * 201})) == [["query"]]
    assert error_paths(tech.get(SEARCH, {"query": "printer", "include_closed": "sometimes"})) == [["include_closed"]]


def test_without_a_query_the_newest_open_tickets(tech, corpus):
    titles = found(tech)
    assert titles[0] == "Firewall rules"
    assert "Printer toner" not in titles


def test_meta_names_the_engine(tech, corpus):
    meta = tech.get(SEARCH, {"query": "printer"}).json()["meta"]
    assert meta["mode"] == "full_text"
    assert meta["count"] == 4


def test_query_syntax_cannot_be_injected(tech, corpus):
    for query in ["printer & !", "printer:* | (", "' OR 1=1 --", "printer\\"]:
        assert tech.get(SEARCH, {"query": query}).status_code == 200


def reference(query: str) -> list:
    """What a search must find, newest first, computed in Python from the tickets' texts."""
    parsed = ticket_search.parse(query)
    result = []
    for ticket in Ticket.objects.select_related("client", "contact").order_by("-entered_at", "-id"):
        texts = document(ticket).texts
        if not ticket.is_closed and parsed.matches([words(value) for value in texts.values()]):
            result.append(ticket.pk)
    return result


def test_both_engines_agree_with_a_reference(tech, corpus):
    """CI runs this on SQLite and on PostgreSQL: the same tickets for words, phrases, or and -word."""
    queries = ["printer", "printer accounting", "simpson", "driver", "error 50", "office", "plans", "client a"]
    queries += ['"printer offline"', '"offline printer"', "printer -accounting", "zebra or simpson", "cpu hogging"]
    for query in queries:
        expected = reference(query)
        got = [row["id"] for row in data_of(tech.get(SEARCH, {"query": query}))]
        assert sorted(got) == sorted(str(pk) for pk in expected), query
