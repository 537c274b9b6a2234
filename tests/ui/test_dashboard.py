import pytest

from accounts.models import ApiKey
from psa import audit
from psa.models import AuditEvent
from tests.factories import make_client, make_contact, make_key, make_user

pytestmark = pytest.mark.django_db


def count(response, name):
    return response.context["counts"].get(name)


def test_counts_are_real(browser_for):
    a, b = make_client("A"), make_client("B")
    make_client("Archived", archived_at="2024-01-01T00:00:00Z")
    make_contact(a)
    make_contact(b)
    make_contact(b, is_active=False)
    browser, user = browser_for(["client.read", "contact.read", "user.read.other", "api_key.read"])
    make_key(user)
    revoked, _ = make_key(user)
    revoked.deactivate()
    make_key(make_user([]))
    response = browser.get("/")
    assert response.status_code == 200
    assert count(response, "clients") == 2
    assert count(response, "contacts") == 2
    assert count(response, "users") == 2
    assert count(response, "my_keys") == 1
    assert 'data-count="clients">2<' in response.content.decode()


def test_counts_follow_client_scope(browser_for):
    a, b = make_client("A"), make_client("B")
    make_contact(a)
    make_contact(b)
    browser, _ = browser_for(["client.read", "contact.read"], clients=[a])
    response = browser.get("/")
    assert count(response, "clients") == 1
    assert count(response, "contacts") == 1


def test_counts_need_their_read_nodes(browser_for):
    make_client("A")
    browser, _ = browser_for([])
    response = browser.get("/")
    assert response.status_code == 200
    assert response.context["counts"] == {}
    assert response.context["recent_events"] is None
    assert "Ask an administrator" in response.content.decode()


def test_recent_events_need_audit_read_and_follow_scope(browser_for, rf):
    a, b = make_client("A"), make_client("B")
    request = rf.get("/")
    request.user = make_user([])
    audit.record(request, "update", a, changes={"name": {"old": "x", "new": "A"}})
    audit.record(request, "update", b, changes={"name": {"old": "y", "new": "B"}})
    assert AuditEvent.objects.count() == 2

    browser, _ = browser_for(["audit.read"])
    assert len(browser.get("/").context["recent_events"]) == 2

    browser, _ = browser_for(["audit.read"], clients=[a])
    events = browser.get("/").context["recent_events"]
    assert [e.client_id for e, _actor, _activity in events] == [a.pk]

    browser, _ = browser_for(["client.read"])
    body = browser.get("/").content.decode()
    assert "Recent activity" not in body
    assert ApiKey.objects.count() == 0


def test_dashboard_shows_ticket_counts_only_with_ticket_read(browser_for):
    browser, _ = browser_for(["ticket.read"])
    assert 'data-count="my_open"' in browser.get("/").content.decode()
    bare, _ = browser_for([])
    assert 'data-count="my_open"' not in bare.get("/").content.decode()
