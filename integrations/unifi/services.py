"""Live controller calls and the WLAN writes, shared by the API and the technician UI.

:func:`live` bounds every call (one try, ``PSA_UNIFI_LIVE_TIMEOUT`` seconds a request) and turns a controller in
trouble into a 503/502 ``UPSTREAM_UNAVAILABLE``. :func:`update_wlan` and :func:`create_ppsk` validate against the
live WLAN and the SSID limit before anything is sent, and audit the change without any passphrase or key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError

from integrations.http import (
    AuthenticationError,
    IntegrationError,
    MalformedResponseError,
    RateLimitedError,
    RetryPolicy,
)
from integrations.sync import build_client
from integrations.unifi import wifi
from integrations.unifi.client import UnifiApiError, UnifiNotFoundError, UnifiRejectedError
from integrations.unifi.kind import ssid_limit
from integrations.unifi.models import UnifiSite
from psa import audit
from psa.api.exceptions import Conflict


class UpstreamUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The UniFi controller is unavailable."
    default_code = "upstream_unavailable"

    def __init__(self, detail: str, status_code: int = 503) -> None:
        super().__init__(detail)
        self.status_code = status_code


def upstream_error(exc: IntegrationError, *, writing: bool = False) -> APIException:
    """The API's answer to a failed controller call; the message is UniFi's (never a secret or a cookie)."""
    if isinstance(exc, UnifiNotFoundError):
        return NotFound(f"The controller does not know this object ({exc.code or exc.message}).")
    if isinstance(exc, UnifiRejectedError) and writing:
        return ValidationError({"non_field_errors": [f"The controller refused the change: {exc.code}."]})
    if isinstance(exc, RateLimitedError):
        return UpstreamUnavailable(f"The controller is throttling (its login is rate-limited): {exc.message}")
    if isinstance(exc, AuthenticationError):
        return UpstreamUnavailable(f"The controller refused the source's login: {exc.message}", 502)
    if isinstance(exc, UnifiApiError | MalformedResponseError):
        return UpstreamUnavailable(f"The controller answered with an error: {exc.message}", 502)
    return UpstreamUnavailable(f"The controller did not answer: {exc.message}")


def live(site: UnifiSite, call: Callable[[Any], Any], *, writing: bool = False) -> Any:
    """Run ``call(client)`` against the site's controller: one try each, bounded by PSA_UNIFI_LIVE_TIMEOUT."""
    seconds = settings.UNIFI_LIVE_TIMEOUT
    options = {"retry": RetryPolicy(attempts=1), "timeout": httpx.Timeout(seconds, connect=min(seconds, 5))}
    try:
        with build_client(site.source, **options) as client:
            return call(client)
    except IntegrationError as exc:
        raise upstream_error(exc, writing=writing) from None


def radio_state(api, site: UnifiSite) -> tuple[list, list, list]:
    """What the SSID limit is computed from: the site's devices, WLANs and AP groups."""
    return api.devices(site.site_id), api.wlans(site.site_id), api.apgroups(site.site_id)


def audit_live(request, site: UnifiSite, action: str, object_type: str, object_id: Any, changes: dict) -> None:
    """A change made on the controller, recorded against the site's client (values never include secrets)."""
    audit.record(request, action, site, object_type=object_type, object_id=str(object_id or "")[:64], changes=changes)


def _check_limit(api, site: UnifiSite, current: dict, changes: dict) -> None:
    devices, wlans, groups = radio_state(api, site)
    limit = ssid_limit(site.source)
    crowded = wifi.over_limit(devices, wlans, groups, {**current, **changes}, limit)
    if crowded:
        raise Conflict(
            f"'{current.get('name')}' would exceed {limit} SSIDs per radio on these access points: "
            f"{', '.join(crowded)}. Disable another network there, or narrow its AP groups or bands."
        )


def update_wlan(request, site: UnifiSite, wlan_id: str, data: dict) -> tuple[dict, list[dict]]:
    """Apply a validated :class:`WifiUpdateSerializer` body; returns ``(updated WLAN, the site's networks)``."""
    changes = wifi.controller_changes(data)

    def apply(api):
        current = api.wlan(site.site_id, wlan_id)
        security = changes.get("security", current.get("security"))
        if security == "wpapsk" and "x_passphrase" not in changes and not current.get("x_passphrase"):
            raise ValidationError({"x_passphrase": ["A WPA-PSK network needs a passphrase (8-63 characters)."]})
        if security == "open" and "x_passphrase" in changes:
            raise ValidationError({"x_passphrase": ["An open network takes no passphrase."]})
        if any(key in changes for key in ("enabled", "wlan_bands")):
            _check_limit(api, site, current, changes)
        updated = api.update_wlan(site.site_id, wlan_id, changes)
        return current, updated, api.networks(site.site_id)

    current, updated, networks = live(site, apply, writing=True)
    audit_live(request, site, "update", "unifi.wlan", wlan_id, wifi.audit_changes(current, changes))
    return updated, networks


def create_ppsk(request, site: UnifiSite, wlan_id: str, data: dict) -> tuple[dict, list[dict]]:
    """Add a validated :class:`PpskCreateSerializer` key to the WLAN (PPSK on); the key is never audited."""

    def apply(api):
        wlan, networks = api.wlan(site.site_id, wlan_id), api.networks(site.site_id)
        network_id = wlan.get("networkconf_id")
        if data.get("vlan_id") is not None:
            on_vlan = [n for n in networks if n.get("vlan_enabled") and n.get("vlan") == data["vlan_id"]]
            if not on_vlan:
                raise ValidationError({"vlan_id": [f"The site has no network on VLAN {data['vlan_id']}."]})
            network_id = on_vlan[0].get("_id")
        entry = {"password": data["key"], "networkconf_id": network_id, "name": data["name"], "mac": data.get("mac")}
        keys = [*(wlan.get("private_preshared_keys") or []), entry]
        changes = {"private_preshared_keys": keys, "private_preshared_keys_enabled": True}
        return api.update_wlan(site.site_id, wlan_id, changes), networks

    updated, networks = live(site, apply, writing=True)
    described = {"name": data["name"], "mac": data.get("mac"), "vlan_id": data.get("vlan_id")}
    audit_live(request, site, "ppsk.create", "unifi.wlan", wlan_id, {"ppsk": {"old": None, "new": described}})
    return updated, networks
