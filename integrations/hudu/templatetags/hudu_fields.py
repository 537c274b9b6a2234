"""``{% hudu_custom_fields asset %}``: on an asset's page, the custom fields its Hudu asset layout gives it.

Gated like every other field: the values need ``obj.hudu_asset.fields``, the layout's name (which no field node
shows) ``obj.hudu_asset.*``; values of the layout's password fields were never kept and show as withheld.
"""

from __future__ import annotations

import json
from typing import Any

from django import template

from integrations.hudu.models import HuduAssetFields
from psa.gating import attribute_visible
from psa.ui_gate import unwrap

register = template.Library()


def display(entry: dict) -> str:
    if entry.get("withheld"):
        return "Withheld (a password: kept in Hudu, not here)"
    value = entry.get("value")
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:2000]
    return str(value)[:2000]


@register.inclusion_tag("hudu/_asset_fields.html", takes_context=True)
def hudu_custom_fields(context: Any, asset: Any) -> dict:
    request = context.get("request")
    row = HuduAssetFields.objects.filter(asset_id=unwrap(asset).pk).first()
    if row is None:
        return {"shown": False}
    shows_values = attribute_visible(request, HuduAssetFields, "fields")
    rows = [(str(e.get("label") or ""), display(e)) for e in row.fields if isinstance(e, dict)] if shows_values else []
    return {
        "shown": True,
        "layout": row.layout_name if attribute_visible(request, HuduAssetFields, "layout_name") else "",
        "shows_values": shows_values,
        "rows": rows,
    }
