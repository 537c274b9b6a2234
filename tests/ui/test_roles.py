"""Role administration pages."""

import pytest

from accounts.models import Role
from psa.models import AuditEvent
from tests.factories import make_role, make_user

pytestmark = pytest.mark.django_db

MANAGER = ["role.read", "role.create", "role.modify", "role.delete", "client.read", "client.update", "contact.read"]


def role_data(role=None, **overrides):
    data = {
        "title": role.title if role else "Helpdesk",
        "moniker": role.moniker if role else "helpdesk",
        "description": role.description if role else "First-line support",
        "permissions": list(role.permissions) if role else ["client.read"],
        "other_grants": "",
    }
    data.update(overrides)
    return data


def test_role_list_needs_role_read(browser_for):
    browser, _ = browser_for(["user.read"])
    response = browser.get("/roles/")
    assert response.status_code == 403
    assert "role.read" in response.content.decode()


def test_role_list_shows_builtins_and_searches(browser_for):
    browser, _ = browser_for(["role.read"])
    response = browser.get("/roles/")
    assert response.status_code == 200
    monikers = {r.moniker for r in response.context["page"].object_list}
    assert {"admin", "technician", "dispatcher", "read_only"} <= monikers
    response = browser.get("/roles/", {"search": "dispatch"})
    assert [r.moniker for r in response.context["page"].object_list] == ["dispatcher"]
    assert "New role" not in response.content.decode()


