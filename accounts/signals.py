"""Sign-in hooks."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from psa.middleware import SessionIdleMiddleware


@receiver(user_logged_in, dispatch_uid="accounts.session_seen_at_sign_in")
def _session_seen_at_sign_in(sender, request, user, **kwargs) -> None:
    # A fresh session starts its idle clock now, so the first request after signing in need not write it again.
    if request is not None and hasattr(request, "session"):
        SessionIdleMiddleware.mark_seen(request.session)
