from django.urls import path

from integrations.hudu.api.views import HuduAssetFieldsViewSet, HuduStatusView

urlpatterns = [
    path("integrations/hudu", HuduStatusView.as_view(), name="integration-hudu-status"),
    path(
        "assets/<uuid:asset_id>/hudu",
        HuduAssetFieldsViewSet.as_view({"get": "retrieve"}),
        name="asset-hudu-fields",
    ),
]
