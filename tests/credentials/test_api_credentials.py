"""The credential routes: create with fields and inline sub-credentials, reads, updates, sub-credentials, deletes."""

from __future__ import annotations

import pytest

from credentials import services
from credentials.models import Credential, DataKey, SecureValue
from psa.models import AuditEvent
from tests.credentials.factories import TOTP_SECRET, VPN_FIELDS, make_credential, make_type, sub_input
from tests.factories import api_for, make_contact
from tests.psa.helpers import data_of, error_of, error_paths, error_text

pytestmark = pytest.mark.django_db

WRITER = ["credential.*", "credential_type.read", "obj.*"]


def _fields(**values) -> list[dict]:
    return [{"field_id": k, "value": v} for k, v in values.items()]


def _by_id(fields: list[dict]) -> dict[str, dict]:
    return {f["id"]: f for f in fields}


@pytest.fixture
def vpn_type(db):
    return make_type(VPN_FIELDS, name="VPN")


@pytest.fixture
def writer(client_a):
    return api_for(WRITER)[0]


def _create_vpn(api, client, vpn_type, **overrides):
    body = {
        "client_id": str(client.pk),
        "type_id": str(vpn_type.pk),
        "name": "Firewall",
        "notes": "Main site",
        "fields": _fields(hostname="fw.example.com", admin_password="fw-admin-secret"),
        "sub_credentials": {
            "tunnels": [
                {
                    "name": "Tunnel 1",
                    "fields": _fields(server="vpn1.example.com", psk="psk-one"),
                    "sub_credentials": {
                        "hops": [{"name": "Hop", "fields": _fields(address="10.0.0.1", secret="hop-s")}]
                    },
                },
                {"name": "Tunnel 2", "fields": _fields(server="vpn2.example.com", psk="psk-two")},
            ]
        },
    }
    body.update(overrides)
    return api.post("/api/v1/credentials", body, format="json")


def test_create_with_fields_and_inline_sub_credentials(writer, client_a, vpn_type):
    data = data_of(_create_vpn(writer, client_a, vpn_type), 201)
    fields = _by_id(data["fields"])
    assert fields["hostname"] == {
        "id": "hostname", "name": "Hostname", "value_type": "plain_text", "secure": False, "required": True,
        "value": "fw.example.com", "is_set": True,
    }  # fmt: skip
    assert fields["admin_password"]["value"] is None
    assert fields["admin_password"]["secure"] is True and fields["admin_password"]["is_set"] is True
    assert len(fields["tunnels"]["value"]) == 2
    assert [s["name"] for s in data["sub_credentials"]["tunnels"]] == ["Tunnel 1", "Tunnel 2"]
    assert data["type"]["name"] == "VPN" and data["client"]["id"] == str(client_a.pk)

    credential = Credential.objects.get(pk=data["id"])
    assert credential.values == {"hostname": "fw.example.com"}
    tunnel = credential.children.get(name="Tunnel 1")
    assert tunnel.parent_field == "tunnels" and tunnel.client_id == client_a.pk and tunnel.type_id == vpn_type.pk
    hop = tunnel.children.get()
    assert hop.parent_field == "tunnels.hops"
    assert services.decrypt_fields(hop, ["secret"]) == {"secret": "hop-s"}
    assert services.decrypt_fields(tunnel, ["psk"]) == {"psk": "psk-one"}
    # Each (sub-)credential has its own data key, and its creation is audited without values.
    assert DataKey.objects.filter(credential__in=[credential, tunnel, hop]).count() == 3
    events = AuditEvent.objects.filter(action="create", object_type="credentials.credential")
    assert events.count() == 4
    root_event = events.get(object_id=str(credential.pk))
    assert root_event.changes["secure_values"] == {"old": None, "new": ["admin_password"]}
    assert "fw-admin-secret" not in str(list(events.values()))


