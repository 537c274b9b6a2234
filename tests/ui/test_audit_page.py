import pytest

from psa import audit
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(rf):
    a, b = make_client("A"), make_client("B")
    request = rf.get("/")
    request.user = make_user([], login="actor")
    audit.record(request, "update", a, changes={"name": {"old": "x", "new": "A"}})
    audit.record(request, "delete", b, changes={})
    return a, b


def test_audit_page_needs_audit_read(browser_for, events):
    browser, _ = browser_for(["client.read"])
    assert browser.get("/audit/").status_code == 403


def test_audit_page_lists_and_filters(browser_for, events):
    browser, _ = browser_for(["audit.read"])
    response = browser.get("/audit/")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 2
    assert "actor" in response.content.decode()
    response = browser.get("/audit/", {"action": "delete"})
    assert [e.action for e in response.context["page"].object_list] == ["delete"]


def test_audit_page_follows_scope(browser_for, events):
    a, _ = events
    browser, _ = browser_for(["audit.read"], clients=[a])
    assert [e.client_id for e in browser.get("/audit/").context["page"].object_list] == [a.pk]
