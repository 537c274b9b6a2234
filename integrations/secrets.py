"""A source's secrets, kept in the vault as a credential of its kind's built-in credential type.

The credential belongs to the MSP's own (internal) client, so client-scoped users never see it; revealing it in the
vault needs ``credential.secure_values.read`` and ``integration.secrets.read``. Values are written and read only
through the vault's service functions, so they are encrypted like every other secure value and never copied into
``Source.settings``, the audit log, an error or a log line.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from clients.models import Client
from credentials import services
from credentials.models import Credential, CredentialType, SecureValue
from integrations import registry
from psa import audit

PERMISSION_SCOPE = "integration.secrets"  # reveal node: integration.secrets.read
VAULT_CLIENT_NAME = "Our MSP (integrations)"


def type_definition(kind: registry.Kind) -> list[dict]:
    return [
        {"id": f.name, "name": f.label, "required": f.required, "secure": True, "value_type": "generic_secret"}
        for f in kind.secret_fields
    ]


def credential_type(kind: registry.Kind) -> CredentialType:
    """The kind's built-in type (created by a migration; recreated here if an admin deleted it)."""
    found, _ = CredentialType.objects.get_or_create(
        pk=kind.credential_type_id,
        defaults={
            "name": kind.credential_type_name,
            "description": f"Secrets of {kind.label} integration sources (built in; managed by Integrations).",
            "permission_scope": PERMISSION_SCOPE,
            "fields": type_definition(kind),
        },
    )
    return found


def vault_client() -> Client:
    """The client that owns integration secrets: the oldest internal client, created when there is none."""
    found = Client.objects.filter(type=Client.Type.INTERNAL).order_by("created_at", "id").first()
    if found is None:
        found = Client.objects.create(
            name=VAULT_CLIENT_NAME, type=Client.Type.INTERNAL, notes="Holds the secrets of integration sources."
        )
    return found


def store(source, values: dict[str, str | None], request: Any = None) -> list[str]:
    """Write (``None``: clear) secrets of ``source``; returns the names of the fields that changed. Audited."""
    kind = registry.get(source.kind)
    if kind is None or not values:
        return []
    with transaction.atomic():
        credential = source.credential
        if credential is None or credential.deleted_at is not None:
            plan = services.Plan(name=f"{source.name} ({kind.label})", values={})
            plan.values = services.plan_values(
                type_definition(kind), [{"field_id": k, "value": v} for k, v in values.items()], creating=False
            )
            created: list = []
            credential = services.create_from_plan(
                plan, client=vault_client(), type=credential_type(kind), created=created
            )
            services.audit_created(request, created)
            source.credential = credential
            source.save(update_fields=["credential", "updated_at"])
            return created[0][1]
        planned = services.plan_values(
            credential.definition, [{"field_id": k, "value": v} for k, v in values.items()], creating=False
        )
        changed = services.apply_values(credential, planned)
        if changed:
            audit.record(request, "update", credential, changes={"secure_values": {"old": None, "new": changed}})
        return changed


def read(source) -> dict[str, str | None]:
    """The plaintext secrets, for building the source's client. Never log or return them."""
    kind = registry.get(source.kind)
    names = [f.name for f in kind.secret_fields] if kind else []
    if source.credential_id is None:
        return dict.fromkeys(names)
    return services.decrypt_fields(source.credential, names)


def names_set(source) -> list[str]:
    """Which secrets are set (their names only)."""
    if source.credential_id is None:
        return []
    return sorted(SecureValue.objects.filter(credential_id=source.credential_id).values_list("field_id", flat=True))


def drop(source, request: Any = None) -> None:
    """Delete the source's credential with its ciphertexts (the vault keeps no copy). Audited."""
    credential = Credential.objects.filter(pk=source.credential_id).first()
    if credential is None:
        return
    audit.record(request, "delete", credential, changes=audit.diff(audit.snapshot(credential), {}))
    credential.delete()
