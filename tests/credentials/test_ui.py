"""The vault's UI pages: permissions and scope, masked secrets, generated forms, audited writes, the type editor."""

from __future__ import annotations

import json

import pytest
from django.template import Context, Template
from django.test import Client as BrowserClient
from django.test import RequestFactory

from credentials import services
from credentials.models import Credential, CredentialType, SecureValue
from psa.models import AuditEvent
from tests.credentials.factories import LOGIN_FIELDS, VPN_FIELDS, make_credential, make_type, sub_input
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TECH = ["credential.*", "credential_type.read", "client.read", "audit.read", "obj.*"]


def browser(nodes, clients=()):
    user = make_user(nodes, clients)
    client = BrowserClient()
    client.force_login(user)
    return client, user


@pytest.fixture
def vpn(client_a):
    kind = make_type(VPN_FIELDS, name="VPN")
    return make_credential(
        client_a,
        kind,
        name="Firewall",
        values={"hostname": "fw.example.com", "admin_password": "ui-admin-secret"},
        subs={"tunnels": [sub_input("Tunnel 1", server="vpn1", psk="ui-psk-secret")]},
    )


def test_list_search_and_type_filter(client_a, client_b, vpn):
    login = make_type(LOGIN_FIELDS, name="Portal login")
    make_credential(client_a, login, name="Office admin", values={"username": "o365admin", "password": "p"})
    make_credential(client_b, login, name="Hidden admin")
    page, _ = browser(TECH, clients=[client_a])
    html = page.get("/credentials/").content.decode()
    assert "Firewall" in html and "Office admin" in html and "Hidden admin" not in html  # client scope
    assert "Tunnel 1" not in html  # sub-credentials live on their parent's page
    html = page.get("/credentials/", {"type_id": str(login.pk)}).content.decode()
    assert "Office admin" in html and "Firewall" not in html
    html = page.get("/credentials/", {"search": "o365admin"}).content.decode()
    assert "Office admin" in html and "Firewall" not in html
    assert page.get("/credentials/", {"type_id": "not-a-uuid"}).status_code == 200


def test_pages_need_nodes_and_respect_scope(client_a, client_b, vpn):
    nobody, _ = browser(["client.read"])
    assert nobody.get("/credentials/").status_code == 403
    assert nobody.get(f"/credentials/{vpn.pk}/").status_code == 403
    other, _ = browser(TECH, clients=[client_b])
    assert other.get(f"/credentials/{vpn.pk}/").status_code == 404
    assert other.get(f"/credentials/clients/{client_a.pk}/").status_code == 404
    assert other.post(f"/credentials/{vpn.pk}/delete/").status_code == 404
    reader, _ = browser(["credential.read"])
    assert reader.get(f"/credentials/{vpn.pk}/edit/").status_code == 403
    assert reader.post(f"/credentials/{vpn.pk}/delete/").status_code == 403
    assert reader.get("/credentials/types/new/").status_code == 403


def test_detail_masks_secrets_and_offers_reveal_only_with_the_nodes(vpn):
    page, _ = browser(TECH)
    html = page.get(f"/credentials/{vpn.pk}/").content.decode()
    assert "ui-admin-secret" not in html and "ui-psk-secret" not in html
    assert "fw.example.com" in html and "Tunnel 1" in html
    assert f"/api/v1/credentials/{vpn.pk}/secure-values/admin_password" in html
    tunnel = vpn.children.get()
    assert f"/api/v1/credentials/{tunnel.pk}/secure-values/psk" in html
    assert "credentials/vault.js" in html
    no_reveal, _ = browser(["credential.read", "obj.*"])
    html = no_reveal.get(f"/credentials/{vpn.pk}/").content.decode()
    assert "data-reveal-url" not in html and "credential.secure_values.read" in html


def test_reveal_through_the_session_is_audited(vpn):
    page, user = browser(TECH)
    response = page.get(f"/api/v1/credentials/{vpn.pk}/secure-values/admin_password", HTTP_ACCEPT="application/json")
    assert response.json()["data"]["value"] == "ui-admin-secret"
    event = AuditEvent.objects.get(action="reveal")
    assert event.actor == user and event.api_key is None and event.outcome == "success"
    html = page.get(f"/credentials/{vpn.pk}/").content.decode()
    assert 'data-action="reveal"' in html and "admin_password" in html  # the activity card shows it


