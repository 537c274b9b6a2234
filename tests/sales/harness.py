"""Route-harness objects for sales: an opportunity of client A (mirrored exactly as the shared simulator serves
opportunity 5001, so a refresh stores nothing new) and one of client B, and a fresh note in the simulator."""

from types import SimpleNamespace

from integrations.connectwise.sales import OpportunityMapper
from sales.models import Opportunity
from tests.integrations.conftest import make_source
from tests.integrations.live_sim import mirror, shared_simulator

_OPPORTUNITY_FIELDS = [f for f in OpportunityMapper.fields if f not in ("client_id", "contact_id", "location_id")]


def _opportunity(source, client, cw_id: int, payload: dict | None = None) -> Opportunity:
    if payload is None:
        return Opportunity.objects.create(source=source, client=client, cw_opportunity_id=cw_id, name=f"Deal {cw_id}")
    from integrations.mirror import Item

    class _Context:
        def __init__(self):
            self.source = source

    mapper = OpportunityMapper(_Context())
    item = Item(str(cw_id), payload)
    mapper.prepare([item])
    values = {k: v for k, v in mapper.values(item).items() if k in _OPPORTUNITY_FIELDS}
    opportunity = Opportunity.objects.create(client=client, **values)
    mirror(source, "opportunity", cw_id, opportunity, payload)
    return opportunity


def build(world) -> None:
    sim, base_url = shared_simulator()
    source = make_source(base_url, name="Harness CW sales")
    payload = sim.data["opportunities"][5001]
    # Client A is the company of opportunity 5001, so a refresh keeps the opportunity in client A.
    mirror(source, "company", payload["company"]["id"], world.client_a)
    visible = _opportunity(source, world.client_a, 5001, payload)
    world.add(Opportunity, visible, _opportunity(source, world.client_b, 5002))


def build_external(world) -> None:
    """A note of opportunity 5001 in the simulator, fresh for each test (a test may delete it)."""
    sim, _base_url = shared_simulator()
    with sim.lock:
        note = sim._add_note(5001, "Harness note")
    world.add_kwarg("note_id", SimpleNamespace(pk=note["id"]), SimpleNamespace(pk=note["id"]))


BODIES = {
    ("opportunity-refresh", "POST"): lambda w: {},
    ("opportunity-products-sequence", "PATCH"): lambda w: {"ordered_ids": [50013, 50011, 50012]},
    ("opportunity-notes", "POST"): lambda w: {"text": "Harness follow-up", "flagged": False},
    ("opportunity-note", "PATCH"): lambda w: {"flagged": True},
}

_rows = iter(range(900000, 10**9))

ROW_FACTORIES = {
    Opportunity: lambda w, i: Opportunity.objects.create(
        source=w.objects[Opportunity].source, client=w.client_a, cw_opportunity_id=next(_rows), name=f"Row deal {i}"
    ),
}


def _opportunity_page(world) -> str:
    from django.urls import reverse

    return reverse("sales:opportunity_detail", args=[world.objects[Opportunity].pk])


# The gating harness's pages: the opportunity list (closed and archived ones too) and the opportunity's page.
GATING_PAGES = [lambda world: "/sales/?include_closed=true&include_archived=true", _opportunity_page]
