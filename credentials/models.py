"""Credential types, credentials (with sub-credentials), and their encrypted secure values.

Non-secure field values live in ``Credential.values``. Secure values live only as ciphertext in
:class:`SecureValue`, encrypted under the credential's own data key (:class:`DataKey`), which is stored wrapped by a
master key (see :mod:`credentials.vault`). Neither of those two tables is ever serialised, audited or shown in the
Django admin.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from credentials.value_types import resolve
from psa.models import BaseModel

SCOPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
scope_validator = RegexValidator(
    re.compile(SCOPE_PATTERN),
    "Use dotted lower-case words, e.g. aws.credentials (the reveal node is then aws.credentials.read).",
)


class CredentialType(BaseModel):
    """What a kind of credential holds (its field definition) and who may reveal its secrets.

    Revealing a secure value needs ``credential.secure_values.read`` and ``<permission_scope>.read``. The scope
    ``credential`` adds no extra node beyond ``credential.read``; a scope such as ``credential.domain_admin`` or
    ``aws.credentials`` needs its own grant.
    """

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    permission_scope = models.CharField(max_length=100, validators=[scope_validator])
    icon = models.CharField(max_length=500, blank=True, help_text="An icon URL or name.")
    fields = models.JSONField(default=list, help_text="[{id, name, required, secure, value_type, sub_fields?}]")

    class Meta:
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(Lower("name"), name="credential_type_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    @property
    def reveal_node(self) -> str:
        return f"{self.permission_scope}.read"


class CredentialQuerySet(models.QuerySet):
    def live(self) -> CredentialQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> CredentialQuerySet:
        return self.filter(deleted_at__isnull=False)


class Credential(BaseModel):
    """A set of field values of one type for one client; a sub-credential when ``parent`` is set.

    ``parent_field`` is the dotted path, in the type definition, of the ``multi_credential`` field a sub-credential
    belongs to (``"tunnels"``, or ``"tunnels.hops"`` one level further down). Sub-credentials share their parent's
    client and type, and have their own data key.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="credentials")
    type = models.ForeignKey(CredentialType, on_delete=models.PROTECT, related_name="credentials")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    parent_field = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    values = models.JSONField(default=dict, blank=True, help_text="Values of the non-secure fields only.")
    contacts = models.ManyToManyField("clients.Contact", blank=True, related_name="credentials")
    vendors = models.ManyToManyField("clients.Vendor", blank=True, related_name="credentials")
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="credentials")
    software = models.ManyToManyField("assets.Software", blank=True, related_name="credentials")
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CredentialQuerySet.as_manager()

    scope_path = "client"

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["client", "deleted_at"]), models.Index(fields=["parent", "deleted_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def definition(self) -> list[dict]:
        """The fields this credential holds: its type's, or those of its multi_credential field when a sub."""
        return resolve(self.type.fields or [], self.parent_field) or []

    def field_path(self, field_id: str) -> str:
        """The dotted definition path of one of this credential's fields, part of each ciphertext's binding."""
        return f"{self.parent_field}.{field_id}" if self.parent_field else field_id


class DataKey(models.Model):
    """A credential's data key, wrapped by master key ``key_version``. Never serialised or audited."""

    credential = models.OneToOneField(Credential, primary_key=True, on_delete=models.CASCADE, related_name="data_key")
    key_version = models.PositiveIntegerField(db_index=True)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("credential_id",)

    def __str__(self) -> str:
        return f"data key of {self.credential_id} (master key v{self.key_version})"


class SecureValue(models.Model):
    """The ciphertext of one secure field of one credential. Never serialised or audited."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="secure_values")
    field_id = models.CharField(max_length=64)
    ciphertext = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("credential_id", "field_id")
        constraints = [models.UniqueConstraint(fields=["credential", "field_id"], name="secure_value_unique_field")]

    def __str__(self) -> str:
        return f"secure value {self.field_id} of {self.credential_id}"
