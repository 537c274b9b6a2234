"""Vault operations shared by the API and the UI: writing credentials and their values, reveals, delete and purge.

Every function that changes data expects to run inside the caller's ``transaction.atomic()`` together with the
audit record. Plaintext secure values exist only in the request being served: they are validated here, encrypted,
and never written to ``Credential.values``, the audit log or a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from credentials import totp, vault
from credentials.models import Credential, CredentialType, DataKey, SecureValue
from credentials.value_types import InvalidValue, clean_value, join_path, resolve, walk
from psa import audit, search

logger = logging.getLogger(__name__)

MAX_SUB_CREDENTIALS = 200  # per request


# --- validation: request data -> plan ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """A credential to create (or the values to change), validated against its definition."""

    name: str = ""
    notes: str = ""
    values: dict[str, str | None] = field(default_factory=dict)
    children: list[tuple[str, Plan]] = field(default_factory=list)  # (parent_field path, plan)


def plan_values(definition: list[dict], items: list[dict], *, creating: bool) -> dict[str, str | None]:
    """``[{field_id, value}]`` checked against ``definition``; raises a ValidationError listing each item's problem.

    Creating, every required field needs a value; updating, a required field cannot be cleared.
    """
    by_id = {f["id"]: f for f in definition}
    errors: list[dict] = []
    values: dict[str, str | None] = {}
    for item in items:
        problems: dict[str, list[str]] = {}
        field_id = item.get("field_id")
        spec = by_id.get(field_id)
        if spec is None:
            known = ", ".join(f["id"] for f in definition if f["value_type"] != "multi_credential")
            problems["field_id"] = [f"Unknown field '{str(field_id)[:64]}'. Fields: {known}."]
        elif field_id in values:
            problems["field_id"] = [f"Field '{field_id}' is given twice."]
        elif spec["value_type"] == "multi_credential":
            problems["field_id"] = [f"'{field_id}' holds sub-credentials: send them in sub_credentials."]
        else:
            try:
                cleaned = clean_value(spec, item.get("value"))
            except InvalidValue as exc:
                problems["value"] = [str(exc)]
            else:
                if cleaned is None and spec["required"] and not creating:
                    problems["value"] = [f"'{field_id}' is required and cannot be cleared."]
                values[field_id] = cleaned
        errors.append(problems)
    if any(errors):
        raise ValidationError(errors)
    if creating:
        missing = [
            f["id"]
            for f in definition
            if f["required"] and f["value_type"] != "multi_credential" and values.get(f["id"]) is None
        ]
        if missing:
            raise ValidationError([f"Required field{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}."])
    return values


def plan_children(definition: list[dict], prefix: str, data: Any, *, creating: bool, budget: list[int]) -> list:
    """Inline sub-credentials ``{multi_field_id: [{name, notes?, fields?, sub_credentials?}]}`` checked recursively."""
    multi = {f["id"]: f for f in definition if f["value_type"] == "multi_credential"}
    data = data or {}
    errors: dict[str, Any] = {}
    children: list[tuple[str, Plan]] = []
    for field_id, entries in data.items():
        if field_id not in multi:
            choices = ", ".join(multi) or "none"
            errors[field_id] = [f"Not a multi_credential field of this type (those are: {choices})."]
            continue
        path = join_path(prefix, field_id)
        entry_errors: list[Any] = []
        for entry in entries:
            budget[0] -= 1
            if budget[0] < 0:
                raise ValidationError({"non_field_errors": [f"At most {MAX_SUB_CREDENTIALS} sub-credentials at once."]})
            try:
                children.append((path, plan_credential(multi[field_id]["sub_fields"], path, entry, budget=budget)))
                entry_errors.append({})
            except ValidationError as exc:
                entry_errors.append(exc.detail)
        if any(entry_errors):
            errors[field_id] = entry_errors
    if creating:
        given = {path for path, _ in children}
        for field_id, spec in multi.items():
            if spec["required"] and join_path(prefix, field_id) not in given and field_id not in errors:
                errors[field_id] = ["This multi_credential field is required: add at least one sub-credential."]
    if errors:
        raise ValidationError(errors)
    return children


def plan_credential(definition: list[dict], prefix: str, data: dict, *, budget: list[int]) -> Plan:
    """A new (sub-)credential: name, notes, field values and nested sub-credentials."""
    errors: dict[str, Any] = {}
    plan = Plan(name=(data.get("name") or "").strip(), notes=data.get("notes") or "")
    if not plan.name:
        errors["name"] = ["This field is required."]
    try:
        plan.values = plan_values(definition, list(data.get("fields") or []), creating=True)
    except ValidationError as exc:
        errors["fields"] = exc.detail
    try:
        plan.children = plan_children(definition, prefix, data.get("sub_credentials"), creating=True, budget=budget)
    except ValidationError as exc:
        errors["sub_credentials"] = exc.detail
    if errors:
        raise ValidationError(errors)
    return plan


# --- writing ----------------------------------------------------------------------------------------------------------


def data_key_for(credential: Credential, *, create: bool = False) -> bytes | None:
    """The credential's unwrapped data key; a new one (wrapped by the newest master key) when ``create``."""
    row = DataKey.objects.filter(credential=credential).first()
    if row is not None:
        return vault.unwrap_data_key(row.wrapped, credential.pk, row.key_version)
    if not create:
        return None
    # Callers may or may not be inside a transaction already; select_for_update needs one (on PostgreSQL).
    with transaction.atomic():
        # Lock the credential so two first writes of a secure value cannot both create a data key.
        Credential.objects.select_for_update().filter(pk=credential.pk).exists()
        row = DataKey.objects.filter(credential=credential).first()
        if row is not None:
            return vault.unwrap_data_key(row.wrapped, credential.pk, row.key_version)
        dek = vault.new_data_key()
        wrapped, version = vault.wrap_data_key(dek, credential.pk)
        DataKey.objects.create(credential=credential, wrapped=wrapped, key_version=version)
    return dek


