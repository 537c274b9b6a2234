"""Permission nodes of the Hudu integration."""

from psa.nodes import category, node

SYSTEM_SETTINGS = category("system_settings", "System Settings", "Reading and changing how this PSA is set up")
node(
    "system_settings.read",
    "Read system settings and integration health (e.g. GET /integrations/hudu), never secrets",
    SYSTEM_SETTINGS,
)
