"""Demo vault entries for ``make run``: credentials of the default types, encrypted through the vault services.

The values are demo data (made from the seeded generator), never printed; one Login holds a TOTP secret so the
live-code view has something to show.
"""

from __future__ import annotations

import string

from credentials import services
from credentials.defaults import create_default_types
from credentials.models import CredentialType
from psa.demo import DemoContext, demo_builder

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def _password(ctx: DemoContext, length: int = 18) -> str:
    alphabet = string.ascii_letters + string.digits + "-_!#%"
    return "".join(ctx.rng.choice(alphabet) for _ in range(length))


def _bitlocker(ctx: DemoContext) -> str:
    return "-".join(f"{ctx.rng.randrange(0, 65536) * 11:06d}" for _ in range(8))


def _entries(ctx: DemoContext, client) -> list[tuple[str, str, dict]]:
    domain = client.website.split("//", 1)[1] if client.website else "msp.example.com"
    code = client.identifier
    entries = [
        ("Microsoft 365 / Entra admin", "Microsoft 365 global admin",
         {"username": f"admin@{domain}", "password": _password(ctx), "tenant": domain, "totp": DEMO_TOTP_SECRET}),
        ("Windows / local admin", "Domain administrator",
         {"username": f"{code.lower()}\\administrator", "password": _password(ctx), "domain": code}),
        ("Wi-Fi", "Office Wi-Fi", {"ssid": f"{code}-Staff", "passphrase": _password(ctx, 20), "security": "WPA2"}),
        ("Network device", f"{code}-FW01 firewall",
         {"host": "10.10.0.1", "username": "admin", "password": _password(ctx), "enable": _password(ctx)}),
        ("BitLocker recovery key", f"{code}-LT-MANAGER BitLocker", {"key_id": "7A3C1E2B", "recovery_key": _bitlocker(ctx)}),
        ("Login", "Backup portal", {"username": f"backup@{domain}", "password": _password(ctx),
                                    "url": "https://backup.example.com"}),
    ]  # fmt: skip
    if ctx.rng.random() < 0.5:
        entries.append(
            ("Software licence key", "Accounting software licence",
             {"product": "Ledgerly Pro", "license_key": f"LDG-{ctx.rng.randrange(10**7, 10**8)}", "seats": "5"})
        )  # fmt: skip
    return entries


@demo_builder(order=50)
def build_credentials(ctx: DemoContext) -> str:
    create_default_types()
    types = {t.name: t for t in CredentialType.objects.all()}
    assets = ctx.made.get("assets", {})
    count = 0
    for client in ctx.made.get("clients", []):
        if client.type == "prospect":
            continue
        for type_name, name, values in _entries(ctx, client):
            kind = types[type_name]
            data = {"name": name, "fields": [{"field_id": k, "value": v} for k, v in values.items()]}
            plan = services.plan_credential(kind.fields, "", data, budget=[services.MAX_SUB_CREDENTIALS])
            credential = services.create_from_plan(plan, client=client, type=kind)
            linked = [a for a in assets.get(client.pk, []) if a.name.endswith(("FW01", "LT-MANAGER"))]
            if type_name in ("Network device", "BitLocker recovery key") and linked:
                credential.assets.add(linked[0] if type_name == "Network device" else linked[-1])
            count += 1
    return f"{count} credentials"
