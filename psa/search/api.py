"""``GET /api/v1/search``: everything the caller may read, from the one index, grouped by type."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError

from psa.api.exceptions import EnvelopedResponse
from psa.api.pagination import _positive_int
from psa.api.viewsets import PsaAPIView
from psa.search import get, lookup
from psa.search import text as t

MAX_QUERY = 200


class SearchResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The object's id")
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML-escaped text around the first match, matches in <mark>")
    url = serializers.CharField(help_text="The object's page in the technician UI")
    client_id = serializers.UUIDField(allow_null=True)
    is_active = serializers.BooleanField(help_text="False for closed tickets and archived objects")
    match = serializers.ChoiceField(choices=["identifier", "words"])
    rank = serializers.FloatField(help_text="Ranks the returned page only")


class SearchGroupSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    results = SearchResultSerializer(many=True)
    has_more = serializers.BooleanField(help_text="A next page of this type exists")


class SearchView(PsaAPIView):
    """Tickets, clients, contacts, assets, credentials, locations, networks, domains, certificates, software and
    vendors in one search. Words must all match (``"a phrase"``, ``or``, ``-word`` as in web search engines); a
    query of one token with a digit is also read as an identifier (ticket number, serial, MAC address in any
    notation, IP) and matched on substrings, exact first. Each type lists identifier matches first, then the newest
    word matches; the returned page alone is ranked. Only types the caller may read, within its client scope, and
    only fields it may see, are searched. Secrets are never indexed."""

    # Each type needs its own read nodes: a caller finds only the types it may read (none: an empty result), and
    # asking for one by name (type=) without its nodes is a 403.
    action_nodes = {"GET": []}

    @extend_schema(
        summary="Search everything",
        parameters=[
            OpenApiParameter(
                # At least one word or number (psa.search.text), at most MAX_QUERY characters.
                "q",
                {"type": "string", "pattern": r"[^\W_]", "maxLength": MAX_QUERY},
                required=True,
                description="What to find",
            ),
            OpenApiParameter("type", OpenApiTypes.STR, description="Only this type (e.g. ticket), to page through"),
            OpenApiParameter(
                "page",
                {"type": "integer", "minimum": 1, "maximum": settings.SEARCH_MAX_PAGE},
                description="Page of each type, from 1 (at most PSA_SEARCH_MAX_PAGE)",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": settings.SEARCH_MAX_LIMIT},
                description="Results per type (at most PSA_SEARCH_MAX_LIMIT)",
            ),
        ],
        responses=SearchGroupSerializer(many=True),
    )
    def get(self, request):
        readable = lookup.readable(request)
        raw = " ".join(request.query_params.get("q", "").split())
        if len(raw) > MAX_QUERY:
            raise ValidationError({"q": [f"At most {MAX_QUERY} characters."]})
        query = t.parse(raw)
        if not (query.has_words or query.identifier):
            raise ValidationError({"q": ["Give at least one word or number to search for."]})
        kinds = readable
        kind = request.query_params.get("type")
        if kind is not None:
            searchable = get(kind)
            if searchable is None:
                known = ", ".join(s.kind for s in readable)
                raise ValidationError({"type": [f"Unknown type '{kind}'. Known: {known}."]})
            if searchable not in readable:
                raise PermissionDenied(f"Missing permission: {', '.join(searchable.nodes)}.")
            kinds = [searchable]
        page = _positive_int(request, "page", 1, settings.SEARCH_MAX_PAGE)
        limit = _positive_int(request, "limit", settings.SEARCH_PER_GROUP, settings.SEARCH_MAX_LIMIT)
        pages = lookup.search_all(request, query, kinds=kinds, page=page, limit=limit)
        data = [
            {
                "type": p.searchable.kind,
                "label": p.searchable.label,
                "results": [
                    {
                        "id": hit.entry.object_id,
                        "title": hit.entry.title,
                        "snippet": hit.snippet,
                        "url": hit.url,
                        "client_id": hit.entry.client_id,
                        "is_active": hit.entry.is_active,
                        "match": "identifier" if hit.tier < 2 else "words",
                        "rank": hit.score,
                    }
                    for hit in p.hits
                ],
                "has_more": p.has_next,
            }
            for p in pages
            if p.hits or kind is not None  # types with nothing found are left out, unless asked for by name
        ]
        meta = {"query": raw, "page": page, "limit": limit, "types": [s.kind for s in kinds]}
        return EnvelopedResponse({"data": SearchGroupSerializer(data, many=True).data, "meta": meta})
