"""The client and contact lists' values that their serializers' fields do not say how to read column by column.

Declared for the views' ``list_values`` (:mod:`psa.api.lean_rows`): without them these fields are read from a light
model instance per row (the residue), which costs more than every other field of the page together.
"""

from __future__ import annotations

from clients.models import contact_name
from psa.api.lean_rows import Page, Value


def _none(page: Page) -> list:
    """A field that is always null (AlgaPSA's ``logoUrl`` and ``avatarUrl``: PSA stores no pictures)."""
    return [None] * len(page.columns["id"])


def _archived(archived: bool) -> Value:
    """``is_active`` (not archived) or ``is_inactive`` (archived) of a client, from ``archived_at``."""
    return Value(("archived_at",), lambda page: [(v is not None) is archived for v in page.columns["archived_at"]])


def _contact_name(page: Page) -> list:
    """``str(contact)``."""
    return [contact_name(first, last) for first, last in zip(*_columns(page, "first_name", "last_name"), strict=True)]


def _default_phone(page: Page) -> list:
    """``ContactSerializer.get_default_phone_number``: the phone, else the mobile, else null."""
    return [phone or mobile or None for phone, mobile in zip(*_columns(page, "phone", "mobile"), strict=True)]


def _columns(page: Page, *names: str) -> list:
    return [page.columns[name] for name in names]


CLIENT_LIST_VALUES = {
    "is_active": _archived(False),
    "is_inactive": _archived(True),
    "logoUrl": Value(("id",), _none),
}
_NAME = Value(("first_name", "last_name"), _contact_name)
CONTACT_LIST_VALUES = {
    "name": _NAME,
    "full_name": _NAME,
    "default_phone_number": Value(("phone", "mobile"), _default_phone),
    "is_inactive": Value(("is_active",), lambda page: [not v for v in page.columns["is_active"]]),
    "avatarUrl": Value(("id",), _none),
}
