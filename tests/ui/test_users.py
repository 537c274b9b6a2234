"""User administration pages: the API's nodes, no granting of nodes one lacks, client scope, audited writes."""

import pytest

from accounts.models import Role, User
from psa.models import AuditEvent
from tests.factories import make_client, make_role, make_user

pytestmark = pytest.mark.django_db

EDITOR = ["user.read.other", "user.write.other", "user.roles.other", "user.permissions.other", "client.read"]


def edit_data(user, **overrides):
    data = {
        "name": user.name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "roles": [str(r.pk) for r in user.roles.all()],
        "permissions": [n for n in user.permissions],
        "other_grants": "",
        "allowed_clients": [str(c.pk) for c in user.allowed_clients.all()],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- List -----------------------------------------------------------------------------------------------------------


def test_user_list_needs_user_read_other(browser_for):
    browser, _ = browser_for(["user.read"])
    response = browser.get("/users/")
    assert response.status_code == 403
    assert "user.read.other" in response.content.decode()


def test_user_list_searches_with_the_user_filterset(browser_for):
    make_user([], login="zed.alpha", name="Zed Alpha")
    make_user([], login="other")
    browser, _ = browser_for(["user.read.other", "user.list.other"])
    response = browser.get("/users/", {"search": "zed"})
    assert response.status_code == 200
    logins = [u.login for u in response.context["page"].object_list]
    assert logins == ["zed.alpha"]
    assert 'value="zed"' in response.content.decode()


def test_user_list_filters_by_role_and_status(browser_for):
    role = make_role(["client.read"], moniker="helpdesk")
    u1 = make_user([], login="a-helpdesk")
    u1.roles.add(role)
    make_user([], login="b-inactive", is_active=False)
    browser, _ = browser_for(["user.read.other", "user.list.other"])
    logins = [u.login for u in browser.get("/users/", {"role": "helpdesk"}).context["page"].object_list]
    assert logins == ["a-helpdesk"]
    logins = [u.login for u in browser.get("/users/", {"is_active": "false"}).context["page"].object_list]
    assert logins == ["b-inactive"]


# --- Detail and edit ------------------------------------------------------------------------------------------------


def test_user_detail_is_read_only_without_write_node(browser_for):
    subject = make_user([], login="subject", name="Sub Ject")
    browser, _ = browser_for(["user.read.other"])
    response = browser.get(f"/users/{subject.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sub Ject" in body and "user.write.other" in body
    assert "Save changes" not in body
    assert all(field.disabled for field in response.context["form"].fields.values())
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, name="Hacked"))
    assert response.status_code == 403
    subject.refresh_from_db()
    assert subject.name == "Sub Ject"


def test_unknown_user_is_404(browser_for):
    browser, _ = browser_for(EDITOR)
    assert browser.get("/users/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_password_hash_is_never_rendered(browser_for):
    subject = make_user([], login="subject")
    subject.set_password("some long password 1")
    subject.save()
    browser, _ = browser_for(EDITOR)
    body = browser.get(f"/users/{subject.pk}/").content.decode()
    assert subject.password not in body
    assert "md5$" not in body


def test_edit_user_saves_and_audits(browser_for):
    a = make_client("A")
    role = make_role(["client.read"])
    subject = make_user([], login="subject", name="Old Name")
    browser, editor = browser_for(EDITOR)
    data = edit_data(
        subject,
        name="New Name",
        email="new@example.com",
        roles=[str(role.pk)],
        permissions=["client.read"],
        allowed_clients=[str(a.pk)],
    )
    response = browser.post(f"/users/{subject.pk}/", data)
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.name == "New Name" and subject.email == "new@example.com"
    assert list(subject.roles.all()) == [role]
    assert subject.permissions == ["client.read"]
    assert list(subject.allowed_clients.all()) == [a]
    event = AuditEvent.objects.get(action="update", object_type="accounts.user")
    assert event.actor_id == editor.pk and event.object_id == str(subject.pk)
    assert {"name", "email", "roles", "permissions", "allowed_clients"} <= set(event.changes)
    assert event.changes["name"] == {"old": "Old Name", "new": "New Name"}


def test_edit_without_changes_records_nothing(browser_for):
    subject = make_user([], login="subject")
    browser, _ = browser_for(EDITOR)
    assert browser.post(f"/users/{subject.pk}/", edit_data(subject)).status_code == 302
    assert not AuditEvent.objects.exists()


def test_the_edit_form_sets_no_password(browser_for):
    subject = make_user([], login="subject")
    old_hash = subject.password
    browser, _ = browser_for(EDITOR)
    body = browser.get(f"/users/{subject.pk}/").content.decode()
    assert 'name="new_password"' not in body
    browser.post(f"/users/{subject.pk}/", {**edit_data(subject), "new_password": "a fresh long passphrase"})
    subject.refresh_from_db()
    assert subject.password == old_hash


def test_invalid_email_says_what_is_wrong(browser_for):
    subject = make_user([], login="subject")
    browser, _ = browser_for(EDITOR)
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, email="not-an-email"))
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert 'value="not-an-email"' in response.content.decode()


def test_roles_need_user_roles_other(browser_for):
    role = make_role(["client.read"])
    subject = make_user([], login="subject")
    browser, _ = browser_for(["user.read.other", "user.write.other", "client.read"])
    page = browser.get(f"/users/{subject.pk}/")
    assert page.context["form"].fields["roles"].disabled
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, name="Renamed", roles=[str(role.pk)]))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.name == "Renamed"
    assert not subject.roles.exists()


