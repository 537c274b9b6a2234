from django.urls import path
from rest_framework.routers import SimpleRouter

from assets.api import views

router = SimpleRouter(trailing_slash=False)
router.register("assets", views.AssetViewSet, basename="asset")
router.register(
    r"assets/(?P<asset_id>[0-9a-fA-F-]{32,36})/interfaces", views.AssetInterfaceViewSet, basename="asset-interface"
)
router.register("networks", views.NetworkViewSet, basename="network")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("certificates", views.CertificateViewSet, basename="certificate")
router.register("software", views.SoftwareViewSet, basename="software")
router.register(
    r"software/(?P<software_id>[0-9a-fA-F-]{32,36})/seats", views.SoftwareSeatViewSet, basename="software-seat"
)

urlpatterns = [
    path("expirations", views.ExpirationsView.as_view(), name="expirations"),
    *router.urls,
]
