"""PostgreSQL only: GIN indexes on the text vectors tickets.search matches with (the comments' text, and a ticket's
own title, number and description). On SQLite the search falls back to substring matching, which no index helps."""

from django.db import migrations

INDEXES = {
    "tickets_comment_text_fts": "tickets_comment USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))",
    "tickets_ticket_text_fts": (
        "tickets_ticket USING gin (to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || "
        "COALESCE(ticket_number, '') || ' ' || COALESCE(description, '')))"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_defaults")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
