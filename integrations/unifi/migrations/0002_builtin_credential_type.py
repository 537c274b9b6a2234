"""The built-in credential type that holds UniFi sources' password and API key in the vault."""

import uuid

from django.db import migrations

UNIFI_TYPE_ID = uuid.UUID("6c1f6b1e-2d0a-4c8e-9a51-c0aa3c7e0003")
FIELDS = [
    {"id": "password", "name": "Password", "required": False, "secure": True, "value_type": "generic_secret"},
    {"id": "api_key", "name": "API key", "required": False, "secure": True, "value_type": "generic_secret"},
]


def create_type(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    CredentialType.objects.get_or_create(
        pk=UNIFI_TYPE_ID,
        defaults={
            "name": "UniFi Network controller login",
            "description": "Secrets of UniFi Network integration sources (built in; managed by Integrations).",
            "permission_scope": "integration.secrets",
            "fields": FIELDS,
        },
    )


def remove_type(apps, schema_editor):
    CredentialType = apps.get_model("credentials", "CredentialType")
    CredentialType.objects.filter(pk=UNIFI_TYPE_ID, credentials__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("unifi", "0001_sites_and_devices"),
        ("credentials", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_type, remove_type)]
