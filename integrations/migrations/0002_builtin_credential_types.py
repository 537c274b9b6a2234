"""The built-in credential type that holds ConnectWise Manage sources' keys in the vault."""

import uuid

from django.db import migrations

CONNECTWISE_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0001")
FIELDS = [
    {"id": "public_key", "name": "Public key", "required": True, "secure": True, "value_type": "generic_secret"},
    {"id": "private_key", "name": "Private key", "required": True, "secure": True, "value_type": "generic_secret"},
]


def create_types(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    CredentialType.objects.get_or_create(
        pk=CONNECTWISE_TYPE_ID,
        defaults={
            "name": "ConnectWise Manage API member keys",
            "description": "Secrets of ConnectWise Manage integration sources (built in; managed by Integrations).",
            "permission_scope": "integration.secrets",
            "fields": FIELDS,
        },
    )


def remove_types(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    CredentialType.objects.filter(pk=CONNECTWISE_TYPE_ID, credentials__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("credentials", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_types, remove_types)]
