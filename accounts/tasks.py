"""Periodic housekeeping of sign-in rows."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(name="accounts.tasks.prune_sso_logins", ignore_result=True)
def prune_sso_logins() -> dict:
    """Daily: forget single-sign-on attempts a day past their expiry (finished, failed or abandoned alike)."""
    from accounts.sso import SsoLogin

    pruned, _ = SsoLogin.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return {"pruned": pruned}
