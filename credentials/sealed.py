"""Secrets kept on a row of their own model, outside credentials, with the vault's envelope scheme.

A model that mixes in :class:`SealedSecret` declares three fields (``wrapped_key``, ``key_version``,
``secret_ciphertext``), the field name bound into the ciphertext (``sealed_field``) and the identity its data key is
bound to (:meth:`sealed_aad_id`). ``manage.py vault_rotate`` finds every such model by itself, so a rotation that
reports nothing stale really leaves nothing on an old master key: removing that key then locks no one out.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction

from credentials import vault


class SealedSecret:
    """Mixin for a model holding one sealed secret (the TOTP secret of a device, an SSO client secret)."""

    sealed_field: str = "secret"

    def sealed_aad_id(self) -> str:
        raise NotImplementedError

    def seal(self, value: str) -> None:
        """Encrypt ``value`` under a fresh data key wrapped by the newest master key (the row is not saved)."""
        dek = vault.new_data_key()
        self.wrapped_key, self.key_version = vault.wrap_data_key(dek, self.sealed_aad_id())
        self.secret_ciphertext = vault.encrypt_value(dek, self.sealed_aad_id(), self.sealed_field, value)

    def unseal(self) -> str:
        """The secret, or ``""`` when none is stored."""
        if not self.secret_ciphertext:
            return ""
        dek = vault.unwrap_data_key(self.wrapped_key, self.sealed_aad_id(), self.key_version)
        return vault.decrypt_value(dek, self.sealed_aad_id(), self.sealed_field, self.secret_ciphertext)

    def rewrap_if_stale(self, ring: vault.Keyring | None = None) -> bool:
        """Move the data key to the newest master key and save; the ciphertext is untouched. Whether it moved."""
        ring = ring or vault.load_keyring()
        if not self.secret_ciphertext or self.key_version == ring.primary_version:
            return False
        aad_id = self.sealed_aad_id()
        self.wrapped_key, self.key_version = vault.rewrap_data_key(self.wrapped_key, aad_id, self.key_version, ring)
        type(self).objects.filter(pk=self.pk).update(wrapped_key=self.wrapped_key, key_version=self.key_version)
        return True

    @classmethod
    def stale(cls, primary_version: int) -> models.QuerySet:
        """Rows whose data key is wrapped by another master key than ``primary_version``."""
        return cls.objects.filter(key_version__isnull=False).exclude(key_version=primary_version)


def sealed_models() -> list[type[models.Model]]:
    """Every installed model holding a sealed secret, in a stable order."""
    found = [model for model in apps.get_models() if issubclass(model, SealedSecret)]
    return sorted(found, key=lambda model: model._meta.label)


def rewrap_row(model: type[models.Model], pk, ring: vault.Keyring) -> int:
    """Rewrap one row of ``model`` under a row lock, so a concurrent sign-in never sees a half-written key."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        return int(row is not None and row.rewrap_if_stale(ring))
