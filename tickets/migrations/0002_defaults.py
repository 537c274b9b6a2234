"""Defaults so a fresh install can take tickets: one board with a workflow, and four priorities."""

from django.db import migrations

from tickets.defaults import BOARD, create_defaults


def forwards(apps, schema_editor):
    create_defaults(apps.get_model("tickets", "Board"), apps.get_model("tickets", "Status"), apps.get_model("tickets", "Priority"))


def backwards(apps, schema_editor):
    apps.get_model("tickets", "Board").objects.filter(name=BOARD[0], tickets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
