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
