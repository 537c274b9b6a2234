"""The Hudu part of the route harness: the status route reads the MSP's Hudu source (no client scope applies); each
client's harness asset has Hudu custom fields for ``GET /assets/{asset_id}/hudu``."""

from django.utils import timezone

from assets.models import Asset
from integrations.hudu.models import HuduAssetFields
from tests.hudu.conftest import make_hudu_source

CLOSED_PORT_URL = "http://127.0.0.1:9"


def _fields(source, asset, hudu_id: int) -> HuduAssetFields:
    return HuduAssetFields.objects.create(
        asset=asset, source=source, hudu_id=hudu_id, layout_name="Computer", updated_at=timezone.now(),
        fields=[{"label": "RAM (GB)", "value": 16, "field_type": "number"}],
    )  # fmt: skip


def build(world) -> None:
    source = make_hudu_source(CLOSED_PORT_URL, name="Harness Hudu")
    asset_a, asset_b = world.objects[Asset], world.hidden[Asset]
    world.add(HuduAssetFields, _fields(source, asset_a, 1), _fields(source, asset_b, 2))
