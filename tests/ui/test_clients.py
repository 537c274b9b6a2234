"""The minimal client pages: the client filterset, client.read / contact.read, and client scope (404 outside)."""

import pytest

from tests.factories import make_client, make_contact

pytestmark = pytest.mark.django_db


def test_client_list_needs_client_read(browser_for):
    browser, _ = browser_for([])
    response = browser.get("/clients/")
    assert response.status_code == 403
    assert "client.read" in response.content.decode()


def test_client_list_searches_and_filters(browser_for):
    make_client("Acme Corp", identifier="ACME")
    make_client("Globex")
    make_client("Old Co", archived_at="2024-01-01T00:00:00Z")
    browser, _ = browser_for(["client.read"])
    names = lambda r: [c.name for c in r.context["page"].object_list]  # noqa: E731
    assert names(browser.get("/clients/")) == ["Acme Corp", "Globex", "Old Co"]
    assert names(browser.get("/clients/", {"search": "acme"})) == ["Acme Corp"]
    assert names(browser.get("/clients/", {"is_active": "false"})) == ["Old Co"]
    assert names(browser.get("/clients/", {"is_active": "true"})) == ["Acme Corp", "Globex"]


def test_client_list_follows_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, _ = browser_for(["client.read"], clients=[a])
    response = browser.get("/clients/")
    assert [c.pk for c in response.context["page"].object_list] == [a.pk]
    assert str(b.pk) not in response.content.decode()


def test_client_list_paginates_and_keeps_filters(browser_for):
    for i in range(30):
        make_client(f"Client {i:02}")
    browser, _ = browser_for(["client.read"])
    response = browser.get("/clients/", {"search": "client"})
    assert len(response.context["page"].object_list) == 25
    assert "?search=client&amp;page=2" in response.content.decode()
    assert len(browser.get("/clients/", {"search": "client", "page": 2}).context["page"].object_list) == 5


def test_client_detail_shows_contacts(browser_for):
    a = make_client("Acme Corp", website="https://acme.example")
    make_contact(a, first_name="Jane", last_name="Doe", is_primary=True)
    browser, _ = browser_for(["client.read", "contact.read"])
    response = browser.get(f"/clients/{a.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Corp" in body and "Jane Doe" in body and "Primary" in body


def test_client_detail_hides_contacts_without_contact_read(browser_for):
    a = make_client("Acme Corp")
    make_contact(a, first_name="Jane", last_name="Doe")
    browser, _ = browser_for(["client.read"])
    body = browser.get(f"/clients/{a.pk}/").content.decode()
    assert "Jane Doe" not in body


def test_client_outside_scope_is_404(browser_for):
    a, b = make_client("A"), make_client("B")
    browser, _ = browser_for(["client.read", "contact.read"], clients=[a])
    assert browser.get(f"/clients/{a.pk}/").status_code == 200
    assert browser.get(f"/clients/{b.pk}/").status_code == 404


def test_client_detail_needs_client_read(browser_for):
    a = make_client("A")
    browser, _ = browser_for(["contact.read"])
    assert browser.get(f"/clients/{a.pk}/").status_code == 403
