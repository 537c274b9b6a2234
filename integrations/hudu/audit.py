"""The audit trail of the vault credentials the Hudu sync writes, as the sync's own actor.

Each credential the sync creates, changes or moves to the trash gets one audit event: no user, the actor name
``Hudu sync: <source>``, the non-secret fields that changed (``client``, ``type``, ``name``, ``notes``, ``values``)
and, when Hudu's secrets were rewritten, ``secure_values`` naming the fields (``password``, ``totp``), never a value.
An unchanged re-sync writes no credential and so no event.
"""

from __future__ import annotations

import uuid
from typing import Any

from credentials.models import Credential
from integrations.models import ExternalRecord
from psa import audit
from psa.models import AuditEvent

AUDITED = ("client_id", "type_id", "name", "notes", "values")
SECURE_FIELDS = {"password": "password", "otp_secret": "totp"}  # Hudu's secret -> the credential's field id


def actor_name(source) -> str:
    return f"Hudu sync: {source.name}"[:255]


def _state(row: dict) -> dict[str, Any]:
    values = {name.removesuffix("_id"): row.get(name) for name in AUDITED}
    return {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in values.items()}


def _event(source, action: str, credential: Credential, changes: dict) -> AuditEvent:
    return AuditEvent(
        actor=None,
        actor_name=actor_name(source),
        action=action,
        object_type=Credential._meta.label_lower,
        object_id=str(credential.pk),
        object_repr=str(credential.name)[:255],
        client_id=credential.client_id,
        changes=audit.bounded_changes(changes),
    )


class PasswordAudit:
    """Built per batch before the write (what the credentials and their secrets were), used after it."""

    def __init__(self, context, items: list) -> None:
        self.source = context.source
        linked = [i.record.object_id for i in items if i.record is not None and i.record.object_id]
        rows = Credential.objects.filter(pk__in=linked).values("id", *AUDITED) if linked else []
        self.before = {str(row["id"]): _state(row) for row in rows}
        records = [i.record.pk for i in items if i.record is not None]
        self.fingerprints: dict[Any, Any] = (
            dict(ExternalRecord.objects.filter(pk__in=records).values_list("pk", "payload__secret_fingerprint"))
            if records
            else {}
        )

    def written(self, items: list) -> int:
        """Audit the batch's written credentials; the number of events."""
        events = []
        for item in items:
            credential = item.obj
            after = _state({name: getattr(credential, name) for name in AUDITED})
            before = {} if item.created else self.before.get(str(credential.pk), {})
            changes = audit.diff(before, after)
            old_fingerprint = self.fingerprints.get(item.record.pk) if item.record is not None else None
            if item.created or old_fingerprint != item.payload.get("secret_fingerprint"):
                rewritten = sorted(SECURE_FIELDS[k] for k, v in item.extra["secrets"].items() if v)
                changes["secure_values"] = {"old": None, "new": rewritten}
            if changes:
                events.append(_event(self.source, "create" if item.created else "update", credential, changes))
        AuditEvent.objects.bulk_create(events)
        return len(events)

    @staticmethod
    def trashed(context, credentials: list[Credential]) -> int:
        """Audit credentials the deletion scan moved to the trash; the number of events."""
        when = context.now.isoformat()
        events = [_event(context.source, "delete", c, {"deleted_at": {"old": None, "new": when}}) for c in credentials]
        AuditEvent.objects.bulk_create(events)
        return len(events)
