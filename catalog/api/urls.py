from rest_framework.routers import SimpleRouter

from catalog.api.views import ProductViewSet, ServiceViewSet

router = SimpleRouter(trailing_slash=False)
router.register("services", ServiceViewSet, basename="service")
router.register("products", ProductViewSet, basename="product")

urlpatterns = router.urls
