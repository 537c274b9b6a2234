"""Permission nodes of the credentials vault (seed 004's credential and credential-type nodes, in our style).

Revealing a secure value needs ``credential.secure_values.read`` and the node ``<permission_scope>.read`` of the
credential's type. Those per-type nodes are defined by data (each type's ``permission_scope``); they are listed in
the ``credential_scope`` category by a registry provider, so roles can grant them like any other node.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from psa.nodes import Node, category, node, provider

logger = logging.getLogger(__name__)

CREDENTIAL = category("credential", "Credential Permissions", "Reading and managing the credentials vault")
node("credential.read", "List and read credentials (secure values are never included)", CREDENTIAL)
node("credential.create", "Create credentials, with their secure values", CREDENTIAL, ["credential.read"])
node("credential.update", "Update credentials and their field values", CREDENTIAL, ["credential.read"])
node("credential.delete", "Delete credentials (they can be restored until purged)", CREDENTIAL, ["credential.read"])
node("credential.restore", "List deleted credentials and restore them", CREDENTIAL, ["credential.read"])
node(
    "credential.fields.read",
    "Read a credential's field list (GET /credentials/{id}/fields)",
    CREDENTIAL,
    ["credential.read"],
)
node(
    "credential.fields.update",
    "Replace field values through PUT /credentials/{id}/fields",
    CREDENTIAL,
    ["credential.update"],
)
node(
    "credential.secure_values.read",
    "Reveal secure values and one-time codes (also needs the type's <permission_scope>.read); audited",
    CREDENTIAL,
    ["credential.read"],
)
node("credential.sub_credentials.read", "List the sub-credentials of a credential", CREDENTIAL, ["credential.read"])
node("credential.sub_credentials.create", "Add sub-credentials to a credential", CREDENTIAL, ["credential.read"])
node("credential.sub_credentials.delete", "Delete sub-credentials", CREDENTIAL, ["credential.read"])

CREDENTIAL_TYPE = category("credential_type", "Credential Type Permissions", "Reading and managing credential types")
node("credential_type.read", "List and read credential types", CREDENTIAL_TYPE)
node("credential_type.create", "Create credential types", CREDENTIAL_TYPE, ["credential_type.read"])
node(
    "credential_type.update",
    "Change credential types and their field definitions",
    CREDENTIAL_TYPE,
    ["credential_type.read"],
)
node(
    "credential_type.delete",
    "Delete credential types that have no credentials",
    CREDENTIAL_TYPE,
    ["credential_type.read"],
)

CREDENTIAL_SCOPE = category(
    "credential_scope",
    "Credential Type Reveal Scopes",
    "The <permission_scope>.read node of each credential type; revealing its secure values needs it",
)


@provider
def credential_type_scope_nodes() -> list[Node]:
    """One ``<permission_scope>.read`` node per distinct scope of the credential types in the database."""
    from contextlib import nullcontext

    from django.db import DatabaseError, connection, transaction

    from credentials.models import CredentialType

    query = CredentialType.objects.order_by("permission_scope", "name").values_list("permission_scope", "name")
    try:
        # Inside a transaction, a savepoint keeps a failed query from breaking it; outside, no transaction is opened
        # (on SQLite in IMMEDIATE mode that would take the write lock for a read).
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            rows = list(query)
    except (DatabaseError, RuntimeError):
        # No table yet (before migrate), or database access blocked (tests without a database).
        return []
    names: dict[str, list[str]] = defaultdict(list)
    for scope, name in rows:
        names[scope].append(name)
    return [
        Node(f"{scope}.read", f"Reveal secure values of credentials of type {', '.join(types)}", CREDENTIAL_SCOPE)
        for scope, types in names.items()
    ]
