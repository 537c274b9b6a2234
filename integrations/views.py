"""The Integrations page: sources (add, test, sync now) and their runs with counts and errors."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from integrations import locks, registry
from integrations import secrets as source_secrets
from integrations.api.serializers import SourceSerializer
from integrations.forms import SourceForm
from integrations.http import IntegrationError, RetryPolicy
from integrations.models import Source, SyncRun
from integrations.sync import build_client
from psa import audit, writes
from psa.access import has_node
from psa.views import deny_unless, paginate, require_nodes

RUNS_SHOWN = 25


def _latest_runs(sources) -> dict:
    """source id -> {job: latest run}, in one query per page of sources."""
    latest: dict = {}
    runs = SyncRun.objects.filter(source__in=sources).order_by("source_id", "job", "-started_at")
    for run in runs.only("id", "source_id", "job", "status", "failed", "started_at", "message"):
        latest.setdefault(run.source_id, {}).setdefault(run.job, run)
    return latest


@require_http_methods(["GET", "POST"])
@require_nodes("integration.source.read")
def source_list(request):
    can_create = has_node(request, "integration.source.create")
    form = SourceForm(request.POST if request.method == "POST" and can_create else None)
    status = 200
    if request.method == "POST":
        deny_unless(request, "integration.source.create")
        if form.is_valid():
            body = form.api_body()
            serializer = SourceSerializer(data=body, context={"request": request})
            if serializer.is_valid():
                secret_values = serializer.validated_data.pop("secrets", {})
                with transaction.atomic():
                    source = writes.create(request, serializer)
                    source_secrets.store(source, secret_values, request)
                messages.success(request, f"Added {source.name}; its secrets are in the vault. Test it, then sync.")
                return redirect("integrations:source_detail", pk=source.pk)
            form.add_api_errors(serializer.errors, body["kind"])
        status = 400
    sources = list(Source.objects.order_by("name", "id"))
    latest = _latest_runs(sources)
    rows = [{"source": s, "runs": latest.get(s.pk, {}), "failing": _failing(latest.get(s.pk, {}))} for s in sources]
    context = {"section": "integrations", "rows": rows, "form": form, "can_create": can_create,
               "kinds": registry.kinds()}  # fmt: skip
    return render(request, "integrations/source_list.html", context, status=status)


def _failing(runs: dict) -> list:
    return [run for run in runs.values() if run.status in (SyncRun.Status.FAILED, SyncRun.Status.PARTIAL)]


@require_nodes("integration.source.read")
def source_detail(request, pk):
    source = get_object_or_404(Source, pk=pk)
    kind = registry.get(source.kind)
    runs = SyncRun.objects.filter(source=source).select_related("started_by") if has_node(
        request, "integration.sync_run.read"
    ) else SyncRun.objects.none()  # fmt: skip
    context = {
        "section": "integrations",
        "source": source,
        "kind": kind,
        "secrets_set": source_secrets.names_set(source),
        "jobs": [
            {"job": job, "interval": kind.interval(source, job), "running": locks.held(source.pk, job.name)}
            for job in kind.jobs
        ]
        if kind
        else [],
        "page": paginate(request, runs, RUNS_SHOWN),
        "checks": request.session.pop(f"integration-test-{source.pk}", None),
        "can_test": has_node(request, "integration.source.test"),
        "can_sync": has_node(request, "integration.source.sync"),
    }
    return render(request, "integrations/source_detail.html", context)


@require_POST
@require_nodes("integration.source.test")
def source_test(request, pk):
    source = get_object_or_404(Source, pk=pk)
    kind = registry.get(source.kind)
    try:
        client = build_client(source, retry=RetryPolicy(attempts=1))
    except IntegrationError as exc:
        checks = [registry.Check("credentials", False, exc.message)]
    else:
        with client:
            checks = kind.test(client)
    request.session[f"integration-test-{source.pk}"] = [check.__dict__ for check in checks]
    return redirect("integrations:source_detail", pk=source.pk)


@require_POST
@require_nodes("integration.source.sync")
def source_sync(request, pk):
    from integrations.tasks import sync_source

    source = get_object_or_404(Source, pk=pk)
    kind = registry.get(source.kind)
    jobs = [job.name for job in kind.jobs] if kind else []
    if any(locks.held(source.pk, job) for job in jobs):
        messages.error(request, "A sync of this source is running; wait for it to finish.")
        return redirect("integrations:source_detail", pk=source.pk)
    with transaction.atomic():
        audit.record(request, "sync", source, changes={"jobs": {"old": None, "new": jobs}})
    sync_source.delay(str(source.pk), jobs, SyncRun.Trigger.MANUAL, str(request.user.pk))
    messages.success(request, "Sync queued. Runs appear below as the worker takes them; reload to follow.")
    return redirect("integrations:source_detail", pk=source.pk)
