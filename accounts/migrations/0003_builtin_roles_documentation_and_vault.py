"""Give the built-in roles the nodes of client documentation and the vault, which arrived after 0002.

Nodes are merged into what the roles hold now, so an administrator's own changes to a built-in role are kept.
"""

from django.db import migrations

DOCUMENTATION = ["location", "vendor", "asset", "network", "domain", "certificate", "software"]

ADDED = {
    "technician": [
        *(f"{resource}.*" for resource in DOCUMENTATION),
        "client.read.address", "client.read.contacts", "client.read.configurations",
        "credential.read", "credential.create", "credential.update", "credential.delete",
        "credential.fields.read", "credential.fields.update", "credential.secure_values.read",
        "credential.sub_credentials.read", "credential.sub_credentials.create", "credential.sub_credentials.delete",
        "credential_type.read",
    ],
    "dispatcher": [
        *(f"{resource}.read" for resource in DOCUMENTATION),
        "client.read.address", "client.read.contacts", "client.read.configurations",
        "credential.read", "credential_type.read",
    ],
    "read_only": [
        *(f"{resource}.read" for resource in DOCUMENTATION),
        "client.read.address", "client.read.contacts", "client.read.configurations",
        "credential.read", "credential_type.read",
    ],
}  # fmt: skip


def add_nodes(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for moniker, nodes in ADDED.items():
        role = Role.objects.filter(moniker=moniker, is_builtin=True).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions or []) | set(nodes))
            role.save(update_fields=["permissions"])


def remove_nodes(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for moniker, nodes in ADDED.items():
        role = Role.objects.filter(moniker=moniker, is_builtin=True).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions or []) - set(nodes))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_builtin_roles")]
    operations = [migrations.RunPython(add_nodes, remove_nodes)]
