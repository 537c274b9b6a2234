from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api.procurement import ProcurementCategoriesView, ProcurementFiltersView, ProcurementItemViewSet
from catalog.api.views import ProductViewSet, ServiceViewSet

router = SimpleRouter(trailing_slash=False)
router.register("services", ServiceViewSet, basename="service")
router.register("products", ProductViewSet, basename="product")
router.register("procurement/items", ProcurementItemViewSet, basename="procurement-item")

urlpatterns = [
    path("procurement/count", ProcurementItemViewSet.as_view({"get": "count"}), name="procurement-count"),
    path("procurement/categories", ProcurementCategoriesView.as_view(), name="procurement-categories"),
    path("procurement/filters", ProcurementFiltersView.as_view(), name="procurement-filters"),
    *router.urls,
]
