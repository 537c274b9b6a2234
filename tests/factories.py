"""Small helpers that build the objects tests need. Plain functions; no factory library."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Role, User
from clients.models import Client, Contact

_seq = itertools.count(1)


def make_client(name: str | None = None, **fields) -> Client:
    n = next(_seq)
    return Client.objects.create(name=name or f"Client {n}", **fields)


def make_contact(client: Client, **fields) -> Contact:
    n = next(_seq)
    fields.setdefault("first_name", f"First{n}")
    fields.setdefault("last_name", f"Last{n}")
    return Contact.objects.create(client=client, **fields)


def make_role(nodes: list[str], moniker: str | None = None) -> Role:
    n = next(_seq)
    return Role.objects.create(title=f"Role {n}", moniker=moniker or f"role-{n}", permissions=nodes)


def make_user(nodes: list[str] | None = None, clients: list[Client] = (), login: str | None = None, **fields) -> User:
    """A user holding exactly ``nodes`` (as direct nodes) and limited to ``clients`` (empty: all)."""
    n = next(_seq)
    user = User.objects.create_user(login=login or f"user{n}", email=f"user{n}@example.com", password=None, **fields)
    user.permissions = list(nodes or [])
    user.save(update_fields=["permissions"])
    if clients:
        user.allowed_clients.set(clients)
    return user


def make_key(user: User, clients: list[Client] = (), expires_in: timedelta = timedelta(days=30), **fields):
    """Issue a key; returns ``(key, plaintext)``."""
    return ApiKey.issue(
        user, fields.pop("description", "test key"), timezone.now() + expires_in, clients=clients, **fields
    )


def api_client(plaintext: str | None = None) -> APIClient:
    client = APIClient()
    if plaintext:
        client.credentials(HTTP_X_API_KEY=plaintext)
    return client


def api_for(nodes: list[str] | None = None, clients: list[Client] = (), key_clients: list[Client] = ()):
    """An API client authenticated as a new user holding ``nodes``; returns ``(client, user, key)``."""
    user = make_user(nodes, clients)
    key, plaintext = make_key(user, key_clients)
    return api_client(plaintext), user, key
