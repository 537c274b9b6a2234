from django.urls import include, path
from rest_framework.routers import SimpleRouter

from integrations.api.views import SourceViewSet, SyncRunViewSet

router = SimpleRouter(trailing_slash=False)
router.register("integrations/sources", SourceViewSet, basename="integration-source")
router.register("integrations/sync-runs", SyncRunViewSet, basename="integration-syncrun")

urlpatterns = [*router.urls, path("", include("integrations.hudu.api.urls"))]
