"""Default credential types (Login, Windows / local admin, Wi-Fi, ...) so a fresh install can save a password."""

from django.db import migrations

from credentials.defaults import DEFAULT_TYPES, create_default_types


def forwards(apps, schema_editor):
    create_default_types(apps.get_model("credentials", "CredentialType"))


def backwards(apps, schema_editor):
    names = [name for name, *_ in DEFAULT_TYPES]
    apps.get_model("credentials", "CredentialType").objects.filter(name__in=names, credentials__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("credentials", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
