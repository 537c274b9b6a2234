from django.apps import AppConfig


class PsaConfig(AppConfig):
    name = "psa"
    verbose_name = "PSA core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from psa import bounds, nodes, signals  # noqa: F401  (connects Celery signals)

        nodes.autodiscover()
        from psa import tabs

        tabs.autodiscover()
        from psa import search

        search.autodiscover()
        pre_save.connect(bounds.check_lengths, dispatch_uid="psa.bounds.check_lengths")
        self._require_triggers()

    def _require_triggers(self) -> None:
        """The search index's FTS5 tables are kept in step by triggers on SQLite; every migrate checks that the
        declared triggers of every app are still there (psa.db.RequiredTrigger says why)."""
        from django.core import checks
        from django.db.models.signals import post_migrate

        from psa import db

        triggers = ("psa_search_insert", "psa_search_delete", "psa_search_update")
        db.require_triggers(("psa", "0003_search_entry"), "sqlite", "psa_searchentry", triggers)
        post_migrate.connect(db.verify_triggers, sender=self, dispatch_uid="psa.db.verify_triggers")
        checks.register(db.check_triggers, checks.Tags.database)
