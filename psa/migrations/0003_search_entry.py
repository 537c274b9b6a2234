"""The search index (psa.search): one table, and per engine the structures that search it.

SQLite: two external-content FTS5 tables kept in step with ``psa_searchentry`` by triggers, one for words (the
tokenizer only splits what ``psa.search.text`` already folded; ``_`` is the filler between fields) and one with the
trigram tokenizer for identifier substrings. PostgreSQL: a weighted ``tsvector`` column under GIN, written with each
row, and a pg_trgm GIN index on the identifiers.
"""

from django.db import migrations, models

WORD_COLUMNS = "kind, words_a, words_b, words_c, words_d"

SQLITE = [
    "CREATE VIRTUAL TABLE psa_search_fts USING fts5("
    f"{WORD_COLUMNS}, content='psa_searchentry', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")",
    "CREATE VIRTUAL TABLE psa_search_ids USING fts5("
    "identifiers, content='psa_searchentry', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER psa_search_insert AFTER INSERT ON psa_searchentry BEGIN "
    f"INSERT INTO psa_search_fts(rowid, {WORD_COLUMNS}) "
    "VALUES (new.id, new.kind, new.words_a, new.words_b, new.words_c, new.words_d); "
    "INSERT INTO psa_search_ids(rowid, identifiers) VALUES (new.id, new.identifiers); END",
    "CREATE TRIGGER psa_search_delete AFTER DELETE ON psa_searchentry BEGIN "
    f"INSERT INTO psa_search_fts(psa_search_fts, rowid, {WORD_COLUMNS}) "
    "VALUES ('delete', old.id, old.kind, old.words_a, old.words_b, old.words_c, old.words_d); "
    "INSERT INTO psa_search_ids(psa_search_ids, rowid, identifiers) VALUES ('delete', old.id, old.identifiers); END",
    "CREATE TRIGGER psa_search_update AFTER UPDATE ON psa_searchentry BEGIN "
    f"INSERT INTO psa_search_fts(psa_search_fts, rowid, {WORD_COLUMNS}) "
    "VALUES ('delete', old.id, old.kind, old.words_a, old.words_b, old.words_c, old.words_d); "
    "INSERT INTO psa_search_ids(psa_search_ids, rowid, identifiers) VALUES ('delete', old.id, old.identifiers); "
    f"INSERT INTO psa_search_fts(rowid, {WORD_COLUMNS}) "
    "VALUES (new.id, new.kind, new.words_a, new.words_b, new.words_c, new.words_d); "
    "INSERT INTO psa_search_ids(rowid, identifiers) VALUES (new.id, new.identifiers); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS psa_search_update",
    "DROP TRIGGER IF EXISTS psa_search_delete",
    "DROP TRIGGER IF EXISTS psa_search_insert",
    "DROP TABLE IF EXISTS psa_search_ids",
    "DROP TABLE IF EXISTS psa_search_fts",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE psa_searchentry ADD COLUMN document tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX psa_search_document ON psa_searchentry USING gin (document)",
    "CREATE INDEX psa_search_identifiers ON psa_searchentry USING gin (identifiers gin_trgm_ops)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS psa_search_identifiers",
    "DROP INDEX IF EXISTS psa_search_document",
    "ALTER TABLE psa_searchentry DROP COLUMN IF EXISTS document",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, []):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("psa", "0002_rate_limit_counter")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=40)),
                ("object_id", models.UUIDField()),
                ("client_id", models.UUIDField(blank=True, null=True)),
                ("is_active", models.BooleanField(default=True)),
                ("title", models.CharField(max_length=300)),
                ("identifiers", models.TextField(blank=True)),
                ("words_a", models.TextField(blank=True)),
                ("words_b", models.TextField(blank=True)),
                ("words_c", models.TextField(blank=True)),
                ("words_d", models.TextField(blank=True)),
                ("texts", models.JSONField(default=dict)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["kind", "id"], name="search_entry_kind_order"),
                    models.Index(fields=["kind", "client_id", "id"], name="search_entry_kind_client"),
                ],
                "constraints": [models.UniqueConstraint(fields=("kind", "object_id"), name="search_entry_object")],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
