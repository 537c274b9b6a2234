"""Demo technicians for ``make run``: the people tickets are assigned to. They have no password (no sign-in)."""

from __future__ import annotations

from accounts.models import Role, User
from psa.demo import DemoContext, demo_builder

# login, name, role moniker
TECHNICIANS = [
    ("dana", "Dana Whitfield", "technician"),
    ("sam", "Sam Ortiz", "technician"),
    ("priya", "Priya Nair", "dispatcher"),
]


@demo_builder(order=10)
def build_people(ctx: DemoContext) -> str:
    roles = {role.moniker: role for role in Role.objects.filter(moniker__in={m for *_, m in TECHNICIANS})}
    people = []
    for login, name, moniker in TECHNICIANS:
        user, created = User.objects.get_or_create(
            login=login, defaults={"name": name, "email": f"{login}@msp.example.com"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if moniker in roles:
                user.roles.add(roles[moniker])
        people.append(user)
    # Whoever signs in to the demo (its admin) works tickets too, so their own day is not empty.
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("created_at").first()
    ctx.made["technicians"] = [*people[:1], admin, *people[1:]] if admin else people
    return f"{len(people)} technicians"
