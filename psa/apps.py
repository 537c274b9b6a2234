from django.apps import AppConfig


class PsaConfig(AppConfig):
    name = "psa"
    verbose_name = "PSA core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psa import nodes, signals  # noqa: F401  (connects Celery signals)

        nodes.autodiscover()
        from psa import tabs

        tabs.autodiscover()
