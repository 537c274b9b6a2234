"""Permission nodes of the shared framework."""

from psa.nodes import category, node

GLOBAL = category("global", "Global Permissions", "Global wildcard permissions that grant access to all resources")
node("*", "Full access to all resources and actions (administrator role)", GLOBAL)

AUDIT = category("audit", "Audit Permissions", "Reading the audit log")
node("audit.read", "Read audit events of the clients in scope", AUDIT)

JOBS = category("job", "Background Job Permissions", "Reading the record of background work")
node("job.read", "Read background job runs", JOBS)
