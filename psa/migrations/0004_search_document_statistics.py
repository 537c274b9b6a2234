"""PostgreSQL: finer statistics on the search documents, so the planner knows a rare word is rare.

With the default statistics target a lexeme outside the 1,000 most common is estimated at a fraction of the
least common of those (about 1,200 of 330,000 entries at a large MSP's scale, for a word in 12): the planner then
walks the index in order past every entry instead of asking GIN for the few that match. Ten times the target keeps
ten times the lexemes, and the estimate of the others falls with it.
"""

from django.db import migrations

TARGET = 1000


def raise_target(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE psa_searchentry ALTER COLUMN document SET STATISTICS {TARGET}")


def reset_target(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE psa_searchentry ALTER COLUMN document SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("psa", "0003_search_entry")]

    operations = [migrations.RunPython(raise_target, reset_target, elidable=False)]