def test_role_detail_groups_registry_nodes_by_category(browser_for):
    role = make_role(["client.read"])
    browser, _ = browser_for(["role.read"])
    response = browser.get(f"/roles/{role.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Client Permissions" in body and "User Permissions" in body
    assert 'value="client.read" id="id_permissions_client-read" checked disabled' in body
    assert "role.modify" in body  # the read-only notice names the missing node
    assert browser.post(f"/roles/{role.pk}/", role_data(role, title="X")).status_code == 403


def test_role_holders_need_user_read_other(browser_for):
    role = make_role(["client.read"])
    holder = make_user([], login="holder.login")
    holder.roles.add(role)
    browser, _ = browser_for(["role.read"])
    body = browser.get(f"/roles/{role.pk}/").content.decode()
    assert "holder.login" not in body and "Users with this role (1)" in body
    browser, _ = browser_for(["role.read", "user.read.other"])
    assert "holder.login" in browser.get(f"/roles/{role.pk}/").content.decode()


def test_unknown_role_is_404(browser_for):
    browser, _ = browser_for(MANAGER)
    assert browser.get("/roles/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_create_role_and_audit(browser_for):
    browser, user = browser_for(MANAGER)
    response = browser.post(
        "/roles/new/", role_data(permissions=["client.read", "client.update"], other_grants="contact.read")
    )
    assert response.status_code == 302
    role = Role.objects.get(moniker="helpdesk")
    assert role.title == "Helpdesk" and role.permissions == ["client.read", "client.update", "contact.read"]
    assert not role.is_builtin
    event = AuditEvent.objects.get(action="create", object_type="accounts.role")
    assert event.actor_id == user.pk and event.object_id == str(role.pk)
    assert event.changes["permissions"]["new"] == ["client.read", "client.update", "contact.read"]


def test_create_role_needs_role_create(browser_for):
    browser, _ = browser_for(["role.read", "client.read"])
    assert browser.get("/roles/new/").status_code == 403
    assert browser.post("/roles/new/", role_data()).status_code == 403
    assert not Role.objects.filter(moniker="helpdesk").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"moniker": ""}, "moniker", "Enter a moniker"),
        ({"moniker": "has space"}, "moniker", "no spaces"),
        ({"moniker": "technician"}, "moniker", "already exists"),
        ({"other_grants": "bogus.node"}, "other_grants", "Unknown permission node: bogus.node"),
        ({"permissions": ["not.a.node"]}, "permissions", "Select a valid choice"),
    ],
)
def test_create_role_validation(browser_for, overrides, field, message):
    browser, _ = browser_for(MANAGER)
    response = browser.post("/roles/new/", role_data(description="kept text", **overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert "kept text" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_cannot_create_a_role_with_nodes_one_lacks(browser_for):
    browser, _ = browser_for(MANAGER)
    response = browser.post(
        "/roles/new/", role_data(permissions=["client.read", "user.delete.other"], other_grants="*")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "You cannot grant permission nodes you do not hold: *, user.delete.other." in body
    assert not Role.objects.filter(moniker="helpdesk").exists()


def test_edit_role_and_audit(browser_for):
    role = make_role(["client.read"], moniker="helpdesk")
    browser, _ = browser_for(MANAGER)
    response = browser.post(
        f"/roles/{role.pk}/", role_data(role, title="Service desk", permissions=["client.read", "contact.read"])
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.title == "Service desk" and role.permissions == ["client.read", "contact.read"]
    event = AuditEvent.objects.get(action="update", object_type="accounts.role")
    assert event.changes["title"]["new"] == "Service desk"
    assert event.changes["permissions"] == {"old": ["client.read"], "new": ["client.read", "contact.read"]}


def test_edit_role_cannot_add_nodes_one_lacks_but_may_keep_them(browser_for):
    role = make_role(["client.read", "role.delete"], moniker="helpdesk")
    browser, _ = browser_for(["role.read", "role.modify", "client.read"])
    # Keeping a node the editor lacks is fine; adding one is not.
    response = browser.post(f"/roles/{role.pk}/", role_data(role, title="Renamed"))
    assert response.status_code == 302
    response = browser.post(f"/roles/{role.pk}/", role_data(role, permissions=[*role.permissions, "user.read.other"]))
    assert response.status_code == 400
    assert "user.read.other" in response.content.decode()
    role.refresh_from_db()
    assert "user.read.other" not in role.permissions


def test_grants_outside_the_registry_are_kept(browser_for):
    technician = Role.objects.get(moniker="technician")
    original = list(technician.permissions)
    browser, _ = browser_for(["*"])
    form = browser.get(f"/roles/{technician.pk}/").context["form"]
    data = role_data(
        technician,
        permissions=form.initial["permissions"],
        other_grants=form.initial["other_grants"],
        description="Updated",
    )
    data.pop("moniker")  # disabled for built-in roles
    response = browser.post(f"/roles/{technician.pk}/", data)
    assert response.status_code == 302
    technician.refresh_from_db()
    assert sorted(technician.permissions) == sorted(original)
    assert technician.description == "Updated" and technician.moniker == "technician"


def test_builtin_moniker_cannot_change(browser_for):
    technician = Role.objects.get(moniker="technician")
    browser, _ = browser_for(["*"])
    browser.post(f"/roles/{technician.pk}/", role_data(technician, moniker="renamed"))
    technician.refresh_from_db()
    assert technician.moniker == "technician"


def test_delete_role_confirms_then_deletes_and_audits(browser_for):
    role = make_role(["client.read"], moniker="temp")
    holder = make_user([])
    holder.roles.add(role)
    browser, user = browser_for(MANAGER)
    page = browser.get(f"/roles/{role.pk}/delete/")
    assert page.status_code == 200 and "1 user holds this role" in page.content.decode()
    assert Role.objects.filter(pk=role.pk).exists()
    response = browser.post(f"/roles/{role.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/roles/"
    assert not Role.objects.filter(pk=role.pk).exists()
    event = AuditEvent.objects.get(action="delete")
    assert event.object_type == "accounts.role" and event.object_id == str(role.pk) and event.actor_id == user.pk


def test_builtin_roles_cannot_be_deleted(browser_for):
    admin = Role.objects.get(moniker="admin")
    browser, _ = browser_for(["*"])
    assert f"/roles/{admin.pk}/delete/" not in browser.get(f"/roles/{admin.pk}/").content.decode()
    response = browser.post(f"/roles/{admin.pk}/delete/")
    assert response.status_code == 409
    assert "Built-in roles cannot be deleted." in response.content.decode()
    assert Role.objects.filter(pk=admin.pk).exists()
    assert not AuditEvent.objects.exists()


def test_delete_needs_role_delete(browser_for):
    role = make_role([], moniker="temp")
    browser, _ = browser_for(["role.read", "role.modify"])
    assert browser.get(f"/roles/{role.pk}/delete/").status_code == 403
    assert browser.post(f"/roles/{role.pk}/delete/").status_code == 403
    assert Role.objects.filter(pk=role.pk).exists()
