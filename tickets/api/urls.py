from rest_framework.routers import SimpleRouter

from tickets.api import entity_tags
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

urlpatterns = [*entity_tags.urlpatterns, *router.urls]

# Time entries, the timer and materials (tickets/api/time_entries.py, tickets/api/materials.py).
from django.urls import path  # noqa: E402

from tickets.api.materials import TicketMaterialViewSet  # noqa: E402
from tickets.api.time_entries import TicketTimeEntriesView, TimeEntryViewSet  # noqa: E402

time_router = SimpleRouter(trailing_slash=False)
time_router.register("time-entries", TimeEntryViewSet, basename="timeentry")
time_router.register(
    r"tickets/(?P<ticket_id>[0-9a-fA-F-]{32,36})/materials", TicketMaterialViewSet, basename="ticket-material"
)
urlpatterns += [
    path("tickets/<uuid:ticket_id>/time-entries", TicketTimeEntriesView.as_view(), name="ticket-time-entries"),
    *time_router.urls,
]
