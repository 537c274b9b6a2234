"""Builders for vault tests: credential types and credentials created through the same services as the API."""

from __future__ import annotations

import itertools

from credentials import services
from credentials.models import Credential, CredentialType
from credentials.value_types import validate_definition

_seq = itertools.count(1)

LOGIN_FIELDS = [
    {"id": "username", "name": "Username", "value_type": "username", "required": True},
    {"id": "password", "name": "Password", "value_type": "password", "required": True},
    {"id": "url", "name": "URL", "value_type": "url"},
    {"id": "mfa", "name": "MFA", "value_type": "totp_secret"},
]

VPN_FIELDS = [
    {"id": "hostname", "name": "Hostname", "value_type": "plain_text", "required": True},
    {"id": "admin_password", "name": "Admin password", "value_type": "password"},
    {
        "id": "tunnels",
        "name": "Tunnels",
        "value_type": "multi_credential",
        "sub_fields": [
            {"id": "server", "name": "Server", "value_type": "plain_text", "required": True},
            {"id": "psk", "name": "Pre-shared key", "value_type": "password", "required": True},
            {
                "id": "hops",
                "name": "Hops",
                "value_type": "multi_credential",
                "sub_fields": [
                    {"id": "address", "name": "Address", "value_type": "ip_address", "required": True},
                    {"id": "secret", "name": "Secret", "value_type": "generic_secret"},
                ],
            },
        ],
    },
]

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # base32 of "Hello!\xde\xad\xbe\xef"


def make_type(fields=None, scope: str = "credential", name: str | None = None, **extra) -> CredentialType:
    n = next(_seq)
    return CredentialType.objects.create(
        name=name or f"Type {n}",
        permission_scope=scope,
        fields=validate_definition(fields or LOGIN_FIELDS),
        **extra,
    )


def make_credential(
    client,
    credential_type: CredentialType | None = None,
    values: dict | None = None,
    subs: dict | None = None,
    name: str | None = None,
) -> Credential:
    """A credential with ``values`` ({field_id: value}) and inline ``subs`` ({multi field: [{name, fields}]})."""
    credential_type = credential_type or make_type()
    if values is None and credential_type.fields == validate_definition(LOGIN_FIELDS):
        values = {"username": "admin", "password": f"pw-{next(_seq)}"}
    data = {
        "name": name or f"Credential {next(_seq)}",
        "fields": [{"field_id": k, "value": v} for k, v in (values or {}).items()],
        "sub_credentials": subs,
    }
    plan = services.plan_credential(credential_type.fields, "", data, budget=[services.MAX_SUB_CREDENTIALS])
    return services.create_from_plan(plan, client=client, type=credential_type)


def sub_input(name: str, **values) -> dict:
    return {"name": name, "fields": [{"field_id": k, "value": v} for k, v in values.items()]}
