"""Seed 004's UniFi paths under /api/v1: ``/unifi/sites…``, ``/unifi/site/{id}…`` and ``/clients/{id}/unifi/sites``."""

from django.urls import path

from integrations.unifi.api.views import ClientUnifiSiteViewSet, UnifiSiteViewSet


def _view(actions: dict[str, str]):
    return UnifiSiteViewSet.as_view(actions)


SITE = "unifi/site/<uuid:pk>"
WLAN = f"{SITE}/wifi/<str:wlan_id>"

urlpatterns = [
    path("unifi/sites", _view({"get": "list"}), name="unifi-site-list"),
    path("unifi/sites/sync", _view({"post": "sync"}), name="unifi-site-sync"),
    path("unifi/sites/create", _view({"post": "create_site"}), name="unifi-site-create"),
    path(SITE, _view({"get": "retrieve"}), name="unifi-site-detail"),
    path(f"{SITE}/link", _view({"post": "link"}), name="unifi-site-link"),
    path(f"{SITE}/unlink", _view({"post": "unlink"}), name="unifi-site-unlink"),
    path(f"{SITE}/overview", _view({"get": "overview"}), name="unifi-site-overview"),
    path(f"{SITE}/devices", _view({"get": "devices"}), name="unifi-site-devices"),
    path(f"{SITE}/networks", _view({"get": "networks"}), name="unifi-site-networks"),
    path(f"{SITE}/access-points", _view({"get": "access_points"}), name="unifi-site-access-points"),
    path(f"{SITE}/ap-groups", _view({"get": "ap_groups"}), name="unifi-site-ap-groups"),
    path(
        f"{SITE}/wlan-groups", _view({"get": "wlan_groups", "post": "create_wlan_group"}), name="unifi-site-wlan-groups"
    ),
    path(
        f"{SITE}/speed-profiles",
        _view({"get": "speed_profiles", "post": "create_speed_profile"}),
        name="unifi-site-speed-profiles",
    ),
    path(f"{SITE}/wifi-limits", _view({"get": "wifi_limits"}), name="unifi-site-wifi-limits"),
    path(f"{SITE}/wifi", _view({"get": "wifi"}), name="unifi-site-wifi"),
    path(WLAN, _view({"patch": "update_wifi"}), name="unifi-site-wifi-detail"),
    path(f"{WLAN}/ppsk", _view({"get": "ppsk", "post": "create_ppsk"}), name="unifi-site-wifi-ppsk"),
    path(
        "clients/<uuid:client_id>/unifi/sites",
        ClientUnifiSiteViewSet.as_view({"get": "list"}),
        name="client-unifi-sites",
    ),
]
