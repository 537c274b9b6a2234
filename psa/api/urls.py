from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from psa.api.audit import AuditEventViewSet, JobRunViewSet

router = SimpleRouter(trailing_slash=False)
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("job-runs", JobRunViewSet, basename="jobrun")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("", include("accounts.api.urls")),
    path("", include("clients.api.urls")),
    *router.urls,
]
