"""A UniFi Network controller simulator: a WSGI app speaking both deployment types (shared/reference §4.8).

- ``classic``: ``GET /`` is a 302 to ``/manage``; ``POST /api/login`` sets the ``unifises`` cookie; Network routes
  have no prefix.
- ``unifi_os``: ``GET /`` is a 200 page; ``POST /api/auth/login`` returns the user, an ``X-CSRF-Token`` header and
  a ``TOKEN`` cookie; Network routes live under ``/proxy/network``; a write without the CSRF token is a 403;
  ``X-API-KEY`` is accepted instead of a session.

Every answer is the legacy ``{"meta": {"rc"}, "data": [...]}`` envelope (v2 AP groups: a bare array). Hooks for the
tests: :meth:`expire_sessions` (the next call is a 401 ``api.err.LoginRequired``), ``login_limit`` (failed logins
before a 429 ``AUTHENTICATION_FAILED_LIMIT_REACHED``), :meth:`throttle_logins`, ``rc_error_paths`` (HTTP 200 with
``rc: error``), and the shared faults, request log and loopback runner of :mod:`integrations.simulator`
(:meth:`expire_credentials`: the password stops working and every session ends). Used by the tests, the benchmark and
``make run``'s demo.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from integrations.simulator import Simulator, json_response

DEMO_USERNAME = "psa-demo"
DEMO_PASSWORD = "demo-unifi-password-not-secret"
OS_PREFIX = "/proxy/network"
SECURITY = {"open", "wpapsk", "wep", "wpaeap", "osen"}
WPA_MODES = {"auto", "wpa1", "wpa2"}
BANDS = {"2g", "5g", "6g"}
SSIDS_PER_RADIO = 8
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]{8,63}$")

_AP_MODELS = [
    ("U6-Pro", ("ng", "na")),
    ("U6-Lite", ("ng", "na")),
    ("U7-Pro", ("ng", "na", "6e")),
    ("UAP-AC-LR", ("ng", "na")),
]
_OTHER_KINDS = [("udm", "UDM-Pro"), ("usw", "USW-24-POE"), ("usw", "USW-Lite-8-PoE"), ("ugw", "UXG-Lite")]
_PLACES = ["Office", "Lobby", "Warehouse", "Floor 2", "Conference", "Reception", "Lab", "Shop"]


@dataclass
class Session:
    token: str
    csrf: str
    username: str


@dataclass
class SiteState:
    id: str
    name: str
    desc: str
    devices: list[dict] = field(default_factory=list)
    wlans: dict[str, dict] = field(default_factory=dict)
    networks: dict[str, dict] = field(default_factory=dict)
    usergroups: dict[str, dict] = field(default_factory=dict)
    wlangroups: dict[str, dict] = field(default_factory=dict)
    apgroups: dict[str, dict] = field(default_factory=dict)


def envelope(data: list | None = None, *, status: int = 200, msg: str = "", headers=None) -> Response:
    meta = {"rc": "error", "msg": msg} if msg else {"rc": "ok"}
    body = json.dumps({"meta": meta, "data": data if data is not None else []})
    return Response(body, status=status, headers=headers or {}, content_type="application/json")


def valid_passphrase(value: Any) -> bool:
    return isinstance(value, str) and bool(_PRINTABLE.match(value) or _HEX64.match(value))


class UnifiSimulator(Simulator):
    """A controller's sites, devices and Wi-Fi on the shared simulator base; thread-safe for a threaded server."""

    vendor = "unifi"
    default_port = 8013
    fault_body = {"code": "FAULT", "message": "injected fault"}
    malformed_body = '{"meta": {"rc": "ok"}, "data": [{"_id": "trunc'

    def __init__(
        self,
        mode: str = "unifi_os",
        *,
        sites: int = 3,
        devices_per_site: int = 6,
        seed: int = 1,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
        api_key: str = "",
        udm_se: bool = False,
        site_names: list[str] | None = None,
    ) -> None:
        if mode not in ("classic", "unifi_os"):
            raise ValueError("mode is 'classic' or 'unifi_os'")
        super().__init__(seed=seed)
        self.mode, self.username, self.password, self.api_key, self.udm_se = mode, username, password, api_key, udm_se
        self.rng = random.Random(seed)
        self.sessions: dict[str, Session] = {}
        self.rc_error_paths: set[str] = set()
        self.login_limit = 5  # failed logins before every login is a 429
        self.failed_logins = 0
        self.throttled_logins = 0  # the next N logins are 429 whatever the password
        self.logins = 0
        self.sites: dict[str, SiteState] = {}
        self._ids = 0
        names = site_names or []
        for index in range(sites):
            desc = names[index] if index < len(names) else f"Customer site {index + 1}"
            self._add_site(desc, short="default" if index == 0 else None, devices=devices_per_site)

    # --- ids and seed data ----------------------------------------------------------------------------------------

    def _oid(self) -> str:
        self._ids += 1
        return f"{0x6500000000000000000000 + self._ids:024x}"

    def _short_name(self) -> str:
        while True:
            name = "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(8))
            if name not in self.sites:
                return name

    def _mac(self) -> str:
        return "f4:e2:c6:" + ":".join(f"{self.rng.randrange(256):02x}" for _ in range(3))

    def _add_site(self, desc: str, *, short: str | None = None, devices: int = 0) -> SiteState:
        site = SiteState(self._oid(), short or self._short_name(), desc)
        self.sites[site.name] = site
        lan_id, iot_id = self._oid(), self._oid()
        site.networks[lan_id] = {
            "_id": lan_id,
            "site_id": site.id,
            "name": "LAN",
            "purpose": "corporate",
            "enabled": True,
            "ip_subnet": "192.168.1.1/24",
            "vlan_enabled": False,
            "dhcpd_enabled": True,
            "dhcpd_start": "192.168.1.100",
            "dhcpd_stop": "192.168.1.254",
            "domain_name": "localdomain",
            "is_nat": True,
        }
        site.networks[iot_id] = {
            "_id": iot_id,
            "site_id": site.id,
            "name": "IoT",
            "purpose": "corporate",
            "enabled": True,
            "ip_subnet": "192.168.30.1/24",
            "vlan_enabled": True,
            "vlan": 30,
            "dhcpd_enabled": True,
            "dhcpd_start": "192.168.30.10",
            "dhcpd_stop": "192.168.30.200",
            "domain_name": "",
            "is_nat": True,
        }
        default_group = self._oid()
        site.usergroups[default_group] = {
            "_id": default_group,
            "site_id": site.id,
            "name": "Default",
            "qos_rate_max_down": -1,
            "qos_rate_max_up": -1,
            "attr_no_delete": True,
            "attr_hidden_id": "Default",
        }
        wlangroup = self._oid()
        site.wlangroups[wlangroup] = {
            "_id": wlangroup,
            "site_id": site.id,
            "name": "Default",
            "attr_hidden_id": "Default",
            "attr_no_delete": True,
        }
        for index in range(devices):
            self._add_device(site, index)
        ap_macs = [d["mac"] for d in site.devices if d["type"] == "uap"]
        all_aps = self._oid()
        site.apgroups[all_aps] = {
            "_id": all_aps,
            "name": "All APs",
            "device_macs": ap_macs,
            "attr_hidden_id": "default",
            "attr_no_delete": True,
        }
        self._add_wlan(site, "Corporate", "wpapsk", f"Corp-{site.name}-pass", lan_id, default_group, ["2g", "5g"])
        self._add_wlan(site, "Guest", "wpapsk", "welcome-guests-1", lan_id, default_group, ["2g", "5g"], guest=True)
        iot = self._add_wlan(site, "IoT", "wpapsk", f"iot-{site.name}-key!", iot_id, default_group, ["2g"])
        iot["private_preshared_keys_enabled"] = True
        iot["private_preshared_keys"] = [
            {"password": f"ppsk-{site.name}-thermostat", "networkconf_id": iot_id, "name": "Thermostats", "mac": None}
        ]
        return site

    def _add_device(self, site: SiteState, index: int) -> None:
        place = _PLACES[index % len(_PLACES)]
        if index % 3 == 2:
            kind, model = _OTHER_KINDS[(index // 3) % len(_OTHER_KINDS)]
            radios: tuple[str, ...] = ()
        else:
            model, radios = _AP_MODELS[index % len(_AP_MODELS)]
            kind = "uap"
        state = 0 if index % 7 == 6 else 1
        device = {
            "_id": self._oid(),
            "mac": self._mac(),
            "model": model,
            "type": kind,
            "name": f"{place} {kind.upper()} {index + 1}",
            "ip": f"192.168.1.{10 + index % 240}",
            "serial": f"SN{self._ids:010X}",
            "version": "7.1.68.15901" if kind == "uap" else "7.0.50.15613",
            "state": state,
            "adopted": True,
            "uptime": 86400 * (index + 1),
            "last_seen": 1764547200 + index,
            "num_sta": index % 17,
            "upgradable": index % 4 == 0,
            "uplink": {"type": "wire", "uplink_mac": "", "speed": 1000},
            "radio_table": [
                {
                    "name": f"wifi{i}",
                    "radio": r,
                    "channel": [6, 36, 37][i],
                    "ht": [20, 80, 160][i],
                    "tx_power_mode": "auto",
                }
                for i, r in enumerate(radios)
            ],
        }
        site.devices.append(device)

    def _add_wlan(self, site, name, security, passphrase, network, usergroup, bands, guest=False) -> dict:
        wlan_id = self._oid()
        default_ap_group = next(g["_id"] for g in site.apgroups.values() if g.get("attr_hidden_id") == "default")
        wlan = {
            "_id": wlan_id,
            "site_id": site.id,
            "name": name,
            "enabled": True,
            "security": security,
            "wpa_mode": "wpa2",
            "wpa_enc": "ccmp",
            "wpa3_support": False,
            "wpa3_transition": False,
            "wpa3_fast_roaming": False,
            "wpa3_enhanced_192": False,
            "x_passphrase": passphrase,
            "passphrase_autogenerated": False,
            "hide_ssid": False,
            "is_guest": guest,
            "wlan_band": "both" if len(bands) > 1 else bands[0],
            "wlan_bands": list(bands),
            "networkconf_id": network,
            "usergroup_id": usergroup,
            "ap_group_ids": [default_ap_group],
            "ap_group_mode": "all",
            "pmf_mode": "disabled",
            "group_rekey": 3600,
            "dtim_mode": "default",
            "dtim_ng": 1,
            "dtim_na": 3,
            "dtim_6e": 3,
            "l2_isolation": guest,
            "fast_roaming_enabled": False,
            "bss_transition": True,
            "uapsd_enabled": False,
            "iapp_enabled": True,
            "proxy_arp": False,
            "mcastenhance_enabled": False,
            "mac_filter_enabled": False,
            "mac_filter_policy": "allow",
            "mac_filter_list": [],
            "radius_das_enabled": False,
            "radius_mac_auth_enabled": False,
            "radius_macacl_format": "none_lower",
            "minrate_setting_preference": "auto",
            "minrate_ng_enabled": True,
            "minrate_ng_data_rate_kbps": 1000,
            "minrate_ng_advertising_rates": False,
            "minrate_na_enabled": False,
            "minrate_na_data_rate_kbps": 6000,
            "minrate_na_advertising_rates": False,
            "setting_preference": "manual",
            "no2ghz_oui": True,
            "private_preshared_keys_enabled": False,
            "private_preshared_keys": [],
            "sae_groups": [],
            "sae_psk": [],
            "schedule": [],
            "schedule_with_duration": [],
            "bc_filter_list": [],
            "external_id": f"{self.rng.getrandbits(128):032x}",
        }
        site.wlans[wlan_id] = wlan
        return wlan

    # --- hooks for tests ------------------------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def throttle_logins(self, times: int = 1) -> None:
        with self.lock:
            self.throttled_logins += times

    def expire_credentials(self, expired: bool = True) -> None:
        """The password (and API key) stop working, and with them every session."""
        with self.lock:
            super().expire_credentials(expired)
            if expired:
                self.sessions.clear()

    def site(self, name: str) -> SiteState:
        return self.sites[name]

    # --- WSGI -----------------------------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/" and request.method == "GET":
            if self.mode == "classic":
                return Response("", status=302, headers={"Location": "/manage"})
            return Response("<!doctype html><title>UniFi OS</title>", content_type="text/html")
        if self.mode == "classic" and path == "/api/login" and request.method == "POST":
            return self._login(request)
        if self.mode == "unifi_os" and path == "/api/auth/login" and request.method == "POST":
            return self._login(request)
        if self.mode == "unifi_os":
            if not path.startswith(OS_PREFIX + "/"):
                return json_response({"code": "NOT_FOUND", "message": "Not found"}, 404)
            path = path[len(OS_PREFIX) :]
        session, refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        if any(fragment in path for fragment in self.rc_error_paths):
            return envelope(msg="api.err.ServerBusy")
        with self.lock:
            return self._route(request, path, session)

    def _login(self, request: Request) -> Response:
        with self.lock:
            self.logins += 1
            if self.throttled_logins > 0 or self.failed_logins >= self.login_limit:
                self.throttled_logins = max(0, self.throttled_logins - 1)
                body = {
                    "code": "AUTHENTICATION_FAILED_LIMIT_REACHED",
                    "message": "You've reached the login attempt limit",
                }
                return json_response(body, 429)
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                body = {}
            if (
                self.credentials_expired
                or not isinstance(body, dict)
                or body.get("username") != self.username
                or body.get("password") != self.password
            ):
                self.failed_logins += 1
                if self.mode == "classic":
                    return envelope(status=400, msg="api.err.Invalid")
                return json_response(
                    {"code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS", "message": "Invalid username or password"},
                    401,
                )
            self.failed_logins = 0
            session = Session(secrets.token_hex(16), secrets.token_hex(12), self.username)
            self.sessions[session.token] = session
        if self.mode == "classic":
            response = envelope([])
            response.set_cookie("unifises", session.token, httponly=True, path="/")
            response.set_cookie("csrf_token", session.csrf, path="/")
            return response
        user = {
            "unique_id": "u-1",
            "username": self.username,
            "first_name": "PSA",
            "isSuperAdmin": True,
            "roles": [{"name": "Super Administrator"}],
            "permissions": {"network.management": ["admin"]},
        }
        response = json_response(user)
        response.headers["X-CSRF-Token"] = session.csrf
        response.set_cookie("TOKEN", session.token, httponly=True, path="/")
        return response

    def _authenticate(self, request: Request) -> tuple[Session | None, Response | None]:
        if (
            self.mode == "unifi_os"
            and self.api_key
            and not self.credentials_expired
            and request.headers.get("X-API-KEY") == self.api_key
        ):
            return None, None
        token = request.cookies.get("unifises" if self.mode == "classic" else "TOKEN")
        with self.lock:
            session = self.sessions.get(token or "")
        if session is None:
            return None, envelope(status=401, msg="api.err.LoginRequired")
        if self.mode == "unifi_os" and request.method != "GET" and request.headers.get("X-CSRF-Token") != session.csrf:
            return None, json_response({"code": "CSRF_TOKEN_INVALID", "message": "Invalid CSRF token"}, 403)
        return session, None

    # --- Network application routes -------------------------------------------------------------------------------

    def _route(self, request: Request, path: str, session: Session | None) -> Response:
        method = request.method
        if path == "/api/self":
            return envelope([{"name": self.username, "is_super": True}])
        if path == "/api/self/sites" and method == "GET":
            return envelope(
                [
                    {
                        "_id": s.id,
                        "name": s.name,
                        "desc": s.desc,
                        "role": "admin",
                        **({"attr_hidden_id": "default", "attr_no_delete": True} if s.name == "default" else {}),
                    }
                    for s in self.sites.values()
                ]
            )
        match = re.fullmatch(r"/v2/api/site/([^/]+)/apgroups", path)
        if match:
            site = self.sites.get(match.group(1))
            if site is None:
                return json_response({"code": "api.err.NoSiteContext", "message": "No site context"}, 400)
            return json_response(list(site.apgroups.values()))
        match = re.fullmatch(r"/api/s/([^/]+)/(.+)", path)
        if not match:
            return envelope(status=404, msg="api.err.NotFound")
        site = self.sites.get(match.group(1))
        if site is None:
            return envelope(status=400, msg="api.err.NoSiteContext")
        body = self._body(request)
        if body is None:
            return envelope(status=400, msg="api.err.InvalidPayload")
        return self._site_route(method, site, match.group(2), body)

    @staticmethod
    def _body(request: Request) -> dict | None:
        if request.method in ("GET", "DELETE"):
            return {}
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _site_route(self, method: str, site: SiteState, rest: str, body: dict) -> Response:
        if rest == "cmd/sitemgr" and method == "POST":
            if body.get("cmd") != "add-site" or not isinstance(body.get("desc"), str) or not body["desc"].strip():
                return envelope(status=400, msg="api.err.InvalidPayload")
            new = self._add_site(body["desc"].strip())
            return envelope([{"_id": new.id, "name": new.name, "desc": new.desc}])
        if rest == "stat/health" and method == "GET":
            return envelope(self._health(site))
        if rest == "stat/sysinfo" and method == "GET":
            return envelope(
                [
                    {
                        "version": "9.0.114",
                        "build": "atag_9.0.114",
                        "hostname": "UniFi-Controller",
                        "name": "PSA lab",
                        "timezone": "America/Denver",
                        "uptime": 1209600,
                        "ubnt_device_type": "UDMPRO" if self.mode == "unifi_os" else "",
                        "update_available": False,
                    }
                ]
            )
        if rest in ("stat/device", "stat/device-basic"):
            return envelope([self._device_view(site, d) for d in site.devices])
        collections = {
            "rest/wlanconf": site.wlans,
            "rest/networkconf": site.networks,
            "rest/usergroup": site.usergroups,
            "rest/wlangroup": site.wlangroups,
        }
        for prefix, items in collections.items():
            if rest == prefix:
                if method == "GET":
                    return envelope(list(items.values()))
                if method == "POST":
                    return self._create(site, prefix, items, body)
            elif rest.startswith(prefix + "/"):
                item = items.get(rest[len(prefix) + 1 :])
                if item is None:
                    return envelope(status=400, msg="api.err.IdInvalid")
                if method == "GET":
                    return envelope([item])
                if method == "PUT":
                    return self._update(site, prefix, item, body)
        return envelope(status=404, msg="api.err.NotFound")

    def _health(self, site: SiteState) -> list[dict]:
        aps = [d for d in site.devices if d["type"] == "uap"]
        gateways = [d for d in site.devices if d["type"] in ("ugw", "udm")]
        disconnected = sum(1 for d in aps if d["state"] != 1)
        return [
            {
                "subsystem": "wlan",
                "status": "warning" if disconnected else "ok",
                "num_ap": len(aps),
                "num_adopted": len(aps),
                "num_disconnected": disconnected,
                "num_user": 12,
                "num_guest": 3,
            },
            {
                "subsystem": "wan",
                "status": "ok" if gateways else "unknown",
                "num_gw": len(gateways),
                "num_adopted": len(gateways),
                "wan_ip": "203.0.113.10",
            },
            {"subsystem": "www", "status": "ok", "latency": 12, "xput_up": 95.1, "xput_down": 480.2},
            {"subsystem": "lan", "status": "ok", "num_sw": sum(1 for d in site.devices if d["type"] == "usw")},
            {"subsystem": "vpn", "status": "unknown"},
        ]

    def _device_view(self, site: SiteState, device: dict) -> dict:
        view = dict(device)
        if device["type"] == "uap":
            view["vap_table"] = [
                {"essid": w["name"], "radio": radio["radio"], "bssid": device["mac"], "is_guest": w["is_guest"]}
                for w in self._wlans_on(site, device["mac"])
                for radio in device["radio_table"]
                if {"ng": "2g", "na": "5g", "6e": "6g"}[radio["radio"]] in w["wlan_bands"]
            ]
        return view

    def _wlans_on(self, site: SiteState, mac: str) -> list[dict]:
        groups = {g["_id"] for g in site.apgroups.values() if mac in g["device_macs"]}
        return [w for w in site.wlans.values() if w["enabled"] and groups & set(w.get("ap_group_ids") or [])]

    # --- writes, validated like the controller ------------------------------------------------------------------

    def _create(self, site: SiteState, prefix: str, items: dict, body: dict) -> Response:
        new_id = self._oid()
        if prefix == "rest/wlanconf":
            if self.udm_se and not body.get("ap_group_ids"):
                return envelope(status=400, msg="api.err.ApGroupMissing")
            problem = self._wlan_problem(site, {**body, "_id": new_id})
            if problem:
                return envelope(status=400, msg=problem)
        elif prefix == "rest/usergroup":
            if not isinstance(body.get("name"), str) or not body["name"].strip():
                return envelope(status=400, msg="api.err.InvalidPayload")
            for key in ("qos_rate_max_down", "qos_rate_max_up"):
                rate = body.setdefault(key, -1)
                if not isinstance(rate, int) or isinstance(rate, bool) or not (rate == -1 or 2 <= rate <= 100000):
                    return envelope(status=400, msg="api.err.InvalidQosRate")
        elif prefix == "rest/wlangroup" and (not isinstance(body.get("name"), str) or not body["name"].strip()):
            return envelope(status=400, msg="api.err.InvalidPayload")
        item = {**body, "_id": new_id, "site_id": site.id}
        items[new_id] = item
        return envelope([item])

    def _update(self, site: SiteState, prefix: str, item: dict, body: dict) -> Response:
        merged = {**item, **{k: v for k, v in body.items() if k not in ("_id", "site_id")}}
        if prefix == "rest/wlanconf":
            problem = self._wlan_problem(site, merged)
            if problem:
                return envelope(status=400, msg=problem)
        item.clear()
        item.update(merged)
        return envelope([] if self.udm_se else [item])

    def _wlan_problem(self, site: SiteState, wlan: dict) -> str:
        name = wlan.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            return "api.err.InvalidName"
        if wlan.get("security") not in SECURITY or wlan.get("wpa_mode", "wpa2") not in WPA_MODES:
            return "api.err.InvalidSecurity"
        if wlan.get("security") == "wpapsk" and not valid_passphrase(wlan.get("x_passphrase")):
            return "api.err.InvalidPassphrase"
        bands = wlan.get("wlan_bands") or []
        if not isinstance(bands, list) or not set(bands) <= BANDS:
            return "api.err.InvalidWlanBands"
        if wlan.get("enabled", True):
            others = [w for w in site.wlans.values() if w["_id"] != wlan["_id"]]
            for group in wlan.get("ap_group_ids") or []:
                for band in bands:
                    used = sum(
                        1
                        for w in others
                        if w["enabled"] and group in (w.get("ap_group_ids") or []) and band in w["wlan_bands"]
                    )
                    if used + 1 > SSIDS_PER_RADIO:
                        return "api.err.WlanLimitExceeded"
        return ""

    # --- manage.py simulate unifi -----------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser) -> None:
        from integrations.unifi.demo import DEMO_SITES, DEVICES_PER_SITE

        parser.add_argument("--mode", choices=["unifi_os", "classic"], default="unifi_os")
        parser.add_argument("--sites", type=int, default=len(DEMO_SITES))
        parser.add_argument("--devices-per-site", type=int, default=DEVICES_PER_SITE)

    @classmethod
    def from_options(cls, options: dict) -> UnifiSimulator:
        from integrations.unifi.demo import DEMO_SITES

        return cls(options["mode"], sites=options["sites"], devices_per_site=options["devices_per_site"],
                   seed=options["seed"], site_names=DEMO_SITES)  # fmt: skip

    def banner(self, url: str) -> str:
        return f"UniFi simulator ({self.mode}) on {url}/ (user {DEMO_USERNAME}, password {DEMO_PASSWORD})"
