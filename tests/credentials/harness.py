"""The vault's part of the route harness (tests/test_route_harness.py).

The world's credential has every kind of field the vault routes need (a secure value, a TOTP secret and a
multi_credential field with one sub-credential); its type uses the scope ``credential``, whose reveal node is the
``credential.read`` every reveal route already requires, so a caller holding exactly a route's nodes succeeds.
The registered CredentialType is a second type without credentials, so DELETE on it succeeds.
"""

from __future__ import annotations

from types import SimpleNamespace

from credentials.models import Credential, CredentialType
from tests.credentials.factories import TOTP_SECRET, make_credential, make_type, sub_input

FIELDS = [
    {"id": "username", "name": "Username", "value_type": "username", "required": True},
    {"id": "password", "name": "Password", "value_type": "password", "required": True},
    {"id": "mfa", "name": "MFA", "value_type": "totp_secret"},
    {
        "id": "tunnels",
        "name": "Tunnels",
        "value_type": "multi_credential",
        "sub_fields": [
            {"id": "server", "name": "Server", "value_type": "plain_text", "required": True},
            {"id": "psk", "name": "Pre-shared key", "value_type": "password"},
        ],
    },
]


def _credential(world, client):
    return make_credential(
        client,
        world.vault_type,
        values={"username": "harness", "password": "harness-password", "mfa": TOTP_SECRET},
        subs={"tunnels": [sub_input("Tunnel", server="vpn.example.com", psk="harness-psk")]},
    )


def _sub(credential):
    return credential.children.get()


def build(world) -> None:
    world.vault_type = make_type(FIELDS, scope="credential", name="Harness login")
    visible, hidden = _credential(world, world.client_a), _credential(world, world.client_b)
    world.add(Credential, visible, hidden)
    # Path parameters that are not the route object's own id: a sub-credential, and a secure field's id.
    world.add_kwarg("sub_id", _sub(visible), _sub(hidden))
    field = SimpleNamespace(pk="password")
    world.add_kwarg("field_id", field, field)
    world.add(CredentialType, make_type(FIELDS, scope="harness.spare", name="Harness spare type"))


BODIES = {
    ("credential-list", "POST"): lambda w: {
        "client_id": str(w.client_a.pk),
        "type_id": str(w.vault_type.pk),
        "name": "New credential",
        "fields": [{"field_id": "username", "value": "new"}, {"field_id": "password", "value": "new-password"}],
        "sub_credentials": {"tunnels": [{"name": "T1", "fields": [{"field_id": "server", "value": "vpn"}]}]},
    },
    ("credential-detail", "PUT"): lambda w: {"name": "Renamed credential"},
    ("credential-detail", "PATCH"): lambda w: {"fields": [{"field_id": "password", "value": "changed"}]},
    ("credential-restore", "POST"): lambda w: {},
    ("credential-fields", "PUT"): lambda w: {"fields": [{"field_id": "username", "value": "renamed"}]},
    ("credential-sub-credentials", "POST"): lambda w: {
        "field_id": "tunnels",
        "name": "Tunnel 2",
        "fields": [{"field_id": "server", "value": "vpn2.example.com"}, {"field_id": "psk", "value": "k2"}],
    },
    ("credentialtype-list", "POST"): lambda w: {
        "name": "New type",
        "permission_scope": "new.credentials",
        "fields": [{"id": "secret", "name": "Secret", "value_type": "generic_secret"}],
    },
    ("credentialtype-detail", "PUT"): lambda w: {"description": "Changed"},
    ("credentialtype-detail", "PATCH"): lambda w: {"icon": "key"},
}

ROW_FACTORIES = {
    Credential: lambda w, i: _credential(w, w.client_a),
    CredentialType: lambda w, i: make_type(FIELDS, scope="harness.rows", name=f"Row type {i}"),
}
