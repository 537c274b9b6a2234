from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from credentials import checks  # noqa: F401  (registers the keyring check)
