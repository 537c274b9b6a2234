"""Sign-in hooks: audit events for successes, failures (with the login tried, never the password) and lock-outs;
the idle clock of a new session."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from psa import audit
from psa.middleware import SessionIdleMiddleware

USER_TYPE = "accounts.user"


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    if request is not None:
        audit.record(request, "login", user, client_id=None)


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    outcome = "locked_out" if getattr(request, "axes_locked_out", False) else "failed"
    login = str(credentials.get("username") or "")[:150]
    audit.record(request, "login_failed", object_type=USER_TYPE, changes={"login": login}, outcome=outcome)


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    changes = {"login": str(username or "")[:150]}
    audit.record(request, "lockout", object_type=USER_TYPE, changes=changes, outcome="locked_out")


@receiver(user_logged_in, dispatch_uid="accounts.session_seen_at_sign_in")
def _session_seen_at_sign_in(sender, request, user, **kwargs) -> None:
    # A fresh session starts its idle clock now, so the first request after signing in need not write it again.
    if request is not None and hasattr(request, "session"):
        SessionIdleMiddleware.mark_seen(request.session)
