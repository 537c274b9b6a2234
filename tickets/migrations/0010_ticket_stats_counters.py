"""Ticket counts per group (tickets.stats_models), kept in step by triggers, and filled from the tickets.

Every insert, update and delete of ``tickets_ticket`` adds its difference to the group counts, whatever issued it
(a save, ``QuerySet.update()``, ``bulk_create``, a cascade, raw SQL, COPY). An upsert adds (``tickets = tickets +
EXCLUDED.tickets``), so concurrent writers never lose each other's change; a group left at zero is deleted.

- SQLite: row triggers. A delete that leaves no ticket at all also empties the counts, so that ``flush`` (which
  deletes table by table, in no fixed order) cannot leave the differences of deleted tickets behind.
- PostgreSQL: statement triggers over the transition tables: one upsert per statement, the groups in key order
  (so two statements take the row locks in the same order), and TRUNCATE empties the counts.

The resolution time is whole milliseconds per ticket, the same expression ``tickets.stats`` uses on its SQL path.
"""

from django.db import migrations, models



TICKETS = "tickets_ticket"
CLIENT_COUNTS = "tickets_clientticketgroupcount"
TOTAL_COUNTS = "tickets_ticketgroupcount"
KEY = ["board_id", "status_id", "priority_id", "is_closed", "is_assigned"]
COUNTS = ["tickets", "with_due_date", "resolved", "resolution_ms"]
TABLES = {CLIENT_COUNTS: ["client_id", *KEY], TOTAL_COUNTS: KEY}
ADD = ", ".join(f"{c} = {{table}}.{c} + excluded.{c}" for c in COUNTS)

# ---- SQLite: row triggers ---------------------------------------------------------------------------------------


def sqlite_resolved(row: str) -> str:
    # is_closed IN (1): the stats' own test of a closed ticket
    return f"({row}.is_closed IN (1) AND {row}.closed_at IS NOT NULL)"


def sqlite_values(row: str, sign: str) -> dict[str, str]:
    ms = f"CAST(ROUND((julianday({row}.closed_at) - julianday({row}.entered_at)) * 86400000) AS INTEGER)"
    return {
        "client_id": f"{row}.client_id",
        "board_id": f"{row}.board_id",
        "status_id": f"{row}.status_id",
        "priority_id": f"{row}.priority_id",
        "is_closed": f"{row}.is_closed",
        "is_assigned": f"({row}.assigned_to_id IS NOT NULL)",
        "tickets": f"{sign}1",
        "with_due_date": f"{sign}({row}.due_date IS NOT NULL)",
        "resolved": f"{sign}{sqlite_resolved(row)}",
        "resolution_ms": f"CASE WHEN {sqlite_resolved(row)} THEN {sign}{ms} ELSE 0 END",
    }


def sqlite_add(row: str, sign: str) -> str:
    values = sqlite_values(row, sign)
    statements = []
    for table, key in TABLES.items():
        columns = [*key, *COUNTS]
        statements.append(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values[c] for c in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {ADD.format(table=table)};"
        )
    return " ".join(statements)


def sqlite_drop_empty(row: str) -> str:
    values = sqlite_values(row, "")
    return " ".join(
        f"DELETE FROM {table} WHERE {' AND '.join(f'{c} = {values[c]}' for c in key)} AND tickets = 0;"
        for table, key in TABLES.items()
    )


