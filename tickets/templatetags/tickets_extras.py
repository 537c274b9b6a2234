"""Template helpers for the ticket pages."""

from django import template
from django.utils.safestring import mark_safe

from tickets import markdown as _markdown

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered to HTML that nh3 has sanitised, so it is safe to mark as such."""
    return mark_safe(_markdown.render(text or ""))


@register.filter
def description_html(ticket) -> str:
    """A ticket's description as HTML, rendered and sanitised when it was saved."""
    return mark_safe(ticket.rendered_description)


@register.filter
def comment_html(comment) -> str:
    """A comment's HTML, rendered and sanitised when it was saved."""
    return mark_safe(comment.html)


@register.filter
def reaction_groups(comment, user) -> list[dict]:
    groups: dict[str, dict] = {}
    for reaction in comment.reactions.all():
        group = groups.setdefault(reaction.emoji, {"emoji": reaction.emoji, "count": 0, "mine": False})
        group["count"] += 1
        group["mine"] = group["mine"] or reaction.user_id == getattr(user, "pk", None)
    return list(groups.values())
