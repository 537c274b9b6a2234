"""The Django admin: registrations load, secrets never show, read-only models stay read-only, writes are audited."""

import pytest
from django.contrib import admin
from django.test import Client as BrowserClient

from accounts.models import ApiKey, Role, User
from clients.models import Client, Contact
from psa.models import AuditEvent, JobRun
from tests.factories import make_client, make_contact, make_key, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = make_user(["*"], login="root", is_staff=True)
    browser = BrowserClient()
    browser.force_login(user)
    return browser, user


def test_models_are_registered():
    for model in (User, Role, ApiKey, Client, Contact, AuditEvent, JobRun):
        assert admin.site.is_registered(model), model


def test_admin_needs_staff_with_every_node(browser_for):
    browser, _ = browser_for(["user.read.other"], is_staff=True)
    assert browser.get("/admin/accounts/user/").status_code == 403  # staff, but without every node
    browser, _ = browser_for(["*"])  # every node, but not staff: to the admin sign-in
    assert browser.get("/admin/accounts/user/").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/role/",
        "/admin/accounts/apikey/",
        "/admin/clients/client/",
        "/admin/clients/contact/",
        "/admin/psa/auditevent/",
        "/admin/psa/jobrun/",
        "/admin/accounts/user/add/",
        "/admin/accounts/role/add/",
        "/admin/clients/client/add/",
    ],
)
def test_admin_pages_load(staff, path):
    browser, _ = staff
    assert browser.get(path).status_code == 200


def test_user_admin_never_shows_the_password_hash(staff):
    browser, _ = staff
    user = make_user([], login="victim")
    user.set_password("a secret passphrase")
    user.save()
    body = browser.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert 'name="password"' not in body
    assert user.password not in body
    assert user.password.split("$")[-1] not in body


def test_api_key_admin_is_read_only_and_hides_digest(staff):
    browser, owner = staff
    key, plaintext = make_key(owner, description="ci key")
    listing = browser.get("/admin/accounts/apikey/").content.decode()
    assert "ci key" in listing and key.prefix in listing
    page = browser.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert key.prefix in body
    assert key.digest not in body and plaintext not in body and plaintext.split("_", 2)[2] not in body
    assert browser.get("/admin/accounts/apikey/add/").status_code == 403
    assert browser.post(f"/admin/accounts/apikey/{key.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_audit_events_and_job_runs_are_read_only(staff):
    browser, _ = staff
    assert browser.get("/admin/psa/auditevent/add/").status_code == 403
    assert browser.get("/admin/psa/jobrun/add/").status_code == 403


def test_admin_writes_are_audited(staff):
    browser, _ = staff
    response = browser.post(
        "/admin/clients/client/add/",
        {
            "name": "Admin Made",
            "type": "customer",
            "tags": "[]",
            "currency": "USD",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
            "contacts-0-first_name": "Ann",
            "contacts-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    client = Client.objects.get(name="Admin Made")
    assert AuditEvent.objects.filter(action="create", object_type="clients.client", object_id=str(client.pk)).exists()
    contact = client.contacts.get()
    assert AuditEvent.objects.filter(action="create", object_type="clients.contact", object_id=str(contact.pk)).exists()


def test_admin_change_and_delete_are_audited(staff):
    browser, _ = staff
    client = make_client("Before")
    contact = make_contact(client)
    response = browser.post(f"/admin/clients/contact/{contact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="delete", object_type="clients.contact", object_id=str(contact.pk)).exists()
    role = Role.objects.create(title="Temp", moniker="temp")
    response = browser.post(
        f"/admin/accounts/role/{role.pk}/change/",
        {"title": "Temp 2", "moniker": "temp", "description": "", "permissions": '["client.read"]'},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="update", object_type="accounts.role")
    assert event.changes["title"] == {"old": "Temp", "new": "Temp 2"}


def test_builtin_roles_cannot_be_deleted_in_admin(staff):
    browser, _ = staff
    admin_role = Role.objects.get(moniker="admin")
    assert browser.post(f"/admin/accounts/role/{admin_role.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Role.objects.filter(pk=admin_role.pk).exists()
