"""``{% when value %}``: a time as people read it ("2 h ago"), with the exact time and its zone on hover.

Times are shown in the active time zone: the user's own (profile), else the server's (``PSA_TIME_ZONE``).
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

register = template.Library()

RELATIVE_LIMIT = datetime.timedelta(days=7)


def relative(value: datetime.datetime, now: datetime.datetime) -> str:
    delta = now - value
    future = delta.total_seconds() < 0
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = int(seconds // size)
            return f"in {amount} {unit}" if future else f"{amount} {unit} ago"
    return "just now"


def exact(value: datetime.datetime) -> str:
    local = timezone.localtime(value)
    return f"{date_format(local, 'Y-m-d H:i')} {local.tzname()}"


@register.simple_tag
def when(value) -> str:
    if not isinstance(value, datetime.datetime):
        return "—"
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    now = timezone.now()
    shown = relative(value, now) if abs(now - value) < RELATIVE_LIMIT else exact(value)
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact(value), shown)
