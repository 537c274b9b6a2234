"""Purge of deleted credentials after the retention period: data keys and ciphertexts go, audit rows stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from credentials.models import Credential, DataKey, SecureValue
from credentials.tasks import purge_deleted_credentials
from psa.models import AuditEvent
from tests.credentials.factories import VPN_FIELDS, make_credential, make_type, sub_input
from tests.factories import api_for

pytestmark = pytest.mark.django_db


def _age(credential, days):
    Credential.objects.filter(pk__in=[credential.pk, *credential.children.values_list("pk", flat=True)]).update(
        deleted_at=timezone.now() - timedelta(days=days)
    )


@override_settings(VAULT_PURGE_AFTER_DAYS=30)
def test_purge_removes_keys_ciphertexts_and_rows_after_retention_and_keeps_audit_rows(client_a):
    vpn = make_type(VPN_FIELDS)
    old = make_credential(
        client_a,
        vpn,
        values={"hostname": "h", "admin_password": "p"},
        subs={"tunnels": [sub_input("T", server="s", psk="k")]},
    )
    recent = make_credential(client_a, vpn, values={"hostname": "h2", "admin_password": "p2"})
    live = make_credential(client_a, vpn, values={"hostname": "h3", "admin_password": "p3"})
    api, _, _ = api_for(["credential.*"])
    for credential in (old, recent):
        assert api.delete(f"/api/v1/credentials/{credential.pk}").status_code == 204
    _age(old, 31)
    _age(recent, 29)
    tunnel_id = old.children.get().pk
    audit_before = AuditEvent.objects.count()

    result = purge_deleted_credentials()

    assert result == {"purged": 2, "remaining": 0}
    assert not Credential.objects.filter(pk__in=[old.pk, tunnel_id]).exists()
    assert not DataKey.objects.filter(credential_id__in=[old.pk, tunnel_id]).exists()
    assert not SecureValue.objects.filter(credential_id__in=[old.pk, tunnel_id]).exists()
    assert Credential.objects.filter(pk__in=[recent.pk, live.pk]).count() == 2  # within retention / not deleted
    assert DataKey.objects.filter(credential=recent).exists()
    # Earlier audit rows are all still there, plus one purge event.
    assert AuditEvent.objects.count() == audit_before + 1
    assert AuditEvent.objects.filter(object_id=str(old.pk), action="delete").exists()
    purge = AuditEvent.objects.get(action="purge")
    assert purge.object_id == str(old.pk) and purge.changes["credentials"] == 2 and purge.actor is None
    assert purge_deleted_credentials() == {"purged": 0, "remaining": 0}  # idempotent
    # A purged credential cannot be restored.
    assert api.post(f"/api/v1/credentials/{old.pk}/restore").status_code == 404


def test_purge_is_scheduled_daily_by_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["credentials-purge-deleted"]
    assert entry["task"] == purge_deleted_credentials.name == "credentials.tasks.purge_deleted_credentials"
    assert entry["schedule"] == 24 * 60 * 60 and entry["options"]["expires"] > 0
