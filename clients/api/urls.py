from rest_framework.routers import SimpleRouter

from clients.api.views import ClientViewSet, ContactViewSet

router = SimpleRouter(trailing_slash=False)
router.register("clients", ClientViewSet, basename="client")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = router.urls
