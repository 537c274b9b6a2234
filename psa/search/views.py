"""The top bar's search page: every kind the caller may read, grouped, from the one index (``psa.search``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from psa.search import lookup
from psa.search import text as t

MAX_QUERY = 200


@login_required
def search(request):
    raw = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    query = t.parse(raw)
    kinds = lookup.readable(request)
    pages = lookup.search_all(request, query, kinds=kinds) if (query.has_words or query.identifier) else []
    groups = [
        {
            "key": page.searchable.kind,
            "label": page.searchable.label,
            "items": [{"title": hit.entry.title, "snippet": hit.snippet, "url": hit.url} for hit in page.hits],
            "more": page.has_next,
        }
        for page in pages
        if page.hits
    ]
    context = {
        "section": "search",
        "search_query": raw,
        "groups": groups,
        "total": sum(len(group["items"]) for group in groups),
        "per_group": settings.SEARCH_PER_GROUP,
        "can_search": bool(kinds),
    }
    return render(request, "search.html", context)
