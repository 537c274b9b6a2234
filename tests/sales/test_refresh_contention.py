"""A refresh that meets a database busy with another writer answers 503 BUSY at once and stores nothing: a request
does not wait out a sync's back-off, and contention is not ConnectWise sending something we cannot store."""

from __future__ import annotations

import pytest

from psa.errors import BUSY_MESSAGE
from sales.models import Opportunity
from tests.factories import api_for
from tests.integrations.contention import OtherWriter, no_wait  # noqa: F401  (a fixture)
from tests.integrations.live_sim import live_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("no_wait")
def test_a_refresh_refused_for_contention_is_a_503_and_the_next_one_stores():
    with live_world() as world:
        opportunity = Opportunity.objects.filter(is_closed=False).order_by("cw_opportunity_id").first()
        world.sim.touch("opportunities", opportunity.cw_opportunity_id, name="Renamed upstream")
        api, *_ = api_for(["sales.opportunity.refresh", "sales.opportunity.read", "obj.opportunity.*"])
        url = f"/api/v1/sales/opportunities/{opportunity.pk}/refresh"
        writer = OtherWriter("sales_opportunity")
        response = writer.around(lambda: api.post(url))
        assert writer.refusals == 1  # refused once, not retried
        assert response.status_code == 503 and response["Retry-After"] == "1", response.content
        assert response.json()["error"] == {"code": "BUSY", "message": BUSY_MESSAGE, "details": None}
        assert Opportunity.objects.get(pk=opportunity.pk).name == opportunity.name
        response = api.post(url)
        assert response.status_code == 200 and response.json()["data"]["name"] == "Renamed upstream"
