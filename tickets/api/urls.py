from rest_framework.routers import SimpleRouter

from tickets.api.asset_links import AssetTicketViewSet, FromAssetViewSet, TicketAssetViewSet
from tickets.api.bundles import TicketBundleViewSet
from tickets.api.documents import AssetDocumentViewSet, ClientDocumentViewSet, TicketDocumentViewSet
from tickets.api.views import BoardViewSet, CategoryViewSet, PriorityViewSet, StatusViewSet, TagViewSet, TicketViewSet

router = SimpleRouter(trailing_slash=False)
# Before the ticket routes, so /tickets/from-asset is never read as a ticket id.
router.register("tickets", FromAssetViewSet, basename="ticket-from-asset")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("boards", BoardViewSet, basename="board")
router.register("statuses", StatusViewSet, basename="status")
router.register("priorities", PriorityViewSet, basename="priority")
router.register("categories", CategoryViewSet, basename="category")
router.register("tags", TagViewSet, basename="tag")
router.register("tickets", TicketDocumentViewSet, basename="ticket-documents")
router.register("clients", ClientDocumentViewSet, basename="client-documents")
router.register("assets", AssetDocumentViewSet, basename="asset-documents")
router.register("tickets", TicketBundleViewSet, basename="ticket-bundle")
router.register("tickets", TicketAssetViewSet, basename="ticket-assets")
router.register("assets", AssetTicketViewSet, basename="asset-tickets")

urlpatterns = router.urls
