import pytest
from tests.factories import api_for, make_contact
from tests.tickets.factories import make_comment, make_ticket
from psa.models import SearchEntry
pytestmark = pytest.mark.django_db

def test_smoke(client_a):
    t1 = make_ticket(client_a, title="Printer offline in accounting")
    make_comment(t1, text="The toner driver was bad", is_internal=True)
    make_comment(t1, text="Wi-Fi drops near 10.0.0.5")
    print(SearchEntry.objects.values())
    api, _, _ = api_for(["*"])
    for q in ["printer", "toner", "wi-fi", "printer -toner", "printer or zebra", t1.ticket_number, '"printer offline"', '"offline printer"']:
        r = api.get("/api/v1/search", {"q": q})
        print(q, r.status_code, r.json())
