from rest_framework.routers import SimpleRouter

from tickets.api import entity_tags
from tickets.api.views import BoardViewSet, CategoryViewSet, PriorityViewSet, StatusViewSet, TagViewSet, TicketViewSet

router = SimpleRouter(trailing_slash=False)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("boards", BoardViewSet, basename="board")
router.register("statuses", StatusViewSet, basename="status")
router.register("priorities", PriorityViewSet, basename="priority")
router.register("categories", CategoryViewSet, basename="category")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = [*entity_tags.urlpatterns, *router.urls]
