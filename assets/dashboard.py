"""The assets app's dashboard part: what expires in the next weeks (domains, certificates, licences, warranties)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assets import expirations
from assets.models import ExpiringItem
from psa.access import has_node, restrict
from psa.dashboard import dashboard_panel
from psa.models import JobRun

EXPIRATIONS_SHOWN = 10
EXPIRATIONS_LIVE_DAYS = 30
EXPIRATION_TASK = "assets.tasks.record_expirations"
# kind -> (label, client tab of the object); warranties open the asset page
EXPIRATION_KINDS = {
    "domain": ("Domain", "domains"),
    "certificate": ("Certificate", "certificates"),
    "licence": ("Licence", "software"),
    "warranty": ("Warranty", None),
}


def _expiration_url(request, row: dict) -> str | None:
    tab = EXPIRATION_KINDS[row["kind"]][1]
    if tab is None:
        return reverse("assets:asset_detail", args=[row["object_id"]])
    if not has_node(request, "client.read"):
        return None
    return reverse("clients:doc_detail", args=[row["client_id"], tab, row["object_id"]])


@dashboard_panel("expirations", title="Expiring soon", order=40, template="assets/_dashboard_expirations.html")
def expirations_widget(request) -> dict | None:
    """What expires next, from the daily task's ``ExpiringItem`` table (or computed live while it is empty).

    Only the kinds the caller may read (domain.read, certificate.read, software.read, asset.read), within their client
    scope; ``None`` when they may read none of them.
    """
    kinds = [kind for kind, (_model, _field, node) in expirations.SOURCES.items() if has_node(request, node)]
    if not kinds:
        return None
    today = timezone.localdate()
    if ExpiringItem.objects.exists():
        queryset = restrict(ExpiringItem.objects.filter(kind__in=kinds).select_related("client"), request)
        total = queryset.count()
        rows = [
            {
                "kind": item.kind,
                "object_id": item.object_id,
                "name": item.name,
                "client_id": item.client_id,
                "client_name": item.client.name,
                "expires_on": item.expires_on,
                "days_left": (item.expires_on - today).days,
            }
            for item in queryset[:EXPIRATIONS_SHOWN]
        ]
        # When the table was last rebuilt: the task's last successful run, else the rows' own time.
        run = JobRun.objects.filter(task_name=EXPIRATION_TASK, status=JobRun.Status.SUCCEEDED).first()
        recorded_at = run.finished_at if run is not None and run.finished_at else None
        recorded_at = recorded_at or ExpiringItem.objects.latest("created_at").created_at
        live, within_days = False, settings.EXPIRATION_WINDOW_DAYS
    else:
        queryset = expirations.expiring_queryset(EXPIRATIONS_LIVE_DAYS, lambda qs: restrict(qs, request), kinds, today)
        total = queryset.count()
        rows = [expirations.as_row(raw, today) for raw in queryset[:EXPIRATIONS_SHOWN]]
        recorded_at, live, within_days = None, True, EXPIRATIONS_LIVE_DAYS
    for row in rows:
        row["label"] = EXPIRATION_KINDS[row["kind"]][0]
        row["url"] = _expiration_url(request, row)
        row["days_ago"] = -row["days_left"]
    return {"rows": rows, "total": total, "recorded_at": recorded_at, "live": live, "within_days": within_days}
