from django.apps import AppConfig


class UnifiConfig(AppConfig):
    """UniFi Network: its own app (label ``unifi``) for its mirror tables, inside the integrations package."""

    name = "integrations.unifi"
    label = "unifi"
    verbose_name = "UniFi Network"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the kind (settings, secrets, jobs) with integrations.registry.
        from integrations.unifi import kind  # noqa: F401
