"""The clients app's dashboard counts, and its sentences in the activity feed."""

from __future__ import annotations

from clients.models import Client, Contact
from psa.access import has_node, restrict
from psa.dashboard import Activity, activity_describer, dashboard_stat, default_activity, safe_reverse


@dashboard_stat("clients", label="Active clients", order=60, url_name="clients:client_list")
def active_clients(request) -> int | None:
    if not has_node(request, "client.read"):
        return None
    return restrict(Client.objects.filter(archived_at__isnull=True), request).count()


@dashboard_stat("contacts", label="Active contacts", order=61)
def active_contacts(request) -> int | None:
    if not has_node(request, "contact.read"):
        return None
    return restrict(Contact.objects.filter(is_active=True), request).count()


@activity_describer("clients.client")
def describe_clients(events, request=None) -> dict:
    described = {}
    for event in events:
        activity = default_activity(event)
        url = safe_reverse("clients:client_detail", event.object_id) if event.action != "delete" else None
        described[event.pk] = Activity(activity.verb, f"client {event.object_repr}", url)
    return described
