"""Permission nodes of client documentation: assets, networks, domains, certificates and software."""

from psa.nodes import category, node

_RESOURCES = {
    "asset": ("Asset", "assets and their interfaces"),
    "network": ("Network", "networks"),
    "domain": ("Domain", "domains"),
    "certificate": ("Certificate", "certificates"),
    "software": ("Software", "software, licences and seat assignments"),
}

for _key, (_label, _what) in _RESOURCES.items():
    _category = category(_key, f"{_label} Permissions", f"Reading and managing {_what}")
    node(f"{_key}.read", f"List and read {_what}", _category)
    node(f"{_key}.create", f"Create {_what}", _category, [f"{_key}.read"])
    node(f"{_key}.update", f"Update {_what}", _category, [f"{_key}.read"])
    node(f"{_key}.delete", f"Delete {_what}", _category, [f"{_key}.read"])

node("asset.upsert", "Create or update assets by serial number or MAC address (RMM sync)", "asset", ["asset.read"])
