from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from psa.health import healthz
from psa.routing import indexed

urlpatterns = [
    # Indexed by first path segment: resolving does not walk every app's routes (psa.routing).
    indexed(path("api/v1/", include("psa.api.urls"))),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    indexed(path("", include("psa.ui_urls"))),
]

handler500 = "psa.errors.server_error"  # contention is a 503 to retry; the API answers in its envelope
