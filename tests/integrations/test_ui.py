"""The Integrations page: add a source (secrets to the vault), test it, sync now, runs with errors; the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from integrations import secrets as source_secrets
from integrations.models import Source, SyncRun
from tests.factories import make_user
from tests.integrations.conftest import make_source

pytestmark = pytest.mark.django_db

ALL = ["integration.*"]


def browser(nodes):
    user = make_user(nodes)
    client = BrowserClient()
    client.force_login(user)
    return client


def _form(**changes):
    data = {
        "kind": "connectwise",
        "name": "Office CW",
        "base_url": "https://api-na.myconnectwise.net",
        "connectwise__company_id": "acme",
        "connectwise__client_id": "00000000-0000-4000-8000-000000000001",
        "connectwise__codebase": "v4_6_release/",
        "connectwise__secret__public_key": "pub",
        "connectwise__secret__private_key": "page-private-secret",
    }
    data.update(changes)
    return data


def test_add_a_source_from_the_page(settings):
    page = browser(ALL)
    response = page.post("/integrations/", _form())
    assert response.status_code == 302
    source = Source.objects.get(name="Office CW")
    assert source_secrets.read(source)["private_key"] == "page-private-secret"
    detail = page.get(response["Location"])
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "page-private-secret" not in body and "private_key, public_key" in body


def test_errors_name_the_field():
    page = browser(ALL)
    response = page.post(
        "/integrations/", _form(**{"connectwise__company_id": "", "connectwise__secret__private_key": ""})
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This setting is required." in body and "This secret is required." in body
    assert not Source.objects.exists()


def test_readers_see_the_page_but_cannot_add():
    page = browser(["integration.source.read"])
    assert page.get("/integrations/").status_code == 200
    assert "Add a source" not in page.get("/integrations/").content.decode()
    assert page.post("/integrations/", _form()).status_code == 403
    assert browser(["client.read"]).get("/integrations/").status_code == 403


def test_test_and_sync_buttons(loopback):
    _sim, base_url = loopback
    source = make_source(base_url)
    page = browser(ALL)
    response = page.post(f"/integrations/{source.pk}/test/", follow=True)
    body = response.content.decode()
    assert 'data-check="credentials"' in body and "The keys were accepted." in body
    response = page.post(f"/integrations/{source.pk}/sync/", follow=True)
    assert "Sync queued" in response.content.decode()
    assert browser(["integration.source.read"]).post(f"/integrations/{source.pk}/sync/").status_code == 403


def test_runs_show_counts_and_failing_records():
    source = make_source()
    SyncRun.objects.create(source=source, job="connectwise.contacts", status="partial", started_at=timezone.now(),
                           created=5, failed=1, errors=[{"external_id": "10007", "message": "'firstName' is missing."}])  # fmt: skip
    body = browser(ALL).get(f"/integrations/{source.pk}/").content.decode()
    assert "10007" in body and "&#x27;firstName&#x27; is missing." in body and "1 failing record" in body


def test_dashboard_shows_a_failing_source():
    source = make_source(name="Broken CW")
    page = browser(ALL)
    assert 'data-panel="integrations"' not in page.get("/").content.decode()
    SyncRun.objects.create(source=source, job="connectwise.companies", status="failed", started_at=timezone.now(),
                           message="AuthenticationError: HTTP 401")  # fmt: skip
    body = page.get("/").content.decode()
    assert 'data-panel="integrations"' in body and "Broken CW" in body
    assert 'data-panel="integrations"' not in browser(["client.read"]).get("/").content.decode()


def test_admin_shows_sources_without_secrets():
    source = make_source(name="Admin CW")
    user = make_user(["*"], is_staff=True)
    client = BrowserClient()
    client.force_login(user)
    for path in ("/admin/integrations/source/", f"/admin/integrations/source/{source.pk}/change/",
                 "/admin/integrations/syncrun/", "/admin/integrations/externalrecord/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "demo-private-key" not in response.content.decode()
    assert "private_key, public_key" in client.get(f"/admin/integrations/source/{source.pk}/change/").content.decode()


def _synced_client(source, cw):
    from clients.models import Client
    from integrations.sync import run_job

    run_job(source, "connectwise.companies", client=cw)
    return Client.objects.get(cw_company_id=101)


def test_a_synced_client_page_says_so_and_links_to_connectwise(source, cw):
    client = _synced_client(source, cw)
    page = browser(["client.*", "obj.*"])
    body = page.get(f"/clients/{client.pk}/").content.decode()
    assert "data-sync-origin" in body and "Open in ConnectWise Manage" in body
    assert "recordType=CompanyFV&amp;recid=101&amp;companyName=" in body


def test_the_edit_form_shows_synced_fields_read_only_and_saves_the_local_ones(source, cw):
    client = _synced_client(source, cw)
    name = client.name
    page = browser(["client.*", "obj.*"])
    form = page.get(f"/clients/{client.pk}/edit/").content.decode()
    assert 'name="name"' in form and "disabled" in form.split('name="name"')[1].split(">")[0]
    assert "Synced from ConnectWise Manage" in form and "Open in ConnectWise Manage" in form
    # A forged value for a synced field is ignored; the local-only field is saved.
    response = page.post(f"/clients/{client.pk}/edit/", {"name": "Forged", "notes": "Local note", "currency": "USD"})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.refresh_from_db()
    assert client.name == name and client.notes == "Local note"


def test_a_local_client_form_has_nothing_locked():
    from tests.factories import make_client

    client = make_client("Ours alone")
    page = browser(["client.*", "obj.*"])
    form = page.get(f"/clients/{client.pk}/edit/").content.decode()
    assert "Synced from" not in form and "disabled" not in form.split('name="name"')[1].split(">")[0]


def test_a_synced_contact_page_and_form_show_what_connectwise_owns(source, cw):
    from clients.models import Contact
    from integrations.sync import run_job

    _synced_client(source, cw)
    run_job(source, "connectwise.contacts", client=cw)
    contact = Contact.objects.exclude(client__cw_company_id=None).first()
    page = browser(["client.read", "contact.*", "location.read", "obj.*"])
    detail = page.get(f"/clients/{contact.client_id}/contacts/{contact.pk}/").content.decode()
    assert "data-sync-origin" in detail and "recordType=ContactFV" in detail
    form = page.get(f"/clients/{contact.client_id}/contacts/{contact.pk}/edit/").content.decode()
    assert "disabled" in form.split('name="email"')[1].split(">")[0]
    assert "disabled" not in form.split('name="notes"')[1].split(">")[0]
