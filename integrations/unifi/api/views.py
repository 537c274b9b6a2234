"""Seed 004's 21 UniFi routes: tracked sites (local rows) and the site's live objects (from its controller).

Every route needs ``unifi.access`` beside its own node. A site outside the caller's client scope (or not linked to a
client, for a scoped caller) is a 404 before the controller is asked anything. Live calls are bounded: one try,
``PSA_UNIFI_LIVE_TIMEOUT`` seconds per request; an unreachable, slow, throttling or failing controller is a 503 or
502 ``UPSTREAM_UNAVAILABLE``, never a 500 or a hang.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from clients.models import Client
from integrations.models import Source, SyncRun
from integrations.sync import run_job
from integrations.unifi import api_shapes as shapes
from integrations.unifi import services, wifi
from integrations.unifi.api import serializers as s
from integrations.unifi.kind import ssid_limit
from integrations.unifi.models import UnifiSite
from psa import audit
from psa.access import has_node, is_scoped
from psa.api.exceptions import Conflict
from psa.api.viewsets import NestedViewSetMixin, PsaGenericViewSet, PsaReadOnlyViewSet

ACCESS = "unifi.access"
UPSTREAM = {
    502: OpenApiResponse(description="UPSTREAM_UNAVAILABLE: the controller refused the login or answered wrongly"),
    503: OpenApiResponse(description="UPSTREAM_UNAVAILABLE: the controller is unreachable, slow or throttling"),
}


def _wlan_id(value: str) -> str:
    """A WLAN id goes into the controller's URL: anything but a plain id is a 404, never a different path."""
    if not wifi.is_controller_id(value):
        raise NotFound("There is no such Wi-Fi network.")
    return value


def _refuse_scoped(request, what: str) -> None:
    if is_scoped(request):
        raise PermissionDenied(f"A client-scoped caller cannot {what}: it changes what every client shares.")


def _only_unifi_source(source: Source | None) -> Source:
    if source is not None:
        return source
    sources = list(Source.objects.filter(kind="unifi").order_by("name")[:2])
    if not sources:
        raise ValidationError({"source_id": ["There is no UniFi source; add one under Integrations first."]})
    if len(sources) > 1:
        raise ValidationError({"source_id": ["There are several UniFi sources: name the one to create it on."]})
    return sources[0]


