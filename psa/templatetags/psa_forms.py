"""Template helpers for forms shared by every app's pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def error_count(form) -> int:
    """How many messages the error summary lists: every field message plus the form's own, not fields with errors."""
    if form is None or not getattr(form, "errors", None):
        return 0
    return sum(len(messages) for messages in form.errors.values())
