"""The vault in headless Chromium: a type with a multi_credential field built in the type editor, a credential with
two sub-credentials from the generated form, a reveal that hides itself again, its audit entry, and a live TOTP code."""

import pytest

from credentials import services
from credentials.models import Credential, CredentialType
from psa.models import AuditEvent
from tests.credentials.factories import TOTP_SECRET, make_credential, make_type
from tests.e2e.conftest import sign_in
from tests.factories import make_client, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery staple"
SECRET = "psk-two-Zq8!e2e"


def test_type_credential_with_sub_credentials_reveal_and_audit(page):
    user = make_user(["*"], login="vera", name="Vera Vault")
    user.set_password(PASSWORD)
    user.save()
    acme = make_client("Acme Dental")
    page.clock.install()
    sign_in(page, "vera", PASSWORD)

    # 1. The type editor: a plain field and a multi_credential field with two sub-fields, one of them secret.
    page.goto("/credentials/types/new/")
    page.locator("#id_name").fill("Site VPN")
    page.get_by_label("Permission scope").fill("credential.vpn")
    page.get_by_role("button", name="Add field", exact=True).click()
    page.get_by_label("Field 1 name").fill("Hostname")
    page.get_by_role("button", name="Add field", exact=True).click()
    page.get_by_label("Field 2 name").fill("Tunnels")
    page.get_by_label("Field 2 type").select_option("multi_credential")
    page.get_by_role("button", name="Add sub-field to field 2").click()
    page.get_by_label("Field 2 sub-field 1 name").fill("Server")
    page.get_by_label("Field 2 sub-field 1 required").check()
    page.get_by_role("button", name="Add sub-field to field 2").click()
    page.get_by_label("Field 2 sub-field 2 name").fill("Pre-shared key")
    page.get_by_label("Field 2 sub-field 2 type").select_option("password")
    assert page.get_by_label("Field 2 sub-field 2 secure").is_checked()  # passwords are always secure
    page.get_by_role("button", name="Create type").click()
    page.get_by_role("heading", name="Credential types").wait_for()
    kind = CredentialType.objects.get(name="Site VPN")
    assert [f["id"] for f in kind.fields] == ["hostname", "tunnels"]
    assert kind.fields[1]["sub_fields"][1] == {
        "id": "pre_shared_key", "name": "Pre-shared key", "required": False, "secure": True, "value_type": "password",
    }  # fmt: skip

    # 2. A credential of that type with two sub-credentials, from the generated form.
    page.goto(f"/credentials/new/?client={acme.pk}")
    page.get_by_label("Type").select_option(label="Site VPN")
    page.get_by_role("button", name="Continue").click()
    page.locator("[name=name]").fill("HQ firewall")
    page.get_by_label("Hostname").fill("fw.acme.example")
    page.locator("[name=s__tunnels__0__name]").fill("Tunnel one")
    page.locator("[name=s__tunnels__0__f__server]").fill("vpn1.acme.example")
    page.locator("[name=s__tunnels__0__f__pre_shared_key]").fill("psk-one-e2e")
    page.get_by_role("button", name="Add another Tunnels").click()
    page.locator("[name=s__tunnels__1__name]").fill("Tunnel two")
    page.locator("[name=s__tunnels__1__f__server]").fill("vpn2.acme.example")
    page.locator("[name=s__tunnels__1__f__pre_shared_key]").fill(SECRET)
    page.get_by_role("button", name="Save credential").click()
    page.get_by_role("heading", name="HQ firewall").wait_for()
    credential = Credential.objects.get(name="HQ firewall")
    assert sorted(credential.children.values_list("name", flat=True)) == ["Tunnel one", "Tunnel two"]
    assert SECRET not in page.content()

    # 3. Reveal the second tunnel's key: shown, then masked again after 30 seconds.
    tunnel = page.locator("article", has_text="Tunnel two")
    value = tunnel.locator("[data-secret-value]")
    assert value.inner_text() == "••••••••"
    tunnel.get_by_role("button", name="Reveal Pre-shared key").click()
    page.wait_for_function("el => el.textContent !== '••••••••'", arg=value.element_handle())
    assert value.inner_text() == SECRET
    assert "Hides in" in tunnel.locator("[data-secret-status]").inner_text()
    page.clock.run_for(31_000)
    page.wait_for_function("el => el.textContent === '••••••••'", arg=value.element_handle())
    assert SECRET not in page.content()

    # 4. The audit entry: on the credential's activity card, and in the database with names only.
    page.reload()
    row = page.locator("table.vault-activity tr[data-action=reveal]")
    row.first.wait_for()
    assert "tunnels.pre_shared_key" in row.first.inner_text() and "success" in row.first.inner_text()
    event = AuditEvent.objects.get(action="reveal")
    second = credential.children.get(name="Tunnel two")
    assert event.object_id == str(second.pk) and event.actor == user and event.outcome == "success"
    assert event.changes == {"fields": ["tunnels.pre_shared_key"], "kind": "secure_value"}
    assert SECRET not in str(event.changes)
    assert services.decrypt_fields(second, ["pre_shared_key"]) == {"pre_shared_key": SECRET}

    # 5. A live one-time code for a TOTP field (audited too); the secret itself never reaches the page.
    login = make_credential(
        acme, make_type(name="Portal login"), values={"username": "u", "password": "p", "mfa": TOTP_SECRET}
    )
    page.goto(f"/credentials/{login.pk}/")
    page.get_by_role("button", name="Show code for MFA").click()
    code = page.locator("[data-field=mfa] [data-secret-value]")
    page.wait_for_function("el => /^[0-9]{6}$/.test(el.textContent)", arg=code.element_handle())
    assert "Code changes in" in page.locator("[data-field=mfa] [data-secret-status]").inner_text()
    assert TOTP_SECRET not in page.content()
    assert AuditEvent.objects.filter(action="reveal", object_id=str(login.pk), changes__kind="totp_code").exists()
