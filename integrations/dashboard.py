"""The dashboard's integrations panel: sources whose latest run of some job failed or was partial."""

from __future__ import annotations

from typing import Any

from psa.access import has_node
from psa.dashboard import dashboard_panel


@dashboard_panel("integrations_failing", title="Failing integrations", order=5,
                 template="integrations/_dashboard_panel.html")  # fmt: skip
def failing_sources_panel(request: Any) -> dict | None:
    """The failing sources; ``None`` (no panel) for callers who cannot read sources or when all is well."""
    if not has_node(request, "integration.source.read"):
        return None
    from integrations.models import Source
    from integrations.views import _failing, _latest_runs

    sources = list(Source.objects.filter(enabled=True).order_by("name", "id"))
    latest = _latest_runs(sources)
    failing = [{"source": s, "runs": _failing(latest.get(s.pk, {}))} for s in sources]
    failing = [row for row in failing if row["runs"]]
    return {"failing": failing, "total": len(sources)} if failing else None
