"""The controller's objects as our API shows them (snake_case, seed 004's fields); no secret is in any of them."""

from __future__ import annotations

import re
from typing import Any

from integrations.unifi.jobs import STATES

SYSINFO_FIELDS = (
    "version",
    "build",
    "hostname",
    "name",
    "timezone",
    "uptime",
    "ubnt_device_type",
    "udm_version",
    "console_display_version",
    "update_available",
    "previous_version",
)
_SAFE_KEY = re.compile(r"[^a-z0-9_]")


def _state(value: Any) -> str:
    return str(STATES.get(value, "other")) if isinstance(value, int) and not isinstance(value, bool) else "other"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def overview(site, health: list[dict], sysinfo: dict) -> dict:
    entries = [
        {_SAFE_KEY.sub("_", str(k).lower()): v for k, v in entry.items() if not isinstance(v, dict | list)}
        for entry in health
    ]
    return {
        "health": entries,
        "sys_info": {name: sysinfo.get(name) for name in SYSINFO_FIELDS if name in sysinfo},
        "site_info": {"description": site.name, "name": site.site_id},
    }


def access_point(device: dict) -> dict:
    return {
        "id": str(device.get("_id") or ""),
        "mac": str(device.get("mac") or ""),
        "model": str(device.get("model") or ""),
        "type": str(device.get("type") or ""),
        "name": str(device.get("name") or ""),
        "state": _state(device.get("state")),
        "adopted": device.get("adopted") is True,
        "ip": device.get("ip") if isinstance(device.get("ip"), str) else None,
        "version": str(device.get("version") or ""),
    }


def device(device: dict) -> dict:
    radios = [r for r in device.get("radio_table") or [] if isinstance(r, dict)]
    uplink = device.get("uplink") if isinstance(device.get("uplink"), dict) else {}
    return {
        **access_point(device),
        "serial": str(device.get("serial") or ""),
        "uptime": _int(device.get("uptime")),
        "last_seen": _int(device.get("last_seen")),
        "num_sta": _int(device.get("num_sta")),
        "upgradable": device.get("upgradable") is True,
        "radios": [{k: r.get(k) for k in ("name", "radio", "channel", "ht", "tx_power_mode")} for r in radios],
        "uplink": {k: uplink.get(k) for k in ("type", "uplink_mac", "speed") if k in uplink},
    }


def network(item: dict) -> dict:
    subnet = item.get("ip_subnet")
    return {
        "id": str(item.get("_id") or ""),
        "name": str(item.get("name") or ""),
        "purpose": str(item.get("purpose") or ""),
        "subnet": subnet if isinstance(subnet, str) else None,
        "vlan_id": _int(item.get("vlan")) if item.get("vlan_enabled") else None,
        "dhcp_enabled": item.get("dhcpd_enabled") is True,
        "dhcp_start": item.get("dhcpd_start") or None,
        "dhcp_stop": item.get("dhcpd_stop") or None,
        "domain_name": item.get("domain_name") or None,
        "is_nat": item.get("is_nat") is True,
        "enabled": item.get("enabled") is not False,
    }


def wlan_group(item: dict) -> dict:
    return {
        "id": str(item.get("_id") or ""),
        "name": str(item.get("name") or ""),
        "site_id": item.get("site_id"),
        "no_delete": item.get("attr_no_delete") is True,
        "no_edit": item.get("attr_no_edit") is True,
        "hidden": bool(item.get("attr_hidden")),
    }


def ap_group(item: dict) -> dict:
    return {
        "id": str(item.get("_id") or ""),
        "name": str(item.get("name") or ""),
        "device_macs": [m for m in item.get("device_macs") or [] if isinstance(m, str)],
        "no_delete": item.get("attr_no_delete") is True,
    }


def speed_profile(item: dict) -> dict:
    down, up = _int(item.get("qos_rate_max_down")), _int(item.get("qos_rate_max_up"))
    return {
        "id": str(item.get("_id") or ""),
        "name": str(item.get("name") or ""),
        "site_id": item.get("site_id"),
        "no_delete": item.get("attr_no_delete") is True,
        "download_limit_kbps": down if down is not None else -1,
        "upload_limit_kbps": up if up is not None else -1,
    }
