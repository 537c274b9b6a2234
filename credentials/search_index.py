"""What credentials make searchable (``psa.search``): names, notes and the values of fields that are not secure.

Secure values are never read here: they live only as ciphertext (``SecureValue``), and ``Credential.values`` holds
the non-secure ones; a value is indexed only when its type's definition says the field is not secure. Deleted
credentials leave the index (they come back on restore).
"""

from __future__ import annotations

from django.urls import reverse

from credentials.models import Credential
from psa.search import Document, Searchable, SearchField, register


def _public_values(credential: Credential) -> str:
    public = {item.get("id") for item in credential.definition if not item.get("secure")}
    values = credential.values or {}
    return " ".join(str(values[key]) for key in sorted(public) if key in values and isinstance(values[key], str | int))


def document(credential: Credential) -> Document | None:
    if credential.deleted_at is not None:
        return None
    return Document(
        title=credential.name,
        texts={
            "name": credential.name,
            "type_name": credential.type.name,
            "fields": _public_values(credential),
            "notes": credential.notes,
        },
        client_id=credential.client_id,
    )


register(
    Searchable(
        kind="credential",
        label="Credentials",
        model=Credential,
        nodes=("credential.read",),
        fields=(
            SearchField("name", "a", gate="name"),
            SearchField("type_name", "b", gate="type"),
            SearchField("fields", "c", gate="fields", nodes=("credential.fields.read",)),
            SearchField("notes", "d", gate="notes"),
        ),
        document=document,
        url=lambda object_id, client_id: reverse("credentials:credential_detail", args=[object_id]),
        rebuild=lambda: Credential.objects.select_related("type").order_by("created_at", "id"),
        order=50,
    )
)
