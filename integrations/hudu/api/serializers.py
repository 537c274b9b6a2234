"""The gate over an asset's Hudu custom fields: ``obj.hudu_asset.fields`` for the values (``obj.hudu_asset.*`` for
them and what no field shows, such as the layout's name).

No route serves it yet; declaring it registers the nodes, and the asset page reads the fields through the gate.
"""

from __future__ import annotations

from integrations.hudu.models import HuduAssetFields
from psa.api.serializers import GatedModelSerializer


class HuduAssetFieldsSerializer(GatedModelSerializer):
    gating_scope = "hudu_asset"
    gating_label = "Hudu asset"

    class Meta:
        model = HuduAssetFields
        fields = ["fields", "updated_at"]
        read_only_fields = fields
