"""The integrations' shared tables: sources, sync runs, the external-record mirror and the per-job lock."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from psa.models import BaseModel


class Source(BaseModel):
    """One configured external system (a ConnectWise Manage tenant, a Hudu instance...).

    ``settings`` holds only non-secret values (company id, codebase); the keys and passwords are a vault credential
    of the kind's built-in credential type (``credential``). ``intervals`` overrides the kind's default seconds
    between scheduled runs, per job; ``dispatched_at`` remembers when the dispatcher last queued each job.
    """

    kind = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=100, unique=True)
    base_url = models.CharField(max_length=500)
    settings = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    intervals = models.JSONField(default=dict, blank=True)
    is_demo = models.BooleanField(default=False)
    credential = models.OneToOneField(
        "credentials.Credential", null=True, blank=True, on_delete=models.SET_NULL, related_name="integration_source"
    )
    dispatched_at = models.JSONField(default=dict, blank=True, editable=False)

    audit_exclude = frozenset({"dispatched_at"})

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class SyncRun(models.Model):
    """One run of one job of one source, as users see it: counts, the first errors, the cursor it moved."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial"
        FAILED = "failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        MANUAL = "manual"
        DEMO = "demo"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    job = models.CharField(max_length=64)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors: [{external_id, message}]")
    message = models.TextField(blank=True, help_text="Why the whole run failed, if it did.")
    cursor_before = models.CharField(max_length=64, blank=True)
    cursor_after = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=["source", "job", "-started_at"], name="syncrun_source_job_started")]

    def __str__(self) -> str:
        return f"{self.source} {self.job} {self.status}"


class ExternalRecord(models.Model):
    """The mirror of one record of one source: its raw payload beside the local row it maps to.

    ``payload_hash`` lets a sync skip records that did not change (an unchanged record writes nothing);
    ``deleted_at`` is set when the id-only scan no longer finds the record upstream.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of their own on the two keys: each leads an index below (external_record_unique_id, external_record_local),
    # which serves their lookups and cascades; two more B-trees per mirrored row were a share of a first sync's writes.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="records", db_index=False)
    kind = models.CharField(max_length=32)
    external_id = models.CharField(max_length=64)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.CharField(max_length=64, blank=True)
    local_object = GenericForeignKey("content_type", "object_id")
    payload = models.JSONField(default=dict)
    payload_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("source", "kind", "external_id")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "external_id"], name="external_record_unique_id")
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="external_record_local")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.external_id}"


class SyncLock(models.Model):
    """Held while a job of a source runs: one row per (source, job), taken by insert, stolen only once expired."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    job = models.CharField(max_length=64)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "job"], name="sync_lock_unique_job")]

    def __str__(self) -> str:
        return f"lock {self.source_id} {self.job}"
