"""``manage.py search_index``: rebuild the search index (psa.search), all of it or some types.

Saves and deletes keep the index in step; rebuild after writes that bypass them (bulk imports, ``queryset.update``,
restoring a backup taken without the index) and after changing what a type indexes.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from psa.search import index, registered


class Command(BaseCommand):
    help = "Rebuild the search index (every searchable type, or those named)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("types", nargs="*", help="types to rebuild, e.g. ticket asset (default: all)")

    def handle(self, *args, types: list[str], **options) -> None:
        known = {s.kind for s in registered()}
        unknown = sorted(set(types) - known)
        if unknown:
            raise CommandError(f"Unknown type(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        for searchable in registered():
            if types and searchable.kind not in types:
                continue
            started = time.perf_counter()
            count = index.rebuild(searchable)
            self.stdout.write(f"{searchable.kind}: {count} indexed in {time.perf_counter() - started:.1f} s")
