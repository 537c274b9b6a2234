"""The triggers the application relies on (ticket counters, the search index's FTS5 tables) are checked after every
migrate and by ``check --database``: a migration that rebuilds a table on SQLite drops them silently otherwise."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection

from psa import db

pytestmark = pytest.mark.django_db

COUNTER_TRIGGER = "tickets_group_counts_update"


def _drop(name: str) -> None:
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"DROP TRIGGER {name}" + ("" if connection.vendor == "sqlite" else " ON tickets_ticket"))


def test_every_declared_trigger_is_there_after_migrate():
    due = [t.name for t in db._REQUIRED_TRIGGERS.values() if t.vendor == connection.vendor]
    assert COUNTER_TRIGGER in due
    if connection.vendor == "sqlite":
        assert "psa_search_insert" in due
    assert db.missing_triggers(connection) == []
    db.verify_triggers("default")  # raises nothing
    call_command("check", "--database", "default")


def test_a_missing_trigger_is_named_by_the_migrate_check_and_the_system_check():
    _drop(COUNTER_TRIGGER)
    missing = db.missing_triggers(connection)
    assert [t.name for t in missing] == [COUNTER_TRIGGER]
    with pytest.raises(CommandError) as raised:
        db.verify_triggers("default")
    assert f"{COUNTER_TRIGGER} (on tickets_ticket, from tickets.0010_ticket_stats_counters)" in str(raised.value)
    with pytest.raises(SystemCheckError, match=r"psa\.E010"):
        call_command("check", "--database", "default")


def test_a_trigger_is_not_due_before_its_migration_is_applied():
    from django.db.migrations.recorder import MigrationRecorder

    _drop(COUNTER_TRIGGER)
    MigrationRecorder.Migration.objects.filter(app="tickets", name="0010_ticket_stats_counters").delete()
    assert COUNTER_TRIGGER not in [t.name for t in db.missing_triggers(connection)]
