"""Seed 004's UniFi permission nodes. ``unifi.access`` gates every UniFi route, beside the route's own node.

The WLAN fields of ``GET /unifi/site/{id}/wifi`` are gated one by one with ``unifi.site.wifi.read.<field>``
(``unifi.site.wifi.read.*`` for all of them); the tracked sites' fields with ``obj.unifiSite.<field>``.
"""

from integrations.unifi.wifi import WIFI_FIELDS
from psa.nodes import category, node

UNIFI = category("unifi", "UniFi Permissions", "UniFi Network sites, devices and Wi-Fi, live from the controllers")
WIFI_READ = category("unifi.site.wifi.read", "UniFi Wi-Fi fields", "Which WLAN fields a caller may see")

node("unifi.access", "Use the UniFi routes at all (every UniFi route needs it too)", UNIFI)
node("unifi.sites.fetch.many", "List the tracked UniFi sites", UNIFI, ["unifi.access"])
node("unifi.sites.fetch", "Read one tracked UniFi site", UNIFI, ["unifi.access"])
node("unifi.sites.sync", "Pull the sites from the UniFi controllers now", UNIFI, ["unifi.access"])
node("unifi.sites.create", "Create a site on a UniFi controller and track it", UNIFI, ["unifi.access"])
node("unifi.sites.link", "Link a UniFi site to a client, or unlink it", UNIFI, ["unifi.access"])
node("unifi.site.overview", "Read a site's live health and controller information", UNIFI, ["unifi.access"])
node("unifi.site.devices", "Read a site's live device list", UNIFI, ["unifi.access"])
node("unifi.site.networks", "Read a site's networks (VLANs)", UNIFI, ["unifi.access"])
node("unifi.site.access-points", "Read a site's access points", UNIFI, ["unifi.access"])
node("unifi.site.ap-groups", "Read a site's AP groups", UNIFI, ["unifi.access"])
node("unifi.site.wlan-groups", "Read a site's WLAN groups", UNIFI, ["unifi.access"])
node("unifi.site.wlan-groups.create", "Create WLAN groups", UNIFI, ["unifi.site.wlan-groups"])
node("unifi.site.speed-profiles", "Read a site's speed profiles", UNIFI, ["unifi.access"])
node("unifi.site.speed-profiles.create", "Create speed profiles", UNIFI, ["unifi.site.speed-profiles"])
node("unifi.site.wifi-limits", "Read the SSIDs per access-point radio against the limit", UNIFI, ["unifi.access"])
node("unifi.site.wifi", "Read a site's Wi-Fi networks (each field also needs its read node)", UNIFI, ["unifi.access"])
node(
    "unifi.site.wifi.update",
    "Change a Wi-Fi network (name, passphrase, security, bands...)",
    UNIFI,
    ["unifi.site.wifi"],
)
node(
    "unifi.site.wifi.ppsk", "Read a Wi-Fi network's private pre-shared keys, keys included", UNIFI, ["unifi.site.wifi"]
)
node("unifi.site.wifi.ppsk.create", "Add private pre-shared keys", UNIFI, ["unifi.site.wifi.ppsk"])

# One node per WLAN field of the response (seed 004's list, in our snake_case field names).
node("unifi.site.wifi.read.*", "See every Wi-Fi network field", WIFI_READ)
for _field in WIFI_FIELDS:
    node(f"unifi.site.wifi.read.{_field}", f"See the Wi-Fi network field '{_field}'", WIFI_READ)
