"""The client page's UniFi tab: sites, devices (synced), Wi-Fi networks and SSID limits (live), WLAN edit, PPSK add.

Every page asks the same nodes and writes through the same validation, services and audit as the API. A passphrase is
never in a page: it is fetched on demand (``passphrase``), audited as a reveal, and hidden again by ``vault.js``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.exceptions import APIException, ValidationError

from clients.models import Client
from integrations.unifi import services, wifi
from integrations.unifi.api.serializers import UnifiPpskCreateSerializer, WifiUpdateSerializer
from integrations.unifi.forms import PpskForm, WlanForm
from integrations.unifi.kind import ssid_limit
from integrations.unifi.models import UnifiDevice, UnifiSite
from psa import audit
from psa.access import has_node, restrict
from psa.tabs import client_tabs
from psa.views import deny_unless, require_nodes

BASE_NODES = ("unifi.access", "client.read")


def _client(request, client_id) -> Client:
    return get_object_or_404(restrict(Client.objects.all(), request), pk=client_id)


def _site(request, client: Client, site_pk) -> UnifiSite:
    return get_object_or_404(UnifiSite.objects.select_related("source"), pk=site_pk, client=client)


def _wlan_id(value: str) -> str:
    if not wifi.is_controller_id(value):
        raise Http404("There is no such Wi-Fi network.")
    return value


def _live_wifi(request, site: UnifiSite) -> dict:
    """The site's Wi-Fi networks and SSID limits for the page, or the controller's trouble as a message."""
    can_wifi, can_limits = has_node(request, "unifi.site.wifi"), has_node(request, "unifi.site.wifi-limits")
    if not (can_wifi or can_limits):
        return {}
    try:
        devices, wlans, groups = services.live(site, lambda api: services.radio_state(api, site))
    except APIException as exc:
        return {"live_error": str(exc.detail)}
    rows = []
    for wlan in wlans if can_wifi else []:
        visible = {f for f in wifi.WIFI_FIELDS if has_node(request, wifi.read_node(f))}
        shown = wifi.present(wlan, visible - {"passphrase"}, {}, with_keys=False)
        rows.append({"id": wlan.get("_id"), "wlan": shown, "has_passphrase": bool(wlan.get("x_passphrase")),
                     "ppsk_count": len(wlan.get("private_preshared_keys") or [])})  # fmt: skip
    limits = wifi.limits(devices, wlans, groups, ssid_limit(site.source)) if can_limits else None
    return {"wlans": rows, "limits": limits}


@require_GET
@require_nodes(*BASE_NODES)
def client_unifi(request, client_id):
    client = _client(request, client_id)
    sites = list(UnifiSite.objects.filter(client=client).select_related("source").order_by("name", "id"))
    chosen = next((s for s in sites if str(s.pk) == request.GET.get("site")), sites[0] if sites else None)
    context = {
        "section": "clients", "client": client, "tabs": client_tabs(request, client, "unifi"), "sites": sites,
        "site": chosen, "can": {name: has_node(request, node) for name, node in (
            ("devices", "unifi.site.devices"), ("update", "unifi.site.wifi.update"),
            ("ppsk", "unifi.site.wifi.ppsk.create"), ("reveal", "unifi.site.wifi.read.passphrase"),
            ("read_name", "unifi.site.wifi.read.name"))},
    }  # fmt: skip
    if chosen is not None:
        if context["can"]["devices"]:
            context["devices"] = UnifiDevice.objects.filter(site=chosen).select_related("asset").order_by("name", "id")
        context.update(_live_wifi(request, chosen))
    return render(request, "unifi/client_unifi.html", context)


def _back(client: Client, site: UnifiSite) -> str:
    return f"{reverse('unifi:client_unifi', kwargs={'client_id': client.pk})}?site={site.pk}"


def _form_page(request, form, title: str, client: Client, site: UnifiSite, submit: str, status: int = 200):
    crumbs = [("Clients", reverse("clients:client_list")), (client.name, reverse("clients:client_detail",
              kwargs={"pk": client.pk})), ("UniFi", _back(client, site))]  # fmt: skip
    context = {"form": form, "title": title, "crumbs": crumbs, "submit_label": submit, "cancel_url": _back(client, site),
               "section": "clients"}  # fmt: skip
    return render(request, "clients/form_page.html", context, status=status)


def _api_errors(form, exc: ValidationError) -> None:
    detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    for name, errors in detail.items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(name if name in form.fields else None, str(error))


@require_http_methods(["GET", "POST"])
@require_nodes(*BASE_NODES, "unifi.site.wifi", "unifi.site.wifi.update")
def wlan_edit(request, client_id, site_pk, wlan_id):
    client = _client(request, client_id)
    site, wlan_id = _site(request, client, site_pk), _wlan_id(wlan_id)
    try:
        current = services.live(site, lambda api: api.wlan(site.site_id, wlan_id))
    except APIException as exc:
        messages.error(request, str(exc.detail))
        return redirect(_back(client, site))
    initial = WlanForm.initial_from(current)
    form = WlanForm(request.POST if request.method == "POST" else None, initial=initial)
    title = f"Edit Wi-Fi network {current.get('name') or ''}".strip()
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect(_back(client, site))
        body = WifiUpdateSerializer(data=changes)
        try:
            body.is_valid(raise_exception=True)
            services.update_wlan(request, site, wlan_id, body.validated_data)
        except ValidationError as exc:
            _api_errors(form, exc)
        except APIException as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, f"Saved {changes.get('name') or current.get('name')} on the controller.")
            return redirect(_back(client, site))
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, title, client, site, "Save on the controller", status)


@require_http_methods(["GET", "POST"])
@require_nodes(*BASE_NODES, "unifi.site.wifi", "unifi.site.wifi.ppsk", "unifi.site.wifi.ppsk.create")
def ppsk_create(request, client_id, site_pk, wlan_id):
    client = _client(request, client_id)
    site, wlan_id = _site(request, client, site_pk), _wlan_id(wlan_id)
    form = PpskForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        body = UnifiPpskCreateSerializer(data=form.body())
        try:
            body.is_valid(raise_exception=True)
            services.create_ppsk(request, site, wlan_id, body.validated_data)
        except ValidationError as exc:
            _api_errors(form, exc)
        except APIException as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, f"Added the private key {form.cleaned_data['name']}.")
            return redirect(_back(client, site))
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, "Add a private pre-shared key", client, site, "Add the key", status)


@never_cache
@require_GET
@require_nodes(*BASE_NODES, "unifi.site.wifi", "unifi.site.wifi.read.passphrase")
def passphrase(request, client_id, site_pk, wlan_id):
    """``{"data": {"value"}}`` for ``vault.js``'s Reveal button; each reveal is audited (without the value)."""
    client = _client(request, client_id)
    site, wlan_id = _site(request, client, site_pk), _wlan_id(wlan_id)
    deny_unless(request, "unifi.site.wifi.read.passphrase")
    try:
        wlan = services.live(site, lambda api: api.wlan(site.site_id, wlan_id))
    except APIException as exc:
        return JsonResponse({"error": {"code": "UPSTREAM_UNAVAILABLE", "message": str(exc.detail)}}, status=502)
    purpose = "copy" if request.GET.get("purpose") == "copy" else "reveal"
    audit.record(request, purpose, site, object_type="unifi.wlan", object_id=wlan_id,
                 changes={"fields": ["passphrase"], "purpose": purpose})  # fmt: skip
    return JsonResponse({"data": {"value": wlan.get("x_passphrase") or None}})