def test_create_validation_errors_name_each_field(writer, client_a, vpn_type):
    response = _create_vpn(
        writer,
        client_a,
        vpn_type,
        fields=_fields(admin_password="x", colour="red"),
        sub_credentials={"tunnels": [{"name": "T", "fields": _fields(server="s")}], "nope": []},
    )
    paths = error_paths(response)
    assert ["fields", 1, "field_id"] in paths  # unknown field
    assert ["sub_credentials", "tunnels", 0, "fields"] in paths  # psk is required in a tunnel
    assert ["sub_credentials", "nope"] in paths
    assert "x" not in error_text(response).split()  # values are never echoed

    response = _create_vpn(writer, client_a, vpn_type, fields=_fields(admin_password="only"))
    assert ["fields"] in error_paths(response)
    assert "hostname" in error_text(response)

    bad_ip = {"hops": [{"name": "H", "fields": _fields(address="999.0.0.1")}]}
    response = _create_vpn(
        writer,
        client_a,
        vpn_type,
        sub_credentials={"tunnels": [{"name": "T", "fields": _fields(server="s", psk="p"), "sub_credentials": bad_ip}]},
    )
    assert error_paths(response) == [
        ["sub_credentials", "tunnels", 0, "sub_credentials", "hops", 0, "fields", 0, "value"]
    ]
    assert Credential.objects.count() == 0  # nothing half-created


def test_create_refuses_unknown_body_fields_and_other_clients(writer, client_a, client_b, vpn_type):
    assert ["secret"] in error_paths(_create_vpn(writer, client_a, vpn_type, secret="x"))
    scoped, _, _ = api_for(WRITER, key_clients=[client_a])
    assert ["client_id"] in error_paths(_create_vpn(scoped, client_b, vpn_type))


def test_type_by_name_and_bitlocker_validation(writer, client_a):
    make_type(
        [{"id": "key", "name": "Recovery key", "value_type": "bitlocker_key", "required": True}], name="BitLocker"
    )
    body = {"client_id": str(client_a.pk), "type_id": "bitlocker", "name": "Laptop"}
    response = writer.post("/api/v1/credentials", {**body, "fields": _fields(key="123456-1")}, format="json")
    assert error_paths(response) == [["fields", 0, "value"]]
    good = "000011-000022-000033-000044-000055-000066-000077-000088"
    data = data_of(writer.post("/api/v1/credentials", {**body, "fields": _fields(key=good)}, format="json"), 201)
    assert _by_id(data["fields"])["key"]["value"] is None


def test_reads_never_carry_secure_values(writer, client_a, vpn_type):
    credential_id = data_of(_create_vpn(writer, client_a, vpn_type), 201)["id"]
    urls = [
        "/api/v1/credentials",
        f"/api/v1/credentials/{credential_id}",
        f"/api/v1/credentials/{credential_id}/fields",
        f"/api/v1/credentials/{credential_id}/sub-credentials",
        f"/api/v1/clients/{client_a.pk}/credentials",
        f"/api/v1/credential-types/{vpn_type.pk}/credentials",
        "/api/v1/credentials?search=psk",
    ]
    for url in urls:
        body = writer.get(url).content.decode()
        for secret in ("fw-admin-secret", "psk-one", "psk-two", "hop-s"):
            assert secret not in body, url


def test_list_search_type_filter_and_client_filter(writer, client_a, client_b, vpn_type):
    login = make_type(name="Portal login")
    make_credential(client_a, login, name="Office 365 admin", values={"username": "globaladmin", "password": "x"})
    make_credential(client_b, login, name="Other client's admin")
    data_of(_create_vpn(writer, client_a, vpn_type), 201)
    names = lambda query: [row["name"] for row in data_of(writer.get("/api/v1/credentials", query))]  # noqa: E731
    assert names({}) == ["Firewall", "Office 365 admin", "Other client's admin"]  # sub-credentials are not listed
    assert names({"type": "portal login"}) == ["Office 365 admin", "Other client's admin"]
    assert names({"type_id": str(vpn_type.pk)}) == ["Firewall"]
    assert names({"client_id": str(client_a.pk)}) == ["Firewall", "Office 365 admin"]
    assert names({"search": "globaladmin"}) == ["Office 365 admin"]  # plain values are searchable
    assert names({"search": "fw-admin-secret"}) == []  # secure values are not
    assert names({"sort": "type", "order": "desc"})[0] == "Firewall"
    assert ["sort"] in error_paths(writer.get("/api/v1/credentials", {"sort": "notes"}))