def test_direct_nodes_need_user_permissions_other(browser_for):
    subject = make_user(["client.read"], login="subject")
    browser, _ = browser_for(["user.read.other", "user.write.other", "client.read", "client.update"])
    assert browser.get(f"/users/{subject.pk}/").context["form"].fields["permissions"].disabled
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, permissions=["client.update"]))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.permissions == ["client.read"]


def test_cannot_grant_a_role_holding_nodes_one_lacks(browser_for):
    admin = Role.objects.get(moniker="admin")
    subject = make_user([], login="subject")
    browser, _ = browser_for(EDITOR)
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, name="Kept", roles=[str(admin.pk)]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "You cannot grant permission nodes you do not hold: *." in body
    assert 'value="Kept"' in body
    assert not subject.roles.exists()
    assert not AuditEvent.objects.exists()


def test_cannot_grant_direct_nodes_one_lacks(browser_for):
    subject = make_user([], login="subject")
    browser, _ = browser_for(EDITOR)
    response = browser.post(
        f"/users/{subject.pk}/", edit_data(subject, permissions=["role.delete"], other_grants="ticket.*")
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["permissions"])
    assert "role.delete" in errors
    subject.refresh_from_db()
    assert subject.permissions == []


def test_existing_roles_beyond_the_editor_do_not_block_other_edits(browser_for):
    subject = make_user([], login="subject")
    subject.roles.add(Role.objects.get(moniker="admin"))
    browser, _ = browser_for(EDITOR)
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, name="Renamed"))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.name == "Renamed" and subject.roles.filter(moniker="admin").exists()


def test_unknown_grant_is_refused(browser_for):
    subject = make_user([], login="subject")
    browser, _ = browser_for(["*"])
    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, other_grants="nonsense.node"))
    assert response.status_code == 400
    assert "Unknown permission node: nonsense.node" in response.content.decode()


def test_cannot_deactivate_oneself(browser_for):
    browser, editor = browser_for(EDITOR)
    response = browser.post(f"/users/{editor.pk}/", edit_data(editor, is_active=""))
    assert response.status_code == 400
    assert "You cannot deactivate your own user." in response.content.decode()
    editor.refresh_from_db()
    assert editor.is_active


def test_scoped_editor_cannot_change_users_and_sees_only_their_clients(browser_for):
    a, b = make_client("A"), make_client("B")
    subject = make_user([], login="subject", clients=[a, b])
    outsider = make_user([], login="outsider", clients=[b])
    browser, _ = browser_for(EDITOR, clients=[a])
    body = browser.get(f"/users/{subject.pk}/").content.decode()
    assert f'value="{a.pk}"' in body and f'value="{b.pk}"' not in body
    assert "limited to some clients" in body

    response = browser.post(f"/users/{subject.pk}/", edit_data(subject, allowed_clients=[], name="Changed"))
    assert response.status_code == 403
    subject.refresh_from_db()
    assert set(subject.allowed_clients.all()) == {a, b} and subject.name != "Changed"
    # A user who sees none of the editor's clients is not shown at all.
    assert browser.get(f"/users/{outsider.pk}/").status_code == 404
    assert "outsider" not in browser.get("/users/").content.decode()


# --- Create ---------------------------------------------------------------------------------------------------------


def create_data(**overrides):
    data = {
        "login": "new.tech",
        "name": "New Tech",
        "email": "new.tech@example.com",
        "is_active": "on",
        "other_grants": "",
    }
    data.update(overrides)
    return data


def test_create_user_needs_user_create_other(browser_for):
    browser, _ = browser_for(["user.read.other", "user.write.other"])
    assert browser.get("/users/new/").status_code == 403
    assert browser.post("/users/new/", create_data()).status_code == 403
    assert not User.objects.filter(login="new.tech").exists()


def test_create_user_shows_a_one_time_link_to_choose_a_password(browser_for, client):
    role = make_role(["client.read"])
    browser, editor = browser_for(["user.read.other", "user.create.other", "user.roles.other", "client.read"])
    response = browser.post("/users/new/", create_data(roles=[str(role.pk)]))
    assert response.status_code == 200
    user = User.objects.get(login="new.tech")
    assert not user.has_usable_password()
    assert list(user.roles.all()) == [role]
    event = AuditEvent.objects.get(action="create", object_type="accounts.user")
    assert event.actor_id == editor.pk
    assert event.changes["login"] == {"old": None, "new": "new.tech"}
    link = response.context["reset_link"]
    assert link in response.content.decode()
    # The new user opens the link and chooses a password, then signs in with it.
    landing = client.get(link, follow=True)
    assert landing.context["validlink"]
    chosen = {"new_password1": "a long enough passphrase", "new_password2": "a long enough passphrase"}
    assert client.post(landing.redirect_chain[-1][0], chosen).status_code == 302
    assert client.post("/login/", {"username": "new.tech", "password": "a long enough passphrase"}).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"login": ""}, "login", "Enter a login"),
        ({"login": "has space"}, "login", "no spaces"),
        ({"login": "Existing"}, "login", "already exists"),
        ({"email": "nope"}, "email", "valid email"),
    ],
)
def test_create_user_validation(browser_for, overrides, field, message):
    make_user([], login="existing")
    browser, _ = browser_for(["user.read.other", "user.create.other"])
    response = browser.post("/users/new/", create_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'value="New Tech"' in response.content.decode()
    assert User.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_scoped_creator_cannot_create_users(browser_for):
    a = make_client("A")
    browser, _ = browser_for(["user.read.other", "user.create.other"], clients=[a])
    assert browser.get("/users/new/").status_code == 403
    assert browser.post("/users/new/", create_data(allowed_clients=[str(a.pk)])).status_code == 403
    assert not User.objects.filter(login="new.tech").exists()
