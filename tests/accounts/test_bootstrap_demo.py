"""``manage.py bootstrap_demo``: a small, believable MSP on an empty database, deterministic, never on a used one."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client as BrowserClient
from django.utils import timezone

from accounts.models import User
from assets.models import Asset, AssetInterface, Certificate, Domain, Network, Software
from clients.models import Client, Contact, Location
from credentials import services as vault
from credentials.models import Credential
from psa.demo import build_demo
from psa.models import AuditEvent
from tickets.models import Board, Comment, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap_demo", stdout=out)
    return out.getvalue()


def test_an_empty_database_gets_a_populated_msp():
    output = _bootstrap()
    assert "Demo data:       created" in output
    assert Client.objects.count() == 7
    assert Contact.objects.count() >= 13
    assert Location.objects.count() >= 6
    assert Asset.objects.count() >= 40 and AssetInterface.objects.count() > Asset.objects.count()
    assert Network.objects.exists() and Domain.objects.exists() and Software.objects.exists()
    soon = timezone.localdate() + timedelta(days=30)
    assert Certificate.objects.filter(expires_on__lte=soon).exists()
    assert Domain.objects.filter(expires_on__lte=soon).exists()
    assert Ticket.objects.count() >= 30
    assert Board.objects.count() >= 2
    assert Ticket.objects.filter(is_closed=True).exists() and Ticket.objects.filter(assigned_to__isnull=True).exists()
    assert Ticket.objects.values("assigned_to").distinct().count() >= 3
    assert Ticket.objects.filter(tags__isnull=False).exists()
    assert Comment.objects.filter(is_internal=True).exists() and Comment.objects.filter(is_internal=False).exists()
    assert User.objects.filter(login="dana", roles__moniker="technician").exists()
    assert not User.objects.get(login="dana").has_usable_password()
    # History and audit name the technician who acted, as in real use.
    assert AuditEvent.objects.filter(actor__login="dana", object_type="tickets.ticket").exists()


def test_demo_credentials_are_encrypted_and_one_has_a_totp_secret():
    _bootstrap()
    assert Credential.objects.filter(type__name="Wi-Fi").exists()
    m365 = Credential.objects.filter(type__name="Microsoft 365 / Entra admin").first()
    assert "password" not in m365.values and m365.secure_values.filter(field_id="password").exists()
    assert vault.decrypt_fields(m365, ["password"])["password"]
    assert vault.totp_code(m365, "totp") is not None


def test_it_is_deterministic():
    def fingerprint():
        return (
            sorted(Asset.objects.values_list("serial", flat=True)),
            sorted(Ticket.objects.values_list("title", "client__name", "priority__name", "assigned_to__login")),
        )

    with transaction.atomic():
        build_demo()
        first = fingerprint()
        transaction.set_rollback(True)
    build_demo()
    assert fingerprint() == first


def test_a_database_in_use_is_never_touched():
    Client.objects.create(name="Real customer")
    output = _bootstrap()
    assert "kept (1 clients already present, none added)" in output
    assert Client.objects.count() == 1 and not Ticket.objects.exists() and not Asset.objects.exists()
    assert "kept" in _bootstrap()  # and re-running stays safe


def test_every_main_page_has_something_real_to_show():
    _bootstrap()
    browser = BrowserClient()
    browser.force_login(User.objects.get(login="admin"))
    ticket = Ticket.objects.filter(comments__isnull=False).first()
    client = Client.objects.get(identifier="ACME")
    dashboard = browser.get("/").context
    assert dashboard["panel_data"]["my_tickets"]["total"] > 0  # the admin's own day is not empty
    assert dashboard["panel_data"]["expirations"]["rows"]
    assert len(dashboard["recent_events"]) > 5
    pages = {
        "/": "Expiring soon",
        "/clients/": "Bluebird Dental Group",
        f"/clients/{client.pk}/": "Acme Manufacturing",
        "/assets/": "ACME-FW01",
        "/tickets/": "Printer offline in reception",
        f"/tickets/{ticket.pk}/": ticket.title,
        f"/credentials/clients/{client.pk}/": "Microsoft 365 global admin",
    }
    for url, text in pages.items():
        response = browser.get(url, follow=True)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