def test_client_credentials_route_and_client_scope(client_a, client_b):
    make_credential(client_a, name="A cred")
    hidden = make_credential(client_b, name="B cred")
    scoped, _, _ = api_for(["credential.read", "obj.*"], clients=[client_a])
    assert [r["name"] for r in data_of(scoped.get(f"/api/v1/clients/{client_a.pk}/credentials"))] == ["A cred"]
    error_of(scoped.get(f"/api/v1/clients/{client_b.pk}/credentials"), 404, "NOT_FOUND")
    error_of(scoped.get(f"/api/v1/credentials/{hidden.pk}"), 404, "NOT_FOUND")
    assert data_of(scoped.get("/api/v1/credentials", {"client_id": str(client_b.pk)})) == []


def test_patch_changes_values_and_audits_secure_field_names_only(writer, client_a):
    credential = make_credential(client_a, values={"username": "old", "password": "old-password-value"})
    response = writer.patch(
        f"/api/v1/credentials/{credential.pk}",
        {"name": "Renamed", "fields": _fields(username="new", password="new-password-value", mfa=TOTP_SECRET)},
        format="json",
    )
    data = data_of(response)
    assert data["name"] == "Renamed"
    assert _by_id(data["fields"])["username"]["value"] == "new"
    assert _by_id(data["fields"])["mfa"] == {**_by_id(data["fields"])["mfa"], "value": None, "is_set": True}
    assert services.decrypt_fields(credential, ["password", "mfa"]) == {
        "password": "new-password-value",
        "mfa": TOTP_SECRET,
    }
    event = AuditEvent.objects.get(action="update", object_id=str(credential.pk))
    assert event.changes["secure_values"] == {"old": None, "new": ["mfa", "password"]}
    assert event.changes["values"] == {"old": {"username": "old"}, "new": {"username": "new"}}
    assert "password-value" not in str(event.changes)

    # Clearing: an optional secure field can be cleared, a required one cannot.
    data_of(writer.patch(f"/api/v1/credentials/{credential.pk}", {"fields": _fields(mfa=None)}, format="json"))
    assert not SecureValue.objects.filter(credential=credential, field_id="mfa").exists()
    response = writer.patch(f"/api/v1/credentials/{credential.pk}", {"fields": _fields(password="")}, format="json")
    assert error_paths(response) == [["fields", 0, "value"]]


def test_client_and_type_cannot_change(writer, client_a, client_b):
    credential = make_credential(client_a)
    other_type = make_type()
    response = writer.patch(
        f"/api/v1/credentials/{credential.pk}",
        {"client_id": str(client_b.pk), "type_id": str(other_type.pk)},
        format="json",
    )
    assert sorted(error_paths(response)) == [["client_id"], ["type_id"]]
    response = writer.patch(f"/api/v1/credentials/{credential.pk}", {"sub_credentials": {}}, format="json")
    assert error_paths(response) == [["sub_credentials"]]


def test_links_to_contacts_vendors_assets_and_software_must_belong_to_the_client(writer, client_a, client_b):
    from clients.models import Vendor
    from tests.assets.factories import make_asset, make_software

    credential = make_credential(client_a)
    own, foreign = make_contact(client_a), make_contact(client_b)
    shared_vendor = Vendor.objects.create(name="MSP vendor")
    asset, foreign_asset = make_asset(client_a), make_asset(client_b)
    software, foreign_software = make_software(client_a), make_software(client_b)
    url = f"/api/v1/credentials/{credential.pk}"
    body = {
        "contact_ids": [str(own.pk)],
        "vendor_ids": [str(shared_vendor.pk)],
        "asset_ids": [str(asset.pk)],
        "software_ids": [str(software.pk)],
    }
    data = data_of(writer.patch(url, body, format="json"))
    assert {k: data[k] for k in body} == body
    for field, other in (("contact_ids", foreign), ("asset_ids", foreign_asset), ("software_ids", foreign_software)):
        assert error_paths(writer.patch(url, {field: [str(other.pk)]}, format="json")) == [[field]]
    for name, obj in (
        ("contact_id", own),
        ("asset_id", asset),
        ("software_id", software),
        ("vendor_id", shared_vendor),
    ):
        assert [r["id"] for r in data_of(writer.get("/api/v1/credentials", {name: str(obj.pk)}))] == [
            str(credential.pk)
        ]
    # A client-scoped caller cannot even name another client's asset.
    scoped = api_for(WRITER, key_clients=[client_a])[0]
    assert error_paths(scoped.patch(url, {"asset_ids": [str(foreign_asset.pk)]}, format="json")) == [["asset_ids"]]


