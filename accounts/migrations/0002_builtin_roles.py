from django.db import migrations

BUILTIN_ROLES = {
    "admin": ("Administrator", "Full access to everything.", ["*"]),
    "technician": (
        "Technician",
        "Works tickets, assets, documentation and the vault for the clients in scope.",
        [
            "user.read", "user.write", "role.read",
            "client.read", "client.create", "client.update",
            "contact.*",
            "ticket.*", "asset.*",
            "credential.read", "credential.create", "credential.update", "credential.secure_values.read",
            "api_key.read", "api_key.create", "api_key.delete",
            "obj.*",
        ],
    ),
    "dispatcher": (
        "Dispatcher",
        "Triages and assigns tickets; reads client documentation.",
        [
            "user.read", "user.write", "user.read.other", "user.list.other", "role.read",
            "client.read", "contact.read", "contact.create", "contact.update",
            "ticket.*", "asset.read",
            "api_key.read", "api_key.create", "api_key.delete",
            "obj.*",
        ],
    ),
    "read_only": (
        "Read only",
        "Reads everything in scope and changes nothing.",
        ["user.read", "role.read", "client.read", "contact.read", "ticket.read", "asset.read", "obj.*"],
    ),
}


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for moniker, (title, description, permissions) in BUILTIN_ROLES.items():
        Role.objects.update_or_create(
            moniker=moniker,
            defaults={"title": title, "description": description, "permissions": permissions, "is_builtin": True},
        )


def remove_roles(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(moniker__in=BUILTIN_ROLES, is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
