"""The permission-node registry: wildcards, exact matching and known nodes."""

from __future__ import annotations

import pytest

from psa.nodes import all_nodes, categories, grants, is_known
from tests.factories import make_role, make_user


@pytest.mark.parametrize(
    "granted, wanted",
    [
        ({"*"}, "client.read"),
        ({"*"}, "credential.secure_values.read"),
        ({"client.read"}, "client.read"),
        ({"client.*"}, "client.read"),
        ({"client.*"}, "client.read.address"),
        ({"obj.*"}, "obj.client.name"),
        ({"obj.client.*"}, "obj.client.name"),
        ({"unifi.site.*"}, "unifi.site.wifi.update"),
        ({"ticket.read", "client.*"}, "client.delete"),
    ],
)
def test_grants(granted, wanted):
    assert grants(frozenset(granted), wanted) is True


@pytest.mark.parametrize(
    "granted, wanted",
    [
        (set(), "client.read"),
        ({"client.*"}, "clientele.read"),
        ({"client.*"}, "client"),
        ({"client.read"}, "client.read.address"),
        ({"user.read"}, "user.read.other"),
        ({"client.read"}, "client.create"),
        ({"obj.client.*"}, "obj.contact.name"),
        ({"obj.client.*"}, "obj.clientele.name"),
        ({"client*"}, "client.read"),
        ({"client."}, "client.read"),
        ({".*"}, "client.read"),
        ({"read"}, "client.read"),
    ],
)
def test_does_not_grant(granted, wanted):
    assert grants(frozenset(granted), wanted) is False


@pytest.mark.parametrize(
    "grant",
    ["*", "client.read", "user.read.other", "client.*", "obj.*", "obj.client.*", "obj.client.name", "audit.read"],
)
def test_known_grants(grant):
    assert is_known(grant) is True


@pytest.mark.parametrize(
    "grant",
    ["bogus.read", "bogus.*", "client.rea", "clien.*", "client", "clientele.*", "", ".*", "**"],
)
def test_unknown_grants(grant):
    assert is_known(grant) is False


def test_every_node_belongs_to_a_declared_category():
    declared = categories()
    for name, entry in all_nodes().items():
        assert entry.category in declared, name
        assert name in declared[entry.category].nodes


def test_every_dependency_is_itself_a_registered_node():
    nodes = all_nodes()
    for name, entry in nodes.items():
        for dependency in entry.dependencies:
            assert dependency in nodes, f"{name} depends on unknown {dependency}"


def test_gated_serializers_declare_their_field_nodes():
    nodes = all_nodes()
    for scope, field in [("client", "name"), ("contact", "email"), ("user", "login"), ("role", "moniker")]:
        assert f"obj.{scope}.*" in nodes
        assert f"obj.{scope}.{field}" in nodes


@pytest.mark.django_db
def test_effective_nodes_are_the_union_of_roles_and_direct_nodes():
    user = make_user(["client.read"])
    user.roles.add(make_role(["contact.*"]), make_role(["ticket.read"]))

    assert user.effective_nodes() == frozenset({"client.read", "contact.*", "ticket.read"})
    assert user.has_node("contact.delete")
    assert not user.has_node("client.delete")


@pytest.mark.django_db
def test_an_inactive_user_holds_no_nodes():
    user = make_user(["*"], is_active=False)

    assert user.effective_nodes() == frozenset()
    assert not user.has_node("client.read")


def test_every_gated_serializer_declares_its_nodes_at_start_up_before_any_url_is_loaded(tmp_path):
    """A fresh process (a worker, a management command) has not loaded the URLconf: its registry must still hold
    the field nodes of serializers in modules only views import, such as tickets/api/time_serializers.py."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "import sys\n"
        "from psa import nodes\n"
        "from psa.api.serializers import GatedModelSerializer\n"
        "assert not any(name.endswith('.urls') for name in sys.modules if name.startswith(('tickets', 'psa.api'))), "
        "'the URLconf is already loaded'\n"
        "missing = [s.__qualname__ for s in nodes._subclasses(GatedModelSerializer)\n"
        "           if s.gating_scope and f'obj.{s.gating_scope}.*' not in nodes._nodes]\n"
        "assert 'obj.time_entry.notes' in nodes._nodes, 'time entry field nodes are missing'\n"
        "print('missing', missing)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "psa.settings", "PSA_DATA_DIR": str(tmp_path)}
    env.pop("PSA_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "missing []"
