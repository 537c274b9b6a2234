from django.apps import AppConfig


class HuduConfig(AppConfig):
    name = "integrations.hudu"
    label = "hudu"
    verbose_name = "Hudu"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations.hudu import kind  # noqa: F401  (registers the Hudu kind)
