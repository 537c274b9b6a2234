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


def test_events_read_as_a_record_a_person_can_use(browser_for, rf):
    from datetime import timedelta

    from django.utils import timezone

    from psa.models import AuditEvent
    from tests.tickets.factories import make_ticket

    dana = make_user([], login="dana", name="Dana Whitfield")
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    request.user = dana
    client = make_client("Acme")
    ticket = make_ticket(client, dana, title="Printer offline")
    audit.record(request, "create", client, changes={"name": {"old": None, "new": "Acme"}, "id": {"old": None, "new": "x"},
                                                     "notes": {"old": None, "new": ""}})  # fmt: skip
    audit.record(request, "reveal", ticket, changes={"fields": ["password"], "kind": "secure_value", "purpose": "copy"})
    audit.record(request, "login_failed", object_type="accounts.user", changes={"login": "dna"}, outcome="failed")
    old = audit.record(request, "update", client, changes={"name": {"old": "A", "new": "Acme"}})
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))

    browser, _ = browser_for(["audit.read", "obj.*", "ticket.read", "client.read"])
    body = browser.get("/audit/").content.decode()
    assert ">Created</span>" in body and ">Failed sign-in</span>" in body and ">Revealed a secret</span>" in body
    assert f'href="/tickets/{ticket.pk}/">{ticket.ticket_number} · Printer offline</a>' in body
    assert f'href="/clients/{client.pk}/">client Acme</a>' in body
    assert "<li>name: Acme</li>" in body and "<li>id:" not in body and "notes:" not in body  # values, not columns
    assert "<li>Copied password</li>" in body and "<li>login tried: dna</li>" in body
    assert "Dana Whitfield" in body and "tickets.ticket " not in body
    choices = browser.get("/audit/").context["action_choices"]
    assert ("login_failed", "Failed sign-in") in choices and ("create", "Created") in choices
    recent = browser.get("/audit/", {"since": (timezone.localdate() - timedelta(days=2)).isoformat()})
    assert old.pk not in {e.pk for e in recent.context["page"].object_list}
    until = browser.get("/audit/", {"until": (timezone.localdate() - timedelta(days=5)).isoformat()})
    assert [e.pk for e in until.context["page"].object_list] == [old.pk]
    mine = browser.get("/audit/", {"actor_id": str(dana.pk), "action": "reveal"}).context["page"].object_list
    assert [e.action for e in mine] == ["reveal"]


def test_hidden_fields_show_as_changed_without_values(browser_for, rf):
    client = make_client("A")
    request = rf.get("/")
    request.user = make_user([])
    audit.record(request, "update", client, changes={"notes": {"old": "old-secret-note", "new": "new-secret-note"}})
    browser, _ = browser_for(["audit.read", "client.read", "obj.client.name"])
    body = browser.get("/audit/").content.decode()
    assert "secret-note" not in body
