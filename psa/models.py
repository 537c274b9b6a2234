"""Shared model machinery (base classes) and the framework's own tables: the audit log and job runs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class BaseModel(models.Model):
    """UUID primary key and timestamps for every table the API exposes.

    ``scope_path`` is the lookup from the model to its client's id, used for client scoping; ``None`` means
    the model is not client-owned. ``audit_exclude`` names fields never copied into the audit log.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path: str | None = None
    audit_exclude: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        """Adds the text limits of ``psa.bounds`` to each field's own checks (model forms show them on the field)."""
        from psa.bounds import length_errors

        errors: dict[str, list] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, messages in length_errors(self, set(exclude or ())).items():
            errors.setdefault(name, messages)
        if errors:
            raise ValidationError(errors)


class AuditEvent(models.Model):
    """One write or secret reveal: who did what to which object, from where. Never holds secret values."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=255, blank=True)
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=32, default="success")

    scope_path = "client"

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class JobRun(models.Model):
    """The user-facing record of one background task run, filled in by Celery signals."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("-queued_at", "-id")

    def __str__(self) -> str:
        return f"{self.task_name} {self.status}"


class RateLimitCounter(models.Model):
    """The hits of one rate-limit bucket in its current window (``psa.ratelimit``, when there is no Redis)."""

    bucket = models.CharField(max_length=200, primary_key=True)
    window_end = models.BigIntegerField(db_index=True)  # epoch seconds
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"


class SearchEntry(models.Model):
    """One searchable object in the search index (``psa.search``), written on every save of the object.

    ``words_a`` to ``words_d`` are its words by weight group, as FTS5 indexes them on SQLite; on PostgreSQL a
    ``document`` tsvector column (weighted A to D, under GIN) and a trigram index on ``identifiers`` are added by the
    migration. Rows are listed newest first by ``id``: the order objects entered the index.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=40)
    object_id = models.UUIDField()
    client_id = models.UUIDField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    title = models.CharField(max_length=300)
    identifiers = models.TextField(blank=True)
    words_a = models.TextField(blank=True)
    words_b = models.TextField(blank=True)
    words_c = models.TextField(blank=True)
    words_d = models.TextField(blank=True)
    texts = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_object")]
        indexes = [
            models.Index(fields=["kind", "id"], name="search_entry_kind_order"),
            models.Index(fields=["kind", "client_id", "id"], name="search_entry_kind_client"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.title}"