def apply_values(credential: Credential, values: dict[str, str | None]) -> list[str]:
    """Store values (``None`` clears one); returns the ids of the secure fields that changed.

    Non-secure values go to ``credential.values`` (saved here); secure ones are encrypted into SecureValue rows.
    """
    by_id = {f["id"]: f for f in credential.definition}
    plain = dict(credential.values or {})
    secure: dict[str, str | None] = {}
    for field_id, value in values.items():
        if by_id[field_id]["secure"]:
            secure[field_id] = value
        elif value is None:
            plain.pop(field_id, None)
        else:
            plain[field_id] = value
    if plain != (credential.values or {}):
        credential.values = plain
        credential.save(update_fields=["values", "updated_at"])
    cleared = [fid for fid, value in secure.items() if value is None]
    if cleared:
        SecureValue.objects.filter(credential=credential, field_id__in=cleared).delete()
    to_set = {fid: value for fid, value in secure.items() if value is not None}
    if to_set:
        dek = data_key_for(credential, create=True)
        for field_id, value in to_set.items():
            ciphertext = vault.encrypt_value(dek, credential.pk, credential.field_path(field_id), value)
            SecureValue.objects.update_or_create(
                credential=credential, field_id=field_id, defaults={"ciphertext": ciphertext}
            )
    if secure:
        # The row's updated_at should move when only secure values changed.
        Credential.objects.filter(pk=credential.pk).update(updated_at=timezone.now())
    return sorted(secure)


def create_from_plan(
    plan: Plan,
    *,
    client,
    type: CredentialType,
    parent: Credential | None = None,
    parent_field: str = "",
    created: list | None = None,
) -> Credential:
    """Create a credential and its sub-credentials; appends ``(credential, secure field ids)`` to ``created``."""
    credential = Credential.objects.create(
        client=client, type=type, parent=parent, parent_field=parent_field, name=plan.name, notes=plan.notes
    )
    changed = apply_values(credential, {k: v for k, v in plan.values.items() if v is not None})
    if created is not None:
        created.append((credential, changed))
    for path, child in plan.children:
        create_from_plan(child, client=client, type=type, parent=credential, parent_field=path, created=created)
    return credential


def audit_created(request, created: list, *, skip_first: bool = False) -> None:
    """One audit event per created credential, naming (never showing) the secure fields that were set."""
    for index, (credential, secure_fields) in enumerate(created):
        if skip_first and index == 0:
            continue
        changes = audit.diff({}, audit.snapshot(credential))
        if secure_fields:
            changes["secure_values"] = {"old": None, "new": secure_fields}
        audit.record(request, "create", credential, changes=changes)


# --- delete, restore, purge -------------------------------------------------------------------------------------------


def descendants(credential: Credential) -> list[Credential]:
    found: list[Credential] = []
    level = [credential.pk]
    while level:
        rows = list(Credential.objects.filter(parent_id__in=level))
        found.extend(rows)
        level = [row.pk for row in rows]
    return found


def soft_delete(credential: Credential, user) -> None:
    """Mark the credential and its live sub-credentials deleted, with one timestamp so they restore together."""
    now = timezone.now()
    ids = [credential.pk, *(c.pk for c in descendants(credential) if c.deleted_at is None)]
    Credential.objects.filter(pk__in=ids, deleted_at__isnull=True).update(
        deleted_at=now, deleted_by=user if getattr(user, "is_authenticated", False) else None, updated_at=now
    )
    credential.deleted_at = now
    search.reindex(Credential, ids)  # deleted credentials leave the search index


def restore(credential: Credential) -> None:
    """Undo :func:`soft_delete`: the credential and the sub-credentials deleted with it."""
    if credential.deleted_at is None:
        return
    if credential.parent_id is not None and credential.parent.deleted_at is not None:
        from psa.api.exceptions import Conflict

        raise Conflict("The parent credential is deleted: restore it first.")
    stamp = credential.deleted_at
    ids = [credential.pk, *(c.pk for c in descendants(credential) if c.deleted_at == stamp)]
    Credential.objects.filter(pk__in=ids).update(deleted_at=None, deleted_by=None, updated_at=timezone.now())
    credential.deleted_at = None
    credential.deleted_by = None
    search.reindex(Credential, ids)


