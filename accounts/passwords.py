"""Password changes and one-time reset links, shared by the API and the UI.

Nobody sets another user's password. Users change their own with the current one; an administrator resets someone
else's by issuing a one-time link (``PSA_PASSWORD_RESET_HOURS``), which also stops the old password working. Every
change is audited without the value and ends the user's other sessions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from psa import audit

REDACTED_CHANGE = {"password": {"old": audit.REDACTED, "new": audit.REDACTED}}
_DB_SESSION_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def _session_request(request: Any) -> Any:
    """Django's request under DRF's wrapper, which holds the session."""
    return getattr(request, "_request", request)


def _session_of(request: Any) -> Any:
    return getattr(_session_request(request), "session", None)


def end_sessions(user: User, keep: str | None = None) -> int:
    """Delete the user's browser sessions except ``keep``; returns how many ended.

    Django already refuses a session whose password hash is stale; deleting the rows makes the sign-out immediate
    and leaves nothing behind. Sessions in a cache-only engine cannot be listed and rely on the hash check alone.
    """
    if settings.SESSION_ENGINE not in _DB_SESSION_ENGINES:
        return 0
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep and session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def _current_session_key(request: Any, user: User) -> str | None:
    session = _session_of(request)
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        return session.session_key
    return None


def change_own_password(request: Any, user: User, new_password: str) -> None:
    """Set the caller's own password (already checked against the current one and the validators)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        audit.record(request, "change_password", user, changes=REDACTED_CHANGE)
    keep = _current_session_key(request, user)
    if keep is not None:  # a browser session stays signed in; an API-key request has no session to keep
        update_session_auth_hash(_session_request(request), user)
        keep = _session_of(request).session_key
    end_sessions(user, keep=keep)


def issue_reset_link(request: Any, user: User) -> str:
    """Stop the user's password working, end their sessions and return a one-time link to choose a new one.

    The link is valid for ``PASSWORD_RESET_TIMEOUT`` seconds and only until a password is set with it (Django's
    token covers the password hash and the last sign-in).
    """
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password", "updated_at"])
        audit.record(request, "issue_password_reset", user, changes=REDACTED_CHANGE)
    end_sessions(user)
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "password_reset_confirm", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)}
    )
    return request.build_absolute_uri(path)


def record_reset_used(request: Any, user: User) -> None:
    """After a reset link set a new password: audit it and end every session of the user."""
    audit.record(request, "reset_password", user, changes=REDACTED_CHANGE)
    end_sessions(user)
