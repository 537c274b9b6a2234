"""API key authentication: ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``. Never a query string."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiKey


def _presented_key(request) -> str | None:
    header = request.META.get("HTTP_X_API_KEY")
    if header is not None:
        return header.strip()
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    # Any other scheme is a credential we do not accept: refuse it rather than fall through to the session.
    return value.strip() if scheme.lower() == "bearer" else ""


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = _presented_key(request)
        if raw is None:
            return None
        key = ApiKey.authenticate(raw)
        if key is None:
            raise AuthenticationFailed()
        key.touch(request.META.get("REMOTE_ADDR"))
        return key.owner, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="psa"'