def purge_expired(now=None, batch: int = 200) -> dict[str, int]:
    """Remove credentials deleted longer than ``VAULT_PURGE_AFTER_DAYS`` ago: their data keys, ciphertexts and rows.

    Audit rows stay (they hold no secrets and refer to the credential by id); a ``purge`` event is added for each.
    Each credential is purged in its own transaction, so a large backlog never holds a long lock.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.VAULT_PURGE_AFTER_DAYS)
    candidates = list(
        Credential.objects.filter(deleted_at__lt=cutoff)
        .filter(Q(parent__isnull=True) | Q(parent__deleted_at__isnull=True) | Q(parent__deleted_at__gte=cutoff))
        .order_by("deleted_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    purged = 0
    for pk in candidates:
        with transaction.atomic():
            credential = Credential.objects.select_for_update().filter(pk=pk, deleted_at__lt=cutoff).first()
            if credential is None:
                continue
            tree = [credential, *descendants(credential)]
            ids = [c.pk for c in tree]
            SecureValue.objects.filter(credential_id__in=ids).delete()
            DataKey.objects.filter(credential_id__in=ids).delete()
            audit.record(
                None,
                "purge",
                credential,
                changes={
                    "deleted_at": {"old": credential.deleted_at.isoformat(), "new": None},
                    "credentials": len(ids),
                },
            )
            credential.delete()
            purged += len(ids)
    remaining = Credential.objects.filter(deleted_at__lt=cutoff).count()
    return {"purged": purged, "remaining": remaining}


# --- reading secrets --------------------------------------------------------------------------------------------------


def decrypt_fields(credential: Credential, field_ids: list[str]) -> dict[str, str | None]:
    """Plaintexts of the given secure fields (``None`` when unset). Raises :class:`vault.VaultError`."""
    rows = {
        row.field_id: row.ciphertext
        for row in SecureValue.objects.filter(credential=credential, field_id__in=field_ids)
    }
    if not rows:
        return dict.fromkeys(field_ids)
    dek = data_key_for(credential)
    if dek is None:
        raise vault.VaultIntegrityError("A credential has secure values but no data key.")
    return {
        field_id: vault.decrypt_value(dek, credential.pk, credential.field_path(field_id), rows[field_id])
        if field_id in rows
        else None
        for field_id in field_ids
    }


def decrypt_each(credential: Credential, field_ids: list[str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Like :func:`decrypt_fields`, one field at a time: ``(values, {field_id: error})``.

    A value that fails its integrity check is reported for that field alone (its value is ``None``); a data key that
    fails, or a missing master key, still raises :class:`vault.VaultError`, as nothing can be read then.
    """
    rows = {
        row.field_id: row.ciphertext
        for row in SecureValue.objects.filter(credential=credential, field_id__in=field_ids)
    }
    values: dict[str, str | None] = dict.fromkeys(field_ids)
    errors: dict[str, str] = {}
    if not rows:
        return values, errors
    dek = data_key_for(credential)
    if dek is None:
        raise vault.VaultIntegrityError("A credential has secure values but no data key.")
    for field_id in field_ids:
        if field_id not in rows:
            continue
        try:
            values[field_id] = vault.decrypt_value(dek, credential.pk, credential.field_path(field_id), rows[field_id])
        except vault.VaultIntegrityError as exc:
            errors[field_id] = str(exc)
    return values, errors


def totp_code(credential: Credential, field_id: str) -> totp.TotpCode | None:
    secret = decrypt_fields(credential, [field_id])[field_id]
    if secret is None:
        return None
    try:
        return totp.current_code(totp.parse(secret))
    except totp.TotpError as exc:
        raise vault.VaultIntegrityError(f"The stored TOTP secret is unusable: {exc}") from None


def secure_field_ids(credential: Credential) -> list[str]:
    return [f["id"] for f in credential.definition if f["secure"]]


def fields_in_use(credential_type: CredentialType, old: list[dict], new: list[dict]) -> list[str]:
    """Paths of fields removed or changed incompatibly (value type, secure flag) that still hold data."""
    after = dict(walk(new))
    conflicts = []
    for path, spec in walk(old):
        now = after.get(path)
        if now is not None and now["value_type"] == spec["value_type"] and now["secure"] == spec["secure"]:
            continue
        prefix, _, field_id = path.rpartition(".")
        rows = Credential.objects.filter(type=credential_type)
        if spec["value_type"] == "multi_credential":
            used = rows.filter(parent_field=path).exists()
        else:
            holders = rows.filter(parent_field=prefix)
            used = (
                holders.filter(values__has_key=field_id).exists()
                or SecureValue.objects.filter(credential__in=holders, field_id=field_id).exists()
            )
        if used:
            conflicts.append(path)
    return conflicts


def definition_of(credential_type: CredentialType, parent_field: str) -> list[dict] | None:
    return resolve(credential_type.fields or [], parent_field)