def test_create_with_generated_form_and_sub_credential_rows(client_a):
    kind = make_type(VPN_FIELDS, name="VPN")
    page, user = browser(TECH)
    start = page.get("/credentials/new/", {"client": str(client_a.pk)})
    assert start.status_code == 200 and b"Choose a type" in start.content
    url = f"/credentials/new/?client={client_a.pk}&type={kind.pk}"
    form = page.get(url).content.decode()
    assert 'name="f__admin_password"' in form and 'type="password"' in form
    assert 'name="s__tunnels__0__f__psk"' in form and "hops" not in form.split("s__tunnels__0__")[-1][:200]
    post = {
        "name": "Branch firewall",
        "notes": "",
        "f__hostname": "branch.example.com",
        "f__admin_password": "branch-secret",
        "s__tunnels__0__name": "Tunnel A",
        "s__tunnels__0__f__server": "a.example.com",
        "s__tunnels__0__f__psk": "psk-a",
        "s__tunnels__3__name": "Tunnel B",
        "s__tunnels__3__f__server": "b.example.com",
        "s__tunnels__3__f__psk": "psk-b",
        "s__tunnels__4__name": "",
        "s__tunnels__4__f__server": "",
        "s__tunnels__4__f__psk": "",
    }
    response = page.post(url, post)
    assert response.status_code == 302, response.content.decode()[:2000]
    credential = Credential.objects.get(name="Branch firewall")
    assert response["Location"] == f"/credentials/{credential.pk}/"
    assert sorted(credential.children.values_list("name", flat=True)) == ["Tunnel A", "Tunnel B"]
    assert services.decrypt_fields(credential.children.get(name="Tunnel B"), ["psk"]) == {"psk": "psk-b"}
    assert AuditEvent.objects.filter(action="create", actor=user).count() == 3


def test_create_form_errors_keep_secrets_out_of_the_page(client_a):
    kind = make_type(VPN_FIELDS, name="VPN")
    page, _ = browser(TECH)
    url = f"/credentials/new/?client={client_a.pk}&type={kind.pk}"
    response = page.post(
        url,
        {
            "name": "Bad",
            "f__hostname": "",
            "f__admin_password": "typed-secret-not-echoed",
            "s__tunnels__0__name": "T",
            "s__tunnels__0__f__server": "",
            "s__tunnels__0__f__psk": "another-typed-secret",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "typed-secret-not-echoed" not in html and "another-typed-secret" not in html
    assert "This field is required." in html
    assert not Credential.objects.exists()


def test_edit_links_assets_and_contacts_of_the_same_client(client_a, client_b):
    from tests.assets.factories import make_asset
    from tests.factories import make_contact

    credential = make_credential(client_a, values={"username": "u", "password": "p"}, name="Linked")
    server, other = make_asset(client_a, name="DC01"), make_asset(client_b, name="Elsewhere")
    contact = make_contact(client_a, first_name="Ann", last_name="Admin")
    page, _ = browser([*TECH, "asset.read", "contact.read"])
    form = page.get(f"/credentials/{credential.pk}/edit/").content.decode()
    assert "DC01" in form and "Elsewhere" not in form
    data = {"name": "Linked", "f__username": "u", "link__assets": [str(server.pk)], "link__contacts": [str(contact.pk)]}
    assert page.post(f"/credentials/{credential.pk}/edit/", data).status_code == 302
    assert list(credential.assets.all()) == [server] and list(credential.contacts.all()) == [contact]
    assert (
        page.post(f"/credentials/{credential.pk}/edit/", {**data, "link__assets": [str(other.pk)]}).status_code == 400
    )
    html = page.get(f"/credentials/{credential.pk}/").content.decode()
    assert "DC01" in html and "Ann Admin" in html
    assert {"assets", "contacts"} <= set(AuditEvent.objects.get(action="update").changes)


def test_edit_keeps_empty_secure_fields_and_can_clear_optional_ones(client_a):
    credential = make_credential(
        client_a, values={"username": "u", "password": "keep-me", "mfa": "JBSWY3DPEHPK3PXPJBSW"}, name="Login"
    )
    page, _ = browser(TECH)
    form = page.get(f"/credentials/{credential.pk}/edit/").content.decode()
    assert "keep-me" not in form and 'name="clear__mfa"' in form and 'name="clear__password"' not in form
    data = {
        "name": "Login 2",
        "notes": "n",
        "f__username": "u2",
        "f__password": "",
        "f__url": "",
        "f__mfa": "",
        "clear__mfa": "on",
    }
    assert page.post(f"/credentials/{credential.pk}/edit/", data).status_code == 302
    credential.refresh_from_db()
    assert credential.name == "Login 2" and credential.values == {"username": "u2"}
    assert services.decrypt_fields(credential, ["password", "mfa"]) == {"password": "keep-me", "mfa": None}
    event = AuditEvent.objects.get(action="update")
    assert event.changes["secure_values"] == {"old": None, "new": ["mfa"]}
    response = page.post(f"/credentials/{credential.pk}/edit/", {**data, "f__url": "not a url"})
    assert response.status_code == 400 and b"Not a valid URL" in response.content


def test_add_and_delete_sub_credentials_and_restore(vpn):
    page, _ = browser(TECH)
    url = f"/credentials/{vpn.pk}/sub-credentials/new/?field=tunnels"
    assert page.get(url).status_code == 200
    assert page.get(f"/credentials/{vpn.pk}/sub-credentials/new/?field=hostname").status_code == 404
    response = page.post(url, {"name": "Tunnel 2", "f__server": "vpn2", "f__psk": "psk-2"})
    assert response.status_code == 302
    second = vpn.children.get(name="Tunnel 2")
    assert page.post(f"/credentials/{second.pk}/delete/").status_code == 302
    second.refresh_from_db()
    assert second.deleted_at is not None
    assert page.post(f"/credentials/{vpn.pk}/delete/").status_code == 302
    assert page.get(f"/credentials/{vpn.pk}/").status_code == 404
    trash = page.get("/credentials/deleted/").content.decode()
    assert "Firewall" in trash and "Tunnel 2" not in trash  # listed again once its parent is back
    assert page.post(f"/credentials/{vpn.pk}/restore/").status_code == 302
    assert page.get(f"/credentials/{vpn.pk}/").status_code == 200
    assert "Tunnel 2" in page.get("/credentials/deleted/").content.decode()
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(vpn.pk)).order_by("created_at")] == [
        "delete",
        "restore",
    ]


