"""Catalog test objects."""

from __future__ import annotations

import itertools

from catalog.models import Product, Service

_seq = itertools.count(1)


def make_service(name: str | None = None, **fields) -> Service:
    fields.setdefault("default_rate", 12_000)
    return Service.objects.create(name=name or f"Service {next(_seq)}", **fields)


def make_product(name: str | None = None, **fields) -> Product:
    n = next(_seq)
    fields.setdefault("sku", f"SKU-{n}")
    fields.setdefault("unit_price", 2_500)
    fields.setdefault("cost", 1_500)
    fields.setdefault("on_hand", 10)
    return Product.objects.create(name=name or f"Product {n}", **fields)
