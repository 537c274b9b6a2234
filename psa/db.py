"""Database expressions the ORM lacks on both engines."""

from __future__ import annotations

from django.db.models import Aggregate, CharField, IntegerField


class JoinedText(Aggregate):
    """The group's values joined by ``,`` (SQLite ``group_concat``, PostgreSQL ``string_agg``); NULL for no rows."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


class CountRows(Aggregate):
    """``COUNT(*)``, optionally ``FILTER (WHERE ...)`` (Django's ``Count("*")`` refuses a filter)."""

    function = "COUNT"
    name = "CountRows"
    template = "%(function)s(*)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, filter=None, **extra):
        super().__init__(filter=filter, **extra)
