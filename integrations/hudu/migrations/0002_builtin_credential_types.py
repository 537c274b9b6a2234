"""The built-in credential types of Hudu: the source's API key, and the passwords the sync brings into the vault."""

import uuid

from django.db import migrations

API_KEY_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0002")
PASSWORD_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0003")
TYPES = {
    API_KEY_TYPE_ID: {
        "name": "Hudu API key",
        "description": "Secrets of Hudu integration sources (built in; managed by Integrations).",
        "permission_scope": "integration.secrets",
        "fields": [
            {"id": "api_key", "name": "API key", "required": True, "secure": True, "value_type": "generic_secret"}
        ],
    },
    PASSWORD_TYPE_ID: {
        "name": "Hudu password",
        "description": "An asset password synced from Hudu (built in; Hudu masters it, change it there).",
        "permission_scope": "credential",
        "fields": [
            {"id": "username", "name": "Username", "required": False, "secure": False, "value_type": "username"},
            {"id": "password", "name": "Password", "required": True, "secure": True, "value_type": "password"},
            {"id": "url", "name": "URL", "required": False, "secure": False, "value_type": "url"},
            {"id": "totp", "name": "TOTP secret", "required": False, "secure": True, "value_type": "totp_secret"},
        ],
    },
}


def create_types(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    for pk, defaults in TYPES.items():
        CredentialType.objects.get_or_create(pk=pk, defaults=defaults)


def remove_types(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    CredentialType.objects.filter(pk__in=list(TYPES), credentials__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hudu", "0001_initial"),
        ("credentials", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_types, remove_types)]
