"""``{% sync_origin obj %}``: on the page of a row a sync mirrors, say where it comes from and link to it there."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.hooks import sync_origin as find_origin
from psa.ui_gate import unwrap

register = template.Library()


@register.inclusion_tag("integrations/_sync_origin.html")
def sync_origin(instance: Any) -> dict:
    return {"origin": find_origin(unwrap(instance))}  # a gated proxy on the page; the lookup needs the row