def test_type_editor_creates_and_guards_fields_in_use(client_a):
    page, _ = browser(["credential_type.*", "credential.read", "obj.credentialType.*"])
    fields = [
        {"id": "host", "name": "Host", "value_type": "plain_text"},
        {
            "id": "accounts",
            "name": "Accounts",
            "value_type": "multi_credential",
            "sub_fields": [{"id": "pw", "name": "PW", "value_type": "password"}],
        },
    ]
    data = {
        "name": "Switch",
        "description": "",
        "permission_scope": "credential.network",
        "icon": "",
        "fields_json": json.dumps(fields),
    }
    assert page.post("/credentials/types/new/", data).status_code == 302
    kind = CredentialType.objects.get(name="Switch")
    assert kind.fields[1]["sub_fields"][0]["secure"] is True
    response = page.post("/credentials/types/new/", {**data, "name": "Other", "fields_json": "[{"})
    assert response.status_code == 400 and b"Not valid JSON" in response.content
    bad = [{"id": "x", "name": "X", "value_type": "plain_text", "sub_fields": []}]
    response = page.post("/credentials/types/new/", {**data, "name": "Other", "fields_json": json.dumps(bad)})
    assert response.status_code == 400 and b"0.sub_fields" in response.content
    response = page.post("/credentials/types/new/", {**data, "name": "Other", "permission_scope": "role"})
    assert response.status_code == 400

    make_credential(client_a, kind, values={"host": "h"})
    edit = {**data, "fields_json": json.dumps(fields[1:])}
    response = page.post(f"/credentials/types/{kind.pk}/", edit)
    assert response.status_code == 400 and b"host" in response.content
    assert page.post(f"/credentials/types/{kind.pk}/delete/").status_code == 302  # refused with a message
    assert CredentialType.objects.filter(pk=kind.pk).exists()
    assert b"Switch" in page.get("/credentials/types/").content


def test_client_tab_template_tag(client_a, client_b, vpn):
    _, user = browser(TECH)
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load credentials_tags %}{% client_credentials client %}")
    html = template.render(Context({"request": request, "client": client_a}))
    assert "Firewall" in html and f"/credentials/clients/{client_a.pk}/" in html
    request = RequestFactory().get("/")  # a new request: permission nodes are cached per request
    request.user = make_user(["client.read"])
    assert template.render(Context({"request": request, "client": client_a})).strip() == ""


def test_the_admin_shows_no_secure_value(vpn):
    page, _ = browser(["*"])
    admin = make_user(["*"], is_staff=True, is_superuser=True)
    page.force_login(admin)
    html = page.get(f"/admin/credentials/credential/{vpn.pk}/change/").content.decode()
    assert "admin_password" in html and "ui-admin-secret" not in html
    assert page.get("/admin/credentials/securevalue/").status_code == 404
    assert page.get("/admin/credentials/datakey/").status_code == 404
    assert not SecureValue.objects.filter(ciphertext__contains=b"ui-admin-secret").exists()