def test_fields_routes(client_a):
    credential = make_credential(client_a, values={"username": "u", "password": "fields-route-secret"})
    api, _, _ = api_for(
        ["credential.read", "credential.fields.read", "credential.update", "credential.fields.update", "obj.*"]
    )
    fields = data_of(api.get(f"/api/v1/credentials/{credential.pk}/fields"))
    assert [f["id"] for f in fields] == ["username", "password", "url", "mfa"]
    assert _by_id(fields)["password"]["value"] is None and _by_id(fields)["password"]["is_set"]
    response = api.put(
        f"/api/v1/credentials/{credential.pk}/fields", {"fields": _fields(url="https://x.example.com")}, format="json"
    )
    assert _by_id(data_of(response))["url"]["value"] == "https://x.example.com"
    assert _by_id(data_of(response))["username"]["value"] == "u"  # fields not sent stay
    response = api.put(f"/api/v1/credentials/{credential.pk}/fields", {"fields": _fields(url="nope")}, format="json")
    assert error_paths(response) == [["fields", 0, "value"]]
    assert ["fields"] in error_paths(api.put(f"/api/v1/credentials/{credential.pk}/fields", {}, format="json"))


def test_sub_credential_routes(writer, client_a, vpn_type):
    parent_id = data_of(_create_vpn(writer, client_a, vpn_type), 201)["id"]
    base = f"/api/v1/credentials/{parent_id}/sub-credentials"
    assert [row["name"] for row in data_of(writer.get(base))] == ["Tunnel 1", "Tunnel 2"]

    body = {"field_id": "tunnels", "name": "Tunnel 3", "fields": _fields(server="vpn3", psk="psk-three")}
    created = data_of(writer.post(base, body, format="json"), 201)
    assert created["parent_id"] == parent_id and created["parent_field"] == "tunnels"
    assert services.decrypt_fields(Credential.objects.get(pk=created["id"]), ["psk"]) == {"psk": "psk-three"}

    assert error_paths(writer.post(base, {**body, "field_id": "hostname"}, format="json")) == [["field_id"]]
    assert error_paths(writer.post(base, {**body, "fields": _fields(server="x")}, format="json")) == [["fields"]]

    # Nested: a tunnel's own sub-credentials route adds hops.
    hop = {"field_id": "hops", "name": "Hop 2", "fields": _fields(address="10.0.0.2")}
    hop_data = data_of(writer.post(f"/api/v1/credentials/{created['id']}/sub-credentials", hop, format="json"), 201)
    assert hop_data["parent_field"] == "tunnels.hops"

    response = writer.delete(f"{base}/{created['id']}")
    assert response.status_code == 204
    assert [row["name"] for row in data_of(writer.get(base))] == ["Tunnel 1", "Tunnel 2"]
    error_of(writer.delete(f"{base}/{created['id']}"), 404, "NOT_FOUND")
    error_of(writer.delete(f"{base}/{parent_id}"), 404, "NOT_FOUND")  # not a sub-credential of itself
    assert AuditEvent.objects.filter(action="delete", object_id=created["id"]).exists()


def test_required_multi_credential_keeps_one_sub_credential(writer, client_a):
    fields = [
        {"id": "name", "name": "Name", "value_type": "plain_text"},
        {
            "id": "accounts",
            "name": "Accounts",
            "value_type": "multi_credential",
            "required": True,
            "sub_fields": [{"id": "pw", "name": "PW", "value_type": "password"}],
        },
    ]
    kind = make_type(fields)
    body = {"client_id": str(client_a.pk), "type_id": str(kind.pk), "name": "Shared"}
    assert error_paths(writer.post("/api/v1/credentials", body, format="json")) == [["sub_credentials", "accounts"]]
    credential = make_credential(client_a, kind, values={}, subs={"accounts": [sub_input("One", pw="a")]})
    only = credential.children.get()
    error_of(writer.delete(f"/api/v1/credentials/{credential.pk}/sub-credentials/{only.pk}"), 409, "CONFLICT")


