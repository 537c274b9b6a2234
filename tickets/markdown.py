"""Markdown to safe HTML for descriptions and comments: Python-Markdown renders, nh3 (ammonia) sanitises."""

from __future__ import annotations

import markdown as _markdown
import nh3

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


def render(text: str) -> str:
    """Safe HTML for ``text``: raw HTML in the source is escaped or removed, links get rel=noopener."""
    if not text:
        return ""
    html = _markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
