from django.urls import path
from rest_framework.routers import SimpleRouter

from sales.api.views import OpportunityTypesView, OpportunityViewSet

router = SimpleRouter(trailing_slash=False)
router.register("sales/opportunities", OpportunityViewSet, basename="opportunity")

urlpatterns = [
    path("sales/opportunity-types", OpportunityTypesView.as_view(), name="sales-opportunity-types"),
    path("sales/opportunities/count", OpportunityViewSet.as_view({"get": "count"}), name="opportunity-count"),
    *router.urls,
]