class UnifiSiteViewSet(PsaGenericViewSet):
    """``/unifi/sites…`` and ``/unifi/site/{id}…``."""

    queryset = UnifiSite.objects.select_related("client", "source")
    serializer_class = s.UnifiSiteSerializer
    sort_fields = {"name": "name", "site_id": "site_id", "created_at": "created_at"}
    default_sort = "name"
    action_nodes = {
        "list": [ACCESS, "unifi.sites.fetch.many"],
        "retrieve": [ACCESS, "unifi.sites.fetch"],
        "sync": [ACCESS, "unifi.sites.sync"],
        "create_site": [ACCESS, "unifi.sites.create"],
        "link": [ACCESS, "unifi.sites.link"],
        "unlink": [ACCESS, "unifi.sites.link"],
        "overview": [ACCESS, "unifi.site.overview"],
        "devices": [ACCESS, "unifi.site.devices"],
        "networks": [ACCESS, "unifi.site.networks"],
        "access_points": [ACCESS, "unifi.site.access-points"],
        "ap_groups": [ACCESS, "unifi.site.ap-groups"],
        "wlan_groups": [ACCESS, "unifi.site.wlan-groups"],
        "create_wlan_group": [ACCESS, "unifi.site.wlan-groups", "unifi.site.wlan-groups.create"],
        "speed_profiles": [ACCESS, "unifi.site.speed-profiles"],
        "create_speed_profile": [ACCESS, "unifi.site.speed-profiles", "unifi.site.speed-profiles.create"],
        "wifi_limits": [ACCESS, "unifi.site.wifi-limits"],
        "wifi": [ACCESS, "unifi.site.wifi"],
        "update_wifi": [ACCESS, "unifi.site.wifi", "unifi.site.wifi.update"],
        "ppsk": [ACCESS, "unifi.site.wifi", "unifi.site.wifi.ppsk"],
        "create_ppsk": [ACCESS, "unifi.site.wifi", "unifi.site.wifi.ppsk", "unifi.site.wifi.ppsk.create"],
    }

    # --- tracked sites --------------------------------------------------------------------------------------------

    @extend_schema(summary="The tracked UniFi sites", responses=s.UnifiSiteSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="One tracked UniFi site", responses=s.UnifiSiteSerializer)
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=None,
        responses={200: s.UnifiSiteSerializer(many=True), **UPSTREAM},
        summary="Pull the sites of every UniFi source now (devices follow in the background)",
    )
    def sync(self, request):
        from integrations.tasks import sync_source

        _refuse_scoped(request, "sync UniFi sites")
        runs = []
        for source in Source.objects.filter(kind="unifi", enabled=True).order_by("name"):
            run = run_job(source, "unifi.sites", trigger=SyncRun.Trigger.MANUAL, started_by=request.user)
            if run is None:
                raise Conflict(f"A sync of the sites of {source.name} is running; try again when it has finished.")
            runs.append(
                {"source_id": str(source.pk), "run_id": str(run.pk), "status": run.status, "message": run.message}
            )
            if run.status != SyncRun.Status.FAILED:
                sync_source.delay(str(source.pk), ["unifi.devices"], SyncRun.Trigger.MANUAL, str(request.user.pk))
        if runs and all(run["status"] == SyncRun.Status.FAILED for run in runs):
            raise services.UpstreamUnavailable(f"No controller could be synced: {runs[0]['message']}")
        self.sync_runs = runs
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_list_meta(self, queryset) -> dict[str, Any]:
        runs = getattr(self, "sync_runs", None)
        return {"runs": runs} if runs is not None else {}

    @extend_schema(
        request=s.SiteCreateSerializer,
        responses={201: s.UnifiSiteSerializer, **UPSTREAM},
        summary="Create a site on the controller and track it",
    )
    def create_site(self, request):
        _refuse_scoped(request, "create UniFi sites")
        body = s.SiteCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        source = _only_unifi_source(body.validated_data.get("source_id"))
        probe = UnifiSite(source=source, name=body.validated_data["description"])
        created = services.live(probe, lambda api: api.create_site(body.validated_data["description"]), writing=True)
        with transaction.atomic():
            site, _ = UnifiSite.objects.update_or_create(
                source=source,
                site_id=created["name"][:64],
                defaults={
                    "name": (created.get("desc") or body.validated_data["description"])[:200],
                    "external_id": str(created.get("_id") or "")[:64],
                    "deleted_at": None,
                },
            )
            audit.record(request, "create", site, changes=audit.diff({}, audit.snapshot(site)))
        return Response(self.get_serializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SiteLinkSerializer, responses=s.UnifiSiteSerializer, summary="Link a site to a client")
    def link(self, request, pk=None):
        from integrations.tasks import sync_source

        site = self.get_object()
        body = s.SiteLinkSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        client: Client = body.validated_data["client_id"]
        if site.client_id != client.pk:
            with transaction.atomic():
                before = audit.snapshot(site)
                site.client = client
                site.save(update_fields=["client", "updated_at"])
                audit.record(request, "update", site, changes=audit.diff(before, audit.snapshot(site)))
            # The site's devices become the client's assets at the next devices run: start it now.
            sync_source.delay(str(site.source_id), ["unifi.devices"], SyncRun.Trigger.MANUAL, str(request.user.pk))
        return Response(self.get_serializer(site).data)

    @extend_schema(request=None, responses=s.UnifiSiteSerializer, summary="Unlink a site from its client")
    def unlink(self, request, pk=None):
        site = self.get_object()
        _refuse_scoped(request, "unlink a UniFi site (it would leave your clients)")
        if site.client_id is not None:
            with transaction.atomic():
                before = audit.snapshot(site)
                site.client = None
                site.save(update_fields=["client", "updated_at"])
                audit.record(
                    request,
                    "update",
                    site,
                    changes=audit.diff(before, audit.snapshot(site)),
                    client_id=before["client"],
                )
        return Response(self.get_serializer(site).data)

    # --- live from the controller ---------------------------------------------------------------------------------

    def _page(self, items: list) -> Response:
        """A live list in the list envelope (``page``/``limit`` like every list), in the controller's order."""
        return self.get_paginated_response(self.paginate_queryset(items))

    @extend_schema(responses={200: s.UnifiOverviewSerializer, **UPSTREAM}, summary="Live health and controller info")
    def overview(self, request, pk=None):
        site = self.get_object()
        health, sysinfo = services.live(site, lambda api: (api.health(site.site_id), api.sysinfo(site.site_id)))
        return Response(shapes.overview(site, health, sysinfo))

    @extend_schema(responses={200: s.UnifiDeviceSerializer(many=True), **UPSTREAM}, summary="Live devices")
    def devices(self, request, pk=None):
        site = self.get_object()
        return self._page([shapes.device(d) for d in services.live(site, lambda api: api.devices(site.site_id))])

    @extend_schema(responses={200: s.UnifiAccessPointSerializer(many=True), **UPSTREAM}, summary="Live access points")
    def access_points(self, request, pk=None):
        site = self.get_object()
        devices = services.live(site, lambda api: api.devices(site.site_id))
        return self._page([shapes.access_point(d) for d in devices if d.get("type") == "uap"])

    @extend_schema(responses={200: s.UnifiNetworkSerializer(many=True), **UPSTREAM}, summary="Live networks (VLANs)")
    def networks(self, request, pk=None):
        site = self.get_object()
        return self._page([shapes.network(n) for n in services.live(site, lambda api: api.networks(site.site_id))])

    @extend_schema(responses={200: s.UnifiApGroupSerializer(many=True), **UPSTREAM}, summary="Live AP groups")
    def ap_groups(self, request, pk=None):
        site = self.get_object()
        return self._page([shapes.ap_group(g) for g in services.live(site, lambda api: api.apgroups(site.site_id))])

    @extend_schema(responses={200: s.UnifiWlanGroupSerializer(many=True), **UPSTREAM}, summary="Live WLAN groups")
    def wlan_groups(self, request, pk=None):
        site = self.get_object()
        return self._page([shapes.wlan_group(g) for g in services.live(site, lambda api: api.wlangroups(site.site_id))])

    @extend_schema(
        request=s.UnifiWlanGroupCreateSerializer,
        responses={201: s.UnifiWlanGroupSerializer, **UPSTREAM},
        summary="Create a WLAN group",
    )
    def create_wlan_group(self, request, pk=None):
        site = self.get_object()
        body = s.UnifiWlanGroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        name = body.validated_data["name"]
        group = services.live(site, lambda api: api.create_wlangroup(site.site_id, name), writing=True)
        services.audit_live(request, site, "create", "unifi.wlangroup", group.get("_id"), {"name": name})
        return Response(shapes.wlan_group(group), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.UnifiSpeedProfileSerializer(many=True), **UPSTREAM}, summary="Live speed profiles")
    def speed_profiles(self, request, pk=None):
        site = self.get_object()
        return self._page(
            [shapes.speed_profile(g) for g in services.live(site, lambda api: api.usergroups(site.site_id))]
        )

    @extend_schema(
        request=s.UnifiSpeedProfileCreateSerializer,
        responses={201: s.UnifiSpeedProfileSerializer, **UPSTREAM},
        summary="Create a speed profile (-1 = unlimited)",
    )
    def create_speed_profile(self, request, pk=None):
        site = self.get_object()
        body = s.UnifiSpeedProfileCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        payload = {
            "name": data["name"],
            "qos_rate_max_down": data["download_limit_kbps"],
            "qos_rate_max_up": data["upload_limit_kbps"],
        }
        group = services.live(site, lambda api: api.create_usergroup(site.site_id, payload), writing=True)
        services.audit_live(request, site, "create", "unifi.usergroup", group.get("_id"), payload)
        return Response(shapes.speed_profile(group), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.UnifiWifiLimitSerializer(many=True), **UPSTREAM}, summary="SSIDs per AP radio")
    def wifi_limits(self, request, pk=None):
        site = self.get_object()
        devices, wlans, groups = services.live(site, lambda api: services.radio_state(api, site))
        return self._page(wifi.limits(devices, wlans, groups, ssid_limit(site.source)))

    # --- Wi-Fi networks -------------------------------------------------------------------------------------------

    def _wifi_view(self, wlans: list[dict], networks: list[dict]) -> list[dict]:
        request = self.request
        everything = has_node(request, wifi.read_node("*"))
        visible = {f for f in wifi.WIFI_FIELDS if everything or has_node(request, wifi.read_node(f))}
        with_keys = has_node(request, "unifi.site.wifi.ppsk")
        by_id = {n.get("_id"): n for n in networks}
        return [wifi.present(w, visible, by_id, with_keys=with_keys) for w in wlans]

    @extend_schema(
        responses={200: s.WifiNetworkSerializer(many=True), **UPSTREAM},
        summary="Live Wi-Fi networks, each field gated by unifi.site.wifi.read.<field>",
    )
    def wifi(self, request, pk=None):
        site = self.get_object()
        wlans, networks = services.live(site, lambda api: (api.wlans(site.site_id), api.networks(site.site_id)))
        return self._page(self._wifi_view(wlans, networks))

    @extend_schema(
        request=s.WifiUpdateSerializer,
        responses={200: s.WifiNetworkSerializer, **UPSTREAM},
        summary="Change a Wi-Fi network (validated first; audited without the passphrase)",
    )
    def update_wifi(self, request, pk=None, wlan_id=None):
        site = self.get_object()
        wlan_id = _wlan_id(wlan_id)
        body = s.WifiUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated, networks = services.update_wlan(request, site, wlan_id, body.validated_data)
        return Response(self._wifi_view([updated], networks)[0])

    @extend_schema(responses={200: s.UnifiPpskSerializer(many=True), **UPSTREAM}, summary="A network's private PSKs")
    def ppsk(self, request, pk=None, wlan_id=None):
        site = self.get_object()
        wlan_id = _wlan_id(wlan_id)
        wlan, networks = services.live(site, lambda api: (api.wlan(site.site_id, wlan_id), api.networks(site.site_id)))
        return self._page(wifi.ppsk_entries(wlan, {n.get("_id"): n for n in networks}, with_keys=True))

    @extend_schema(
        request=s.UnifiPpskCreateSerializer,
        responses={201: s.UnifiPpskSerializer(many=True), **UPSTREAM},
        summary="Add a private PSK (turns PPSK on); the key is never stored or audited",
    )
    def create_ppsk(self, request, pk=None, wlan_id=None):
        site = self.get_object()
        wlan_id = _wlan_id(wlan_id)
        body = s.UnifiPpskCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated, networks = services.create_ppsk(request, site, wlan_id, body.validated_data)
        keys = wifi.ppsk_entries(updated, {n.get("_id"): n for n in networks}, with_keys=True)
        return Response(keys, status=status.HTTP_201_CREATED)


class ClientUnifiSiteViewSet(NestedViewSetMixin, PsaReadOnlyViewSet):
    """``GET /clients/{client_id}/unifi/sites``: the sites linked to one client."""

    queryset = UnifiSite.objects.select_related("client")
    serializer_class = s.UnifiSiteSerializer
    parent_model = Client
    parent_kwarg = "client_id"
    parent_field = "client"
    sort_fields = {"name": "name", "site_id": "site_id", "created_at": "created_at"}
    default_sort = "name"
    action_nodes = {"list": [ACCESS, "client.read"]}

    @extend_schema(summary="The UniFi sites linked to a client", responses=s.UnifiSiteSerializer(many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
