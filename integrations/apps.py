from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each vendor package registers its kind (settings, secrets, jobs) with integrations.registry.
        from integrations.connectwise import kind  # noqa: F401
        from integrations.hooks import mastered_field_locks
        from psa.forms import register_field_lock

        register_field_lock(mastered_field_locks)
