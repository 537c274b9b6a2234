"""PostgreSQL only: drop the GIN expression indexes of 0003. Ticket search now reads the search index (psa.search),
so these only slowed every ticket and comment write."""

from importlib import import_module

from django.db import migrations

INDEXES = import_module("tickets.migrations.0003_fulltext_indexes").INDEXES


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def recreate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_merge_documents_and_time_entries")]
    operations = [migrations.RunPython(drop, recreate, elidable=False)]
