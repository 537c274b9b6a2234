"""Sources (secrets write-only, kept in the vault) and sync runs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from integrations import registry
from integrations.models import Source, SyncRun
from psa.api.serializers import GatedModelSerializer, PassiveSerializer


class SecretsField(serializers.DictField):
    """``{name: value}`` of the kind's secret fields; ``null`` clears one. Write-only: never in a response."""

    child = serializers.CharField(max_length=2000, allow_null=True, allow_blank=False, trim_whitespace=True)


class SourceSerializer(GatedModelSerializer):
    secrets = SecretsField(write_only=True, required=False)
    secrets_set = serializers.SerializerMethodField(help_text="Names of the secrets stored in the vault.")
    jobs = serializers.SerializerMethodField(help_text="The kind's jobs with their effective intervals (seconds).")

    class Meta:
        model = Source
        fields = ["id", "kind", "name", "base_url", "settings", "enabled", "intervals", "is_demo", "secrets",
                  "secrets_set", "jobs", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["is_demo", "created_at", "updated_at"]
        validators = []  # the name's uniqueness is checked in validate_name, with a message naming the field

    def get_secrets_set(self, obj: Source) -> list[str]:
        if obj.credential is None:  # the viewset prefetches credential__secure_values (field ids only)
            return []
        return sorted(value.field_id for value in obj.credential.secure_values.all())

    def get_jobs(self, obj: Source) -> list[dict[str, Any]]:
        kind = registry.get(obj.kind)
        if kind is None:
            return []
        return [{"name": j.name, "label": j.label, "interval": kind.interval(obj, j)} for j in kind.jobs]

    def _kind(self, attrs: dict) -> registry.Kind:
        key = attrs.get("kind", getattr(self.instance, "kind", None))
        kind = registry.get(key) if key else None
        if kind is None:
            choices = ", ".join(sorted(registry.kinds()))
            raise serializers.ValidationError({"kind": [f"Unknown kind. Use one of: {choices}."]})
        return kind

    def validate_name(self, value: str) -> str:
        value = value.strip()
        clash = Source.objects.filter(name__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another source already has this name.")
        return value

    def validate_base_url(self, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
            raise serializers.ValidationError(
                "Give an http(s) URL without credentials or query, e.g. https://api-na.myconnectwise.net."
            )
        return value.strip().rstrip("/")

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        kind = self._kind(attrs)
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind:
            raise serializers.ValidationError({"kind": ["The kind of a source cannot change; add a new source."]})
        errors: dict = {}
        for name, check in (("settings", self._settings), ("intervals", self._intervals), ("secrets", self._secrets)):
            present = name in attrs or (self.instance is None and name != "intervals")
            if not present:
                continue
            try:
                result = check(kind, attrs.get(name) if name in attrs else {})
            except serializers.ValidationError as exc:
                errors.update(exc.detail)
            else:
                if name != "secrets":
                    attrs[name] = result
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _settings(self, kind: registry.Kind, value: Any) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError({"settings": ["Expected an object."]})
        known = {f.name: f for f in kind.settings_fields}
        errors = {}
        for key, item in value.items():
            if key not in known:
                secret = " It is a secret: send it in secrets." if key in {f.name for f in kind.secret_fields} else ""
                errors[key] = [f"Unknown setting.{secret} Settings: {', '.join(known)}."]
            elif not isinstance(item, str) or len(item) > 200:
                errors[key] = ["Give text of at most 200 characters."]
        merged = {**(self.instance.settings if self.instance else {}), **value}
        for name, spec in known.items():
            if not merged.get(name):
                if spec.required:
                    errors.setdefault(name, ["This setting is required."])
                elif spec.default is not None:
                    merged[name] = spec.default
        for name, messages in kind.validate_settings(merged).items():
            errors.setdefault(name, messages)
        if errors:
            raise serializers.ValidationError({"settings": errors})
        return merged

    def _intervals(self, kind: registry.Kind, value: Any) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError({"intervals": ["Expected an object {job: seconds}."]})
        errors = {}
        for key, item in value.items():
            if kind.job(key) is None:
                errors[key] = [f"Unknown job. Jobs: {', '.join(j.name for j in kind.jobs)}."]
            elif not isinstance(item, int) or isinstance(item, bool) or not 60 <= item <= 7 * 24 * 3600:
                errors[key] = ["Seconds between runs, from 60 to 604800."]
        if errors:
            raise serializers.ValidationError({"intervals": errors})
        return value

    def _secrets(self, kind: registry.Kind, value: dict) -> None:
        known = {f.name: f for f in kind.secret_fields}
        errors = {}
        for key, item in value.items():
            if key not in known:
                errors[key] = [f"Unknown secret. Secrets: {', '.join(known)}."]
            elif item is None and self.instance is None and known[key].required:
                errors[key] = ["This secret is required."]
        if self.instance is None:
            for name, spec in known.items():
                if spec.required and name not in value:
                    errors[name] = ["This secret is required."]
        if errors:
            raise serializers.ValidationError({"secrets": errors})


class SyncRequestSerializer(PassiveSerializer):
    jobs = serializers.ListField(child=serializers.CharField(max_length=64), required=False, allow_empty=False,
                                 help_text="Jobs to run, in order; default: all of the kind's jobs.")  # fmt: skip


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class TestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checks = CheckSerializer(many=True)


class SyncQueuedSerializer(serializers.Serializer):
    source_id = serializers.UUIDField()
    jobs = serializers.ListField(child=serializers.CharField())
    task_id = serializers.CharField()


class SyncRunSerializer(GatedModelSerializer):
    source_id = serializers.UUIDField(read_only=True)
    started_by_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = SyncRun
        fields = ["id", "source_id", "job", "trigger", "started_by_id", "status", "created", "updated", "unchanged",
                  "deleted", "failed", "errors", "message", "cursor_before", "cursor_after", "started_at",
                  "finished_at", "duration_ms"]  # fmt: skip
