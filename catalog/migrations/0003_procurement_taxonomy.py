"""Seeds the procurement taxonomy from seed 004's example (``GET /procurement/categories``); admins edit it after.

Only rows that do not exist yet are added, so re-running (or an admin's own rows) is harmless; reversing removes
nothing an admin may have come to rely on.
"""

from django.db import migrations

# (category, cw id, [subcategory | (group, [subcategories])]); a subcategory is (name, cw id).
CATEGORIES = [
    ("Technology", 18, [
        ("GeneralEquip", 57),
        ("Network", [("Network-Other", 174), ("Network-Router", 119), ("Network-Switch", 112),
                     ("Network-Wireless", 111)]),
        ("Computer", [("Computer-Desktop", 106), ("Computer-Laptop", None), ("Computer-Server", None)]),
        ("Cables", [("Cables-Network", None), ("Cables-Power", None)]),
    ]),
    ("Field", None, [
        ("AlarmBurg", [("AlarmBurg-Panels", None), ("AlarmBurg-Sensors", None)]),
        ("Video", [("Video-Cameras", None), ("Video-Recorders", None)]),
    ]),
    ("General", None, [("General-Labor", None)]),
]
# (ecosystem, [(manufacturer, cw id, category, subcategory prefix)])
ECOSYSTEMS = [
    ("Networking", [("Ubiquiti", 248, "Technology", "Network-"), ("TP-Link", 259, "Technology", "Network-")]),
    ("Video Surveillance", [("Hikvision", None, "Field", "Video-"), ("Axis", None, "Field", "Video-")]),
    ("Burg/Alarm", [("DSC", None, "Field", "AlarmBurg-"), ("Honeywell", None, "Field", "AlarmBurg-")]),
]  # fmt: skip


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "CatalogCategory")
    Group = apps.get_model("catalog", "CatalogGroup")
    Subcategory = apps.get_model("catalog", "CatalogSubcategory")
    Ecosystem = apps.get_model("catalog", "Ecosystem")
    Rule = apps.get_model("catalog", "EcosystemRule")
    for position, (name, cw_id, entries) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(name=name, defaults={"cw_id": cw_id, "position": position})
        for index, entry in enumerate(entries):
            if isinstance(entry[1], list):
                group, _ = Group.objects.get_or_create(category=category, name=entry[0], defaults={"position": index})
                subs = [(sub, sub_id, group) for sub, sub_id in entry[1]]
            else:
                subs = [(entry[0], entry[1], None)]
            for sub_position, (sub, sub_id, group) in enumerate(subs):
                Subcategory.objects.get_or_create(
                    category=category,
                    name=sub,
                    defaults={"cw_id": sub_id, "group": group, "position": index * 100 + sub_position},
                )
    for position, (name, rules) in enumerate(ECOSYSTEMS):
        ecosystem, created = Ecosystem.objects.get_or_create(name=name, defaults={"position": position})
        if created:
            for manufacturer, cw_id, category, prefix in rules:
                Rule.objects.create(
                    ecosystem=ecosystem, manufacturer=manufacturer, manufacturer_cw_id=cw_id, category=category,
                    subcategory_prefix=prefix,
                )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_procurement_catalog")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
