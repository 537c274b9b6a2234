"""An asset's Hudu custom fields (``GET /assets/{asset_id}/hudu``), gated like every other field: the values need
``obj.hudu_asset.fields``; the asset page reads them through the same gate.
"""

from __future__ import annotations

from integrations.hudu.models import HuduAssetFields
from psa.api.serializers import GatedModelSerializer


class HuduAssetFieldsSerializer(GatedModelSerializer):
    gating_scope = "hudu_asset"
    gating_label = "Hudu asset"

    class Meta:
        model = HuduAssetFields
        fields = ["asset_id", "hudu_id", "layout_name", "url", "fields", "updated_at"]
        read_only_fields = fields