SQLITE_CHANGED = " OR ".join(
    [
        *(f"old.{c} IS NOT new.{c}" for c in ("client_id", "board_id", "status_id", "priority_id", "is_closed")),
        *(f"(old.{c} IS NULL) IS NOT (new.{c} IS NULL)" for c in ("assigned_to_id", "due_date")),
        *(f"old.{c} IS NOT new.{c}" for c in ("closed_at", "entered_at")),
    ]
)
SQLITE = [
    f"CREATE TRIGGER tickets_group_counts_insert AFTER INSERT ON {TICKETS} BEGIN {sqlite_add('new', '')} END",
    f"CREATE TRIGGER tickets_group_counts_update AFTER UPDATE ON {TICKETS} WHEN {SQLITE_CHANGED} BEGIN "
    f"{sqlite_add('old', '-')} {sqlite_add('new', '')} {sqlite_drop_empty('old')} END",
    f"CREATE TRIGGER tickets_group_counts_delete AFTER DELETE ON {TICKETS} BEGIN "
    f"{sqlite_add('old', '-')} {sqlite_drop_empty('old')} "
    # When no ticket is left, nothing is counted. The bound is NULL (no row: one seek, not a scan of the counts)
    # while any ticket is left, and 0 (every row) when none is.
    + " ".join(
        f"DELETE FROM {table} WHERE id >= (SELECT CASE WHEN EXISTS (SELECT 1 FROM {TICKETS}) THEN NULL ELSE 0 END);"
        for table in TABLES
    )
    + " END",
]
SQLITE_FILL = f"""
    INSERT INTO {CLIENT_COUNTS} (client_id, {", ".join(KEY)}, {", ".join(COUNTS)})
    SELECT client_id, board_id, status_id, priority_id, is_closed, assigned_to_id IS NOT NULL, COUNT(*),
           COUNT(due_date), SUM({sqlite_resolved(TICKETS)}), SUM({sqlite_values(TICKETS, "")["resolution_ms"]})
    FROM {TICKETS}
    GROUP BY client_id, board_id, status_id, priority_id, is_closed, assigned_to_id IS NOT NULL
"""

# ---- PostgreSQL: statement triggers over the transition tables -----------------------------------------------------

PG_ROWS = (
    "SELECT client_id, board_id, status_id, priority_id, is_closed, assigned_to_id IS NOT NULL AS is_assigned, "
    "(due_date IS NOT NULL)::int AS with_due_date, (is_closed AND closed_at IS NOT NULL)::int AS resolved, "
    "CASE WHEN is_closed AND closed_at IS NOT NULL "
    "THEN ROUND(EXTRACT(EPOCH FROM closed_at - entered_at) * 1000)::bigint ELSE 0 END AS resolution_ms, "
    "{sign} AS sign FROM {rows}"
)
PG_CHANGES = {
    "insert": PG_ROWS.format(sign=1, rows="new_rows"),
    "update": PG_ROWS.format(sign=-1, rows="old_rows") + " UNION ALL " + PG_ROWS.format(sign=1, rows="new_rows"),
    "delete": PG_ROWS.format(sign=-1, rows="old_rows"),
}
PG_ANY = " OR ".join(f"{{sum}}{c}{{end}} <> 0" for c in COUNTS)


def pg_upsert(table: str, key: list[str], source: str, summed: bool) -> str:
    counts = [f"SUM({c})" for c in COUNTS] if summed else COUNTS
    group = f" GROUP BY {', '.join(key)} HAVING {PG_ANY.format(sum='SUM(', end=')')}" if summed else ""
    where = "" if summed else f" WHERE {PG_ANY.format(sum='', end='')}"
    return (
        f"INSERT INTO {table} ({', '.join(key)}, {', '.join(COUNTS)}) "
        f"SELECT {', '.join(key)}, {', '.join(counts)} FROM {source}{where}{group} ORDER BY {', '.join(key)} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {ADD.format(table=table)}"
    )


def pg_function(event: str) -> str:
    client_key = TABLES[CLIENT_COUNTS]
    grouped = (
        f"SELECT {', '.join(client_key)}, SUM(sign) AS tickets, "
        + ", ".join(f"SUM(sign * {c}) AS {c}" for c in COUNTS[1:])
        + f" FROM changes GROUP BY {', '.join(client_key)}"
    )
    body = [
        f"WITH changes AS ({PG_CHANGES[event]}), grouped AS ({grouped}), "
        f"per_client AS ({pg_upsert(CLIENT_COUNTS, client_key, 'grouped', summed=False)}) "
        f"{pg_upsert(TOTAL_COUNTS, KEY, 'grouped', summed=True)};"
    ]
    if event != "insert":
        for table, key in TABLES.items():
            old = PG_ROWS.format(sign=0, rows="old_rows")
            body.append(
                f"DELETE FROM {table} AS counts USING (SELECT DISTINCT {', '.join(key)} FROM ({old}) AS old) AS gone "
                f"WHERE counts.tickets = 0 AND {' AND '.join(f'counts.{c} = gone.{c}' for c in key)};"
            )
    return (
        f"CREATE FUNCTION tickets_group_counts_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + " ".join(body)
        + " RETURN NULL; END $$"
    )


