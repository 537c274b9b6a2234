"""The answer to an exception nothing else caught (Django's ``handler500``), in a view or in any middleware.

A database refusing a statement for contention (:func:`psa.db.is_contention`) is not a server error: the request
was rolled back whole and may be sent again, so it answers 503 with ``Retry-After``. Anything else is the usual
500, as the API's error envelope under ``/api/v1`` (the rate limit's middleware runs before the API's own error
handling) and as the error page elsewhere. Neither says what failed.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

from psa.db import is_contention
from psa.middleware import API_PREFIX, json_error

BUSY_MESSAGE = "The database was busy with a conflicting change; nothing was stored. Retry the request."


def busy_headers() -> dict[str, str]:
    """The headers of a 503 ``BUSY``: when to send the refused request again."""
    return {"Retry-After": str(settings.DATABASE_BUSY_RETRY_AFTER)}


def server_error(request: HttpRequest) -> HttpResponse:
    if is_contention(sys.exc_info()[1]):
        return _answer(request, 503, "BUSY", BUSY_MESSAGE, "503.html", busy_headers())
    return _answer(request, 500, "INTERNAL_ERROR", "An internal error occurred.", "500.html", {})


def _answer(request: HttpRequest, status: int, code: str, message: str, template: str, headers: dict) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return json_error(status, code, message, headers=headers)
    # No context processors: what failed may be the very thing they read.
    return HttpResponse(loader.get_template(template).render(), status=status, headers=headers)
