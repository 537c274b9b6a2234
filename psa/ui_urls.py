"""The technician UI: each app's ``urls.py`` under one root."""

from django.urls import include, path

from psa import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("accounts.urls")),
    path("clients/", include("clients.urls")),
]
