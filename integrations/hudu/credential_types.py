"""The built-in "Hudu password" credential type (its migration keeps a frozen copy of this definition)."""

from __future__ import annotations

import uuid

PASSWORD_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0003")
PASSWORD_TYPE = {
    "name": "Hudu password",
    "description": "An asset password synced from Hudu (built in; Hudu masters it, change it there).",
    "permission_scope": "credential",
    "fields": [
        {"id": "username", "name": "Username", "required": False, "secure": False, "value_type": "username"},
        {"id": "password", "name": "Password", "required": True, "secure": True, "value_type": "password"},
        {"id": "url", "name": "URL", "required": False, "secure": False, "value_type": "url"},
        {"id": "totp", "name": "TOTP secret", "required": False, "secure": True, "value_type": "totp_secret"},
    ],
}


def ensure_password_type() -> None:
    """Made by a migration; recreated here if an admin deleted it (or a flush emptied the table)."""
    from credentials.models import CredentialType

    CredentialType.objects.get_or_create(pk=PASSWORD_TYPE_ID, defaults=PASSWORD_TYPE)
