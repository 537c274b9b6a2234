"""Django admin: shared mixins (audited writes, read-only models) and the audit log and job runs, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from psa import audit
from psa.models import AuditEvent, JobRun


class AuditedAdminMixin:
    """Records every add, change and delete made in the Django admin in the audit log, like the UI and the API."""

    # Django 6 makes https the default scheme for schemeless URLs; opt in now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        previous = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        obj._audit_before = audit.snapshot(previous) if previous is not None else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        changes = audit.diff(getattr(obj, "_audit_before", {}), audit.snapshot(obj))
        if changes or not change:
            audit.record(request, "update" if change else "create", obj, changes=changes)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self._record_delete(request, obj)
            obj.delete()
        for obj in instances:
            previous = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = audit.snapshot(previous) if previous is not None else {}
            obj.save()
            changes = audit.diff(before, audit.snapshot(obj))
            if changes or previous is None:
                audit.record(request, "update" if previous is not None else "create", obj, changes=changes)
        formset.save_m2m()

    def delete_model(self, request, obj):
        self._record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record_delete(request, obj)
        super().delete_queryset(request, queryset)

    @staticmethod
    def _record_delete(request, obj) -> None:
        audit.record(
            request,
            "delete",
            obj,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            changes=audit.diff(audit.snapshot(obj), {}),
        )


class ReadOnlyAdminMixin:
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_repr",
        "client",
        "outcome",
        "ip_address",
    )
    list_filter = ("action", "outcome", "object_type")
    search_fields = ("object_repr", "actor_name", "object_type", "object_id")
    list_select_related = ("client",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_name",
        "api_key",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "client",
        "changes",
        "ip_address",
        "outcome",
    )
    readonly_fields = fields


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("task_name", "status", "queued_at", "started_at", "finished_at", "duration_ms", "hostname")
    list_filter = ("status", "task_name")
    search_fields = ("task_name", "task_id", "hostname")
    date_hierarchy = "queued_at"
    fields = (
        "task_id",
        "task_name",
        "status",
        "queued_at",
        "started_at",
        "finished_at",
        "duration_ms",
        "hostname",
        "result",
        "error",
    )
    readonly_fields = fields
