"""Permission nodes of the integrations (sources, their tests and syncs, sync runs)."""

from psa.nodes import category, node

INTEGRATION = category("integration", "Integration Permissions", "Configuring and running ConnectWise, Hudu, UniFi")
node("integration.source.read", "List and read integration sources (secrets are never shown)", INTEGRATION)
node(
    "integration.source.create", "Add integration sources, with their secrets", INTEGRATION, ["integration.source.read"]
)
node(
    "integration.source.update",
    "Change integration sources and their secrets",
    INTEGRATION,
    ["integration.source.read"],
)
node("integration.source.delete", "Delete integration sources", INTEGRATION, ["integration.source.read"])
node("integration.source.test", "Test a source's connection and credentials", INTEGRATION, ["integration.source.read"])
node("integration.source.sync", "Start a sync of a source now", INTEGRATION, ["integration.source.read"])
node("integration.sync_run.read", "List and read sync runs with their counts and errors", INTEGRATION)