PG_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}
POSTGRESQL = [
    *(pg_function(event) for event in PG_REFERENCING),
    *(
        f"CREATE TRIGGER tickets_group_counts_{event} AFTER {event.upper()} ON {TICKETS} "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION tickets_group_counts_{event}()"
        for event, referencing in PG_REFERENCING.items()
    ),
    "CREATE FUNCTION tickets_group_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + " ".join(f"DELETE FROM {table};" for table in TABLES)
    + " RETURN NULL; END $$",
    f"CREATE TRIGGER tickets_group_counts_truncate AFTER TRUNCATE ON {TICKETS} "
    "FOR EACH STATEMENT EXECUTE FUNCTION tickets_group_counts_truncate()",
]
PG_FILL = f"""
    INSERT INTO {CLIENT_COUNTS} (client_id, {", ".join(KEY)}, {", ".join(COUNTS)})
    SELECT client_id, {", ".join(KEY)}, COUNT(*), SUM(with_due_date), SUM(resolved), SUM(resolution_ms)
    FROM ({PG_ROWS.format(sign=1, rows=TICKETS)}) AS tickets
    GROUP BY client_id, {", ".join(KEY)}
"""
TOTAL_FILL = f"""
    INSERT INTO {TOTAL_COUNTS} ({", ".join(KEY)}, {", ".join(COUNTS)})
    SELECT {", ".join(KEY)}, {", ".join(f"SUM({c})" for c in COUNTS)} FROM {CLIENT_COUNTS} GROUP BY {", ".join(KEY)}
"""
EVENTS = ("insert", "update", "delete")
DROP = {
    "sqlite": [f"DROP TRIGGER IF EXISTS tickets_group_counts_{event}" for event in EVENTS],
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS tickets_group_counts_{e} ON {TICKETS}" for e in (*EVENTS, "truncate")),
        *(f"DROP FUNCTION IF EXISTS tickets_group_counts_{e}()" for e in (*EVENTS, "truncate")),
    ],
}


def create(apps, schema_editor):
    """The triggers, then the counts of the tickets there are (in the migration's transaction, which holds off
    ticket writes on PostgreSQL: CREATE TRIGGER locks the table against them until the commit)."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return
    for statement in SQLITE if vendor == "sqlite" else POSTGRESQL:
        schema_editor.execute(statement)
    schema_editor.execute(SQLITE_FILL if vendor == "sqlite" else PG_FILL)
    schema_editor.execute(TOTAL_FILL)


def drop(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)



class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0009_stats_covering_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClientTicketGroupCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('board_id', models.UUIDField()),
                ('status_id', models.UUIDField()),
                ('priority_id', models.UUIDField()),
                ('is_closed', models.BooleanField()),
                ('is_assigned', models.BooleanField(help_text='Has a primary assignee.')),
                ('tickets', models.BigIntegerField(default=0)),
                ('with_due_date', models.BigIntegerField(default=0, help_text='Of them, tickets with a due date.')),
                ('resolved', models.BigIntegerField(default=0, help_text='Of them, closed tickets with a closing time.')),
                ('resolution_ms', models.BigIntegerField(default=0, help_text="The resolved tickets' closed_at - entered_at, summed, in whole milliseconds.")),
                ('client_id', models.UUIDField()),
            ],
            options={
                'ordering': ('client_id', 'board_id', 'status_id', 'priority_id', 'is_closed', 'is_assigned'),
                'constraints': [models.UniqueConstraint(fields=('client_id', 'board_id', 'status_id', 'priority_id', 'is_closed', 'is_assigned'), name='client_ticket_group_count_key')],
            },
        ),
        migrations.CreateModel(
            name='TicketGroupCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('board_id', models.UUIDField()),
                ('status_id', models.UUIDField()),
                ('priority_id', models.UUIDField()),
                ('is_closed', models.BooleanField()),
                ('is_assigned', models.BooleanField(help_text='Has a primary assignee.')),
                ('tickets', models.BigIntegerField(default=0)),
                ('with_due_date', models.BigIntegerField(default=0, help_text='Of them, tickets with a due date.')),
                ('resolved', models.BigIntegerField(default=0, help_text='Of them, closed tickets with a closing time.')),
                ('resolution_ms', models.BigIntegerField(default=0, help_text="The resolved tickets' closed_at - entered_at, summed, in whole milliseconds.")),
            ],
            options={
                'ordering': ('board_id', 'status_id', 'priority_id', 'is_closed', 'is_assigned'),
                'constraints': [models.UniqueConstraint(fields=('board_id', 'status_id', 'priority_id', 'is_closed', 'is_assigned'), name='ticket_group_count_key')],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
