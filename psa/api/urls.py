from django.urls import include, path
from rest_framework.routers import SimpleRouter

from psa.api.audit import AuditEventViewSet, JobRunViewSet
from psa.api.schema_view import SchemaView
from psa.search.api import SearchView

router = SimpleRouter(trailing_slash=False)
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("job-runs", JobRunViewSet, basename="jobrun")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("search", SearchView.as_view(), name="search"),
    path("", include("accounts.api.urls")),
    path("", include("clients.api.urls")),
    path("", include("credentials.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("assets.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("sales.api.urls")),
    path("", include("integrations.unifi.api.urls")),
    *router.urls,
]
