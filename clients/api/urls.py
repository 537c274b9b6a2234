from rest_framework.routers import SimpleRouter

from clients.api.views import ClientViewSet, ContactViewSet, LocationViewSet, VendorViewSet

router = SimpleRouter(trailing_slash=False)
router.register("clients", ClientViewSet, basename="client")
router.register("contacts", ContactViewSet, basename="contact")
router.register("locations", LocationViewSet, basename="location")
router.register("vendors", VendorViewSet, basename="vendor")

urlpatterns = router.urls
