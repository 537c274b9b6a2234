"""The second reference for bench_http.py: plain Django views doing the floor's work (bench/floor_app.py).

Each view checks the API key, runs the same SQL through Django's connection and serialises with orjson, exactly as
the raw WSGI floor does, but inside Django: the same settings, the whole middleware stack, URL resolving and request
and response objects. Between the floor and the API route it shows what Django itself costs, apart from DRF and
PSA's own steps. Serve it with ``gunicorn django_floor:application`` (``PYTHONPATH=bench``); the views answer the
API's paths and are reachable only through this module's application, never through ``psa.urls``.
"""

from __future__ import annotations

import os

from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")

import django

django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from floor_app import Floor  # noqa: E402


class DjangoFloor(Floor):
    """The floor's queries through Django's connection (its cursor wrapper converts ``%s`` itself)."""

    def __init__(self) -> None:
        super().__init__(connection, connection.vendor, os.environ["FLOOR_PEPPER"])

    def _sql(self, sql: str) -> str:
        return sql


_floor: DjangoFloor | None = None


def _json(body: bytes | None, status: int = 200) -> HttpResponse:
    if body is None:
        return HttpResponse(b'{"error":{"code":"NOT_FOUND"}}', status=404, content_type="application/json")
    return HttpResponse(body, status=status, content_type="application/json")


def _authenticated(view):
    def wrapper(request, *args, **kwargs):
        global _floor
        if _floor is None:
            _floor = DjangoFloor()
        if _floor.authenticate(request.META.get("HTTP_X_API_KEY")) is None:
            return _json(b'{"error":{"code":"UNAUTHORIZED"}}', 401)
        return _json(view(request, *args, **kwargs))

    return wrapper


@_authenticated
def clients(request):
    return _floor.clients(int(request.GET.get("limit", "25")))


@_authenticated
def asset(request, asset_id):
    return _floor.asset(str(asset_id))


@_authenticated
def tickets(request):
    return _floor.tickets(limit=int(request.GET.get("limit", "25")))


urlpatterns = [
    path("api/v1/clients", clients),
    path("api/v1/assets/<uuid:asset_id>", asset),
    path("api/v1/tickets", tickets),
]


class _Handler(WSGIHandler):
    def get_response(self, request):
        request.urlconf = __name__  # these views instead of settings.ROOT_URLCONF; the middleware is the same
        return super().get_response(request)


application = _Handler()
assert __name__ != settings.ROOT_URLCONF
