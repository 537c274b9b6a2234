from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets and documentation"
    default_auto_field = "django.db.models.BigAutoField"