def test_soft_delete_gives_404_until_restored(writer, client_a, vpn_type):
    data = data_of(_create_vpn(writer, client_a, vpn_type), 201)
    url = f"/api/v1/credentials/{data['id']}"
    tunnel_id = data["sub_credentials"]["tunnels"][0]["id"]
    assert writer.delete(url).status_code == 204
    for path in ("", "/fields", "/secure-values", "/secure-values/admin_password", "/sub-credentials", "/totp"):
        error_of(writer.get(url + path), 404, "NOT_FOUND")
    error_of(writer.get(f"/api/v1/credentials/{tunnel_id}"), 404, "NOT_FOUND")  # its sub-credentials went with it
    assert data_of(writer.get("/api/v1/credentials")) == []
    assert [row["id"] for row in data_of(writer.get("/api/v1/credentials/deleted"))] == [data["id"]]

    restored = data_of(writer.post(f"{url}/restore"))
    assert restored["deleted_at"] is None
    assert data_of(writer.get(url))["name"] == "Firewall"
    assert data_of(writer.get(f"/api/v1/credentials/{tunnel_id}"))["name"] == "Tunnel 1"
    assert data_of(writer.get("/api/v1/credentials/deleted")) == []
    assert [e.action for e in AuditEvent.objects.filter(object_id=data["id"]).order_by("created_at")] == [
        "create",
        "delete",
        "restore",
    ]
    # The secrets survived the round trip.
    assert services.decrypt_fields(Credential.objects.get(pk=data["id"]), ["admin_password"]) == {
        "admin_password": "fw-admin-secret"
    }


def test_a_sub_credential_deleted_alone_restores_alone_and_not_before_its_parent(writer, client_a, vpn_type):
    data = data_of(_create_vpn(writer, client_a, vpn_type), 201)
    tunnel_id = data["sub_credentials"]["tunnels"][1]["id"]
    writer.delete(f"/api/v1/credentials/{data['id']}/sub-credentials/{tunnel_id}")
    writer.delete(f"/api/v1/credentials/{data['id']}")
    error_of(writer.post(f"/api/v1/credentials/{tunnel_id}/restore"), 409, "CONFLICT")
    data_of(writer.post(f"/api/v1/credentials/{data['id']}/restore"))
    names = [row["name"] for row in data_of(writer.get(f"/api/v1/credentials/{data['id']}/sub-credentials"))]
    assert names == ["Tunnel 1"]  # Tunnel 2 was deleted on its own, earlier
    data_of(writer.post(f"/api/v1/credentials/{tunnel_id}/restore"))
    assert len(data_of(writer.get(f"/api/v1/credentials/{data['id']}/sub-credentials"))) == 2


def test_value_types_route(writer):
    response = writer.get("/api/v1/credentials/value-types")
    body = response.json()
    assert body["data"][:7] == [
        "plain_text", "license_key", "ip_address", "generic_secret", "bitlocker_key", "password", "multi_credential",
    ]  # fmt: skip
    described = {row["value_type"]: row for row in body["meta"]["value_types"]}
    assert described["password"]["secure"] == "always" and described["multi_credential"]["secure"] == "never"


def test_field_gating_with_obj_credential(client_a):
    credential = make_credential(client_a, name="Gated", values={"username": "u", "password": "p"})
    api, _, _ = api_for(["credential.read", "credential.update", "obj.credential.name"])
    data = data_of(api.get(f"/api/v1/credentials/{credential.pk}"))
    assert set(data) == {"id", "name"}
    assert set(data_of(api.get("/api/v1/credentials"))[0]) == {"id", "name"}
    error_of(api.patch(f"/api/v1/credentials/{credential.pk}", {"notes": "x"}, format="json"), 403, "FORBIDDEN")
    assert (
        data_of(api.patch(f"/api/v1/credentials/{credential.pk}", {"name": "Renamed"}, format="json"))["name"]
        == "Renamed"
    )
    fields_api, _, _ = api_for(["credential.read", "credential.fields.read", "obj.credential.name"])
    error_of(fields_api.get(f"/api/v1/credentials/{credential.pk}/fields"), 403, "FORBIDDEN")


def test_list_queries_do_not_load_ciphertext(writer, client_a, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        make_credential(client_a)
    with CaptureQueriesContext(connection) as captured:
        data_of(writer.get("/api/v1/credentials"))
    secure_queries = [q["sql"] for q in captured if "credentials_securevalue" in q["sql"]]
    assert secure_queries and all("ciphertext" not in sql for sql in secure_queries)
