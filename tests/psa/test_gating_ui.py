"""The field gate on pages, forms and nested summaries (issue 8 §2): the mechanisms the gating harness relies on.

Pages render through ``psa.ui_gate`` (every variable a template reads goes through the caller's gate), forms label
their choices and leave out hidden values through it, and every summary of a ticket or an asset nested in another
response is ``TicketBriefSerializer`` / ``AssetBriefSerializer``, gated like the object itself.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines
from django.test import Client as BrowserClient
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.forms import UserForm
from psa.nodes import all_nodes
from psa.ui_gate import HIDDEN, gated, unwrap
from tests.assets.factories import make_asset
from tests.factories import api_for, make_client, make_user
from tests.psa.helpers import data_of
from tests.tickets.factories import make_ticket
from tests.tickets.link_factories import link_asset, make_bundle

pytestmark = pytest.mark.django_db

SECRET = "gated-sentinel-41c9"


def nodes_but(*withheld: str) -> list[str]:
    """Every registered node by name (no wildcard) except ``withheld``."""
    return sorted(n for n in all_nodes() if not n.endswith("*") and n not in withheld)


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def render(source: str, request, **context) -> str:
    return engines["django"].from_string(source).render(context, request)


# --- templates --------------------------------------------------------------------------------------------------------


def test_a_template_reads_a_hidden_field_as_hidden_and_a_visible_one_as_itself():
    client = make_client(SECRET, identifier="ACME")
    request = request_for(make_user(nodes_but("obj.client.name")))

    page = render("{{ client.name }}|{{ client.identifier }}|{{ client }}", request, client=client)

    assert page == "hidden|ACME|hidden"


def test_the_gate_reaches_through_relations_querysets_lists_and_dicts():
    client = make_client(SECRET)
    ticket = make_ticket(client, title="Printer")
    request = request_for(make_user(nodes_but("obj.client.name")))
    source = (
        "{{ ticket.client.name }}|{{ ticket.client_id }}|{% for t in tickets %}{{ t.client.name }}{% endfor %}|"
        "{% for row in rows %}{{ row.ticket.client.name }}{% endfor %}|{{ by_id.one.client.name }}|{{ ticket.title }}"
    )

    page = render(
        source, request, ticket=ticket, tickets=type(ticket).objects.all(), rows=[{"ticket": ticket}],
        by_id={"one": ticket},
    )  # fmt: skip

    assert page == f"hidden|{client.pk}|hidden|hidden|hidden|Printer"


def test_a_hidden_value_is_false_and_holds_nothing_to_loop_over():
    client = make_client(SECRET)
    request = request_for(make_user(nodes_but("obj.client.name")))
    source = "{% if client.name %}shown{% else %}none{% endif %}|{{ client.name|default:'-' }}|{{ client.name|length }}"

    assert render(source, request, client=client) == "none|-|0"
    assert not HIDDEN and list(HIDDEN) == []


def test_a_caller_with_the_node_sees_the_value_and_a_wildcard_gets_the_objects_unwrapped():
    client = make_client(SECRET)
    reader = request_for(make_user(nodes_but()))
    admin = request_for(make_user(["*"]))

    assert render("{{ client.name }}", reader, client=client) == SECRET
    assert gated(admin, client) is client
    assert unwrap(gated(reader, client)) is client


def test_inclusion_tags_render_their_rows_through_the_gate():
    """The asset page's tickets panel is an inclusion tag: its rows are gated like the page's own."""
    client = make_client("Acme")
    asset = make_asset(client, name="PC-1")
    link_asset(make_ticket(client, title=SECRET), asset)
    browser = BrowserClient()
    browser.force_login(make_user(nodes_but("obj.ticket.title")))

    response = browser.get(f"/assets/{asset.pk}/")

    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_list_pages_show_hidden_for_a_hidden_name():
    make_client(SECRET)
    browser = BrowserClient()
    browser.force_login(make_user(nodes_but("obj.client.name")))

    for url in ("/clients/", "/assets/", "/tickets/"):
        response = browser.get(url, follow=True)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url


# --- forms ------------------------------------------------------------------------------------------------------------


def test_a_form_leaves_out_a_field_the_editor_may_not_see_and_labels_choices_through_the_gate():
    client = make_client(SECRET)
    subject = make_user([])
    request = request_for(make_user(nodes_but("obj.user.email", "obj.client.name")))

    form = UserForm(instance=subject, request=request, can_write=True)

    assert "email" not in form.fields and "name" in form.fields
    labels = [label for _, label in form.fields["allowed_clients"].choices]
    assert f"hidden · {str(client.pk)[:8]}" in labels
    assert SECRET not in str(form)


def test_a_form_keeps_every_field_and_label_for_a_caller_who_may_see_them():
    client = make_client(SECRET)
    request = request_for(make_user(["*"]))

    form = UserForm(instance=make_user([]), request=request, can_write=True)

    assert "email" in form.fields
    assert SECRET in [label for _, label in form.fields["allowed_clients"].choices]
    assert client.pk


# --- nested summaries in the API --------------------------------------------------------------------------------------


@pytest.fixture
def linked():
    client = make_client("Acme")
    asset = make_asset(client, name=SECRET, serial=f"{SECRET}-serial")
    ticket = make_ticket(client, title=SECRET)
    link_asset(ticket, asset)
    return ticket, asset


def test_an_assets_linked_tickets_are_gated_by_the_tickets_nodes(linked):
    ticket, asset = linked
    api, _, _ = api_for(nodes_but("obj.ticket.title"))

    response = api.get(f"/api/v1/assets/{asset.pk}/tickets")

    [row] = data_of(response)
    assert "title" not in row and row["ticket_number"] == ticket.ticket_number and row["ticket_id"] == str(ticket.pk)
    assert SECRET not in response.content.decode()


def test_a_tickets_linked_assets_are_gated_by_the_assets_nodes(linked):
    ticket, asset = linked
    api, _, _ = api_for(nodes_but("obj.asset.name", "obj.asset.serial"))

    response = api.get(f"/api/v1/tickets/{ticket.pk}/assets")

    [row] = data_of(response)
    assert not {"name", "serial", "asset_tag"} & set(row) and row["asset_id"] == str(asset.pk)
    assert SECRET not in response.content.decode()


def test_linked_summaries_show_every_field_to_a_reader_of_them(linked):
    ticket, asset = linked
    api, _, _ = api_for(["ticket.read", "asset.read", "obj.*"])

    [ticket_row] = data_of(api.get(f"/api/v1/assets/{asset.pk}/tickets"))
    [asset_row] = data_of(api.get(f"/api/v1/tickets/{ticket.pk}/assets"))

    assert ticket_row["title"] == SECRET
    assert (asset_row["name"], asset_row["serial"], asset_row["asset_tag"]) == (SECRET, *[f"{SECRET}-serial"] * 2)


def test_a_bundles_summaries_are_the_same_gated_brief(linked):
    ticket, _ = linked
    child = make_ticket(ticket.client, title="child")
    make_bundle(ticket, child)
    api, _, _ = api_for(nodes_but("obj.ticket.title"))

    response = api.get(f"/api/v1/tickets/{child.pk}/bundle")

    master = data_of(response)["master"]
    assert "title" not in master and master["ticket_number"] == ticket.ticket_number
    assert SECRET not in response.content.decode()


def test_a_time_entry_and_the_timer_name_their_ticket_through_the_tickets_gate():
    from tests.tickets.time_factories import make_entry, make_session

    ticket = make_ticket(make_client("Acme"), title=SECRET)
    api, user, _ = api_for([*nodes_but("obj.ticket.title"), "obj.time_entry.*"])
    entry = make_entry(ticket, user)
    make_session(ticket, user)

    entry_response = api.get(f"/api/v1/time-entries/{entry.pk}")
    timer_response = api.get("/api/v1/time-entries/active-session")

    assert "work_item_title" not in data_of(entry_response) and "ticket_number" in data_of(entry_response)
    assert "work_item_title" not in data_of(timer_response) and "ticket_number" in data_of(timer_response)
    assert SECRET not in entry_response.content.decode() + timer_response.content.decode()


def test_a_time_entry_shows_its_tickets_title_to_a_reader_of_it():
    from tests.tickets.time_factories import make_entry

    ticket = make_ticket(make_client("Acme"), title=SECRET)
    api, user, _ = api_for([*nodes_but(), "obj.time_entry.*"])
    entry = make_entry(ticket, user)

    assert data_of(api.get(f"/api/v1/time-entries/{entry.pk}"))["work_item_title"] == SECRET


def test_a_credentials_client_and_type_summaries_are_gated_by_their_own_nodes():
    from tests.credentials.factories import make_credential, make_type

    credential = make_credential(make_client(SECRET), make_type(name=f"{SECRET} type"))
    api, _, _ = api_for([*nodes_but("obj.client.name", "obj.credentialType.name"), "obj.credential.*"])

    response = api.get(f"/api/v1/credentials/{credential.pk}")

    data = data_of(response)
    assert data["client"] == {"id": str(credential.client_id)} and "name" not in data["type"]
    assert SECRET not in response.content.decode()


# --- {% options %}: a select over many rows ---------------------------------------------------------------------------

OPTIONS = "{% load psa_forms %}{% options clients selected=chosen %}"


def test_options_mark_the_chosen_row_escape_labels_and_keep_the_querysets_order():
    first, second = make_client("A & <B>"), make_client('Z "quoted"')
    request = request_for(make_user(["obj.*"]))
    clients = type(first).objects.filter(pk__in=[first.pk, second.pk]).order_by("name")

    page = render(OPTIONS, request, clients=clients, chosen=str(second.pk))

    assert page == (
        f'<option value="{first.pk}">A &amp; &lt;B&gt;</option>'
        f'<option value="{second.pk}" selected>Z &quot;quoted&quot;</option>'
    )
    assert render(OPTIONS, request, clients=clients, chosen=second.pk) == page  # a UUID matches as its text
    assert "selected" not in render(OPTIONS, request, clients=clients, chosen=None)


def test_options_label_a_hidden_field_as_hidden_and_keep_the_options_apart():
    client = make_client(SECRET)
    request = request_for(make_user(nodes_but("obj.client.name")))

    for clients in (type(client).objects.filter(pk=client.pk), [client]):
        page = render(OPTIONS, request, clients=clients, chosen=client.pk)

        assert SECRET not in page
        assert page == f'<option value="{client.pk}" selected>hidden · {str(client.pk)[:8]}</option>'


def test_options_repeated_in_a_loop_read_their_rows_once():
    client = make_client("Acme")
    request = request_for(make_user(["obj.*"]))
    source = "{% load psa_forms %}{% for row in rows %}<select>{% options clients selected=row %}</select>{% endfor %}"

    with CaptureQueriesContext(connection) as queries:
        page = render(source, request, clients=type(client).objects.filter(pk=client.pk), rows=[1, 2, client.pk])

    assert sum('"clients_client"' in q["sql"] for q in queries.captured_queries) == 1
    assert page.count(f'<option value="{client.pk}"') == 3 and page.count("selected") == 1


def test_options_over_lists_each_show_their_own_rows_and_render_without_a_request():
    first, second = make_client("First"), make_client("Second")
    source = "{% load psa_forms %}{% options one %}|{% options two %}"

    page = engines["django"].from_string(source).render({"one": [first], "two": [second]})

    assert page == f'<option value="{first.pk}">First</option>|<option value="{second.pk}">Second</option>'


# --- {% choice_inputs %}: a checkbox list over many rows -------------------------------------------------------------

LOOP = (
    '{% for choice in field %}<label class="choice" for="{{ choice.id_for_label }}">{{ choice.tag }}'
    "<span>{{ choice.choice_label }}</span></label>{% endfor %}"
)  # the template loop the tag replaced: Django's widget template for each input


@pytest.mark.parametrize("disabled", [False, True])
def test_choice_inputs_write_the_tags_the_widget_templates_wrote(disabled):
    from django import forms

    from accounts.forms import ClientChoiceField

    first, second = make_client("A & <B>"), make_client('Z "quoted"')
    second.identifier = "Z-1"
    second.save()
    clients = type(first).objects.filter(pk__in=[first.pk, second.pk]).order_by("name")
    form_class = type("Chosen", (forms.Form,), {"clients": ClientChoiceField(queryset=clients, disabled=disabled)})
    form = form_class(initial={"clients": [second.pk]})
    engine = engines["django"]
    context = {"field": form["clients"]}

    tag = engine.from_string("{% load psa_forms %}{% choice_inputs field %}").render(context)

    assert tag == engine.from_string(LOOP).render(context)
    assert tag.count("<input") == 2 and tag.count(" checked") == 1 and "A &amp; &lt;B&gt;" in tag
    assert (" disabled" in tag) is disabled and "Z &quot;quoted&quot; (Z-1)" in tag


def test_choice_inputs_are_empty_without_choices_and_the_page_says_so():
    from django import forms

    from accounts.forms import ClientChoiceField

    form_class = type(
        "None", (forms.Form,), {"clients": ClientChoiceField(queryset=type(make_client("x")).objects.none())}
    )
    context = {"field": form_class()["clients"]}

    assert engines["django"].from_string("{% load psa_forms %}{% choice_inputs field %}").render(context) == ""
    page = engines["django"].get_template("partials/field.html").render(context)
    assert "Nothing to choose from." in page and "<input" not in page


def test_options_escape_every_label_alike_even_one_holding_the_separator():
    from html import escape

    from psa.templatetags.psa_forms import _escaped

    texts = ['A & <B> "q"', "", "plain", "tab\tx", "nul\x00inside"]
    assert _escaped(texts) == [escape(text) for text in texts]
    assert _escaped(texts[:3]) == [escape(text) for text in texts[:3]] and _escaped([]) == []
