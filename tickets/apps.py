from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tickets import signals  # noqa: F401  (deletes orphaned documents and their files)

        self._require_triggers()

    def _require_triggers(self) -> None:
        """The ticket counters (tickets/migrations/0010) are kept by triggers: a rebuilt table must keep them."""
        from psa.db import require_triggers

        migration = ("tickets", "0010_ticket_stats_counters")
        events = ("insert", "update", "delete")
        require_triggers(migration, "sqlite", "tickets_ticket", [f"tickets_group_counts_{e}" for e in events])
        names = [f"tickets_group_counts_{e}" for e in (*events, "truncate")]
        require_triggers(migration, "postgresql", "tickets_ticket", names)
