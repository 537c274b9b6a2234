"""Sends a user who must enrol in two-factor sign-in (``PSA_REQUIRE_2FA``) to the enrolment page first."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor_views import ENROL_KEY

ALLOWED_PREFIXES = ("/static/", "/favicon", "/healthz")


class TwoFactorEnrolmentMiddleware:
    """The session flag is set at password sign-in (accounts.two_factor_views); API keys never carry it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or not session.get(ENROL_KEY) or not request.user.is_authenticated:
            return self.get_response(request)
        allowed = (
            reverse("accounts:two_factor"),
            reverse("accounts:two_factor_confirm"),
            reverse("logout"),
        )
        path = request.path
        if path in allowed or path.startswith(ALLOWED_PREFIXES):
            return self.get_response(request)
        if path.startswith("/api/"):
            if "HTTP_X_API_KEY" in request.META or "HTTP_AUTHORIZATION" in request.META:
                return self.get_response(request)  # a key acts for itself, not for this browser session
            message = "Set up two-factor sign-in on your profile page before using PSA."
            return JsonResponse({"error": {"code": "FORBIDDEN", "message": message, "details": None}}, status=403)
        return redirect("accounts:two_factor")
