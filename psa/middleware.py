"""Keeps the error envelope on API paths for failures outside DRF (unknown routes, unexpected exceptions)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("psa.api")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1") or "json" in response.get("Content-Type", ""):
            return response
        if response.status_code == 404:
            return _error(404, "NOT_FOUND", "The requested resource was not found.")
        if response.status_code == 400:
            return _error(400, "VALIDATION_ERROR", "The request could not be read.")
        if response.status_code >= 500:
            return _error(500, "INTERNAL_ERROR", "An internal error occurred.")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/v1"):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error(500, "INTERNAL_ERROR", "An internal error occurred.")
