"""Permission nodes of ticketing."""

from psa.nodes import category, node

TICKET = category("ticket", "Ticket Permissions", "Reading and working tickets and their comments")
node("ticket.read", "List, search and read tickets, their public comments and their history", TICKET)
node("ticket.create", "Create tickets", TICKET, ["ticket.read"])
node("ticket.update", "Change tickets: fields, status, assignment, agents, watchers and tags", TICKET, ["ticket.read"])
node("ticket.delete", "Delete tickets", TICKET, ["ticket.read"])
node("ticket.comment.create", "Add comments (public replies) to tickets", TICKET, ["ticket.read"])
node(
    "ticket.comment.internal",
    "See and write internal notes; without it a caller sees public comments only",
    TICKET,
    ["ticket.read"],
)
node("ticket.comment.update", "Edit your own comments", TICKET, ["ticket.read"])
node("ticket.comment.react", "Add and remove reactions on comments", TICKET, ["ticket.read"])

TICKET_SETTINGS = category(
    "ticket_settings", "Ticket Settings Permissions", "Managing boards, statuses, priorities, categories and tags"
)
node(
    "ticket_settings.create",
    "Create boards, statuses, priorities, categories and tags",
    TICKET_SETTINGS,
    ["ticket.read"],
)
node(
    "ticket_settings.update",
    "Change boards, statuses, priorities, categories and tags",
    TICKET_SETTINGS,
    ["ticket.read"],
)
node(
    "ticket_settings.delete",
    "Delete boards, statuses, priorities, categories and tags",
    TICKET_SETTINGS,
    ["ticket.read"],
)

TIME_ENTRY = category("time_entry", "Time Entry Permissions", "Logging time on tickets and using the timer")
node("time_entry.read", "Read your own time entries, your timer, and the time totals of tickets", TIME_ENTRY)
node("time_entry.read.other", "Also read other users' time entries", TIME_ENTRY, ["time_entry.read"])
node("time_entry.create", "Log your own time and start and stop your timer", TIME_ENTRY, ["time_entry.read"])
node("time_entry.update", "Change your own time entries", TIME_ENTRY, ["time_entry.read"])
node("time_entry.delete", "Delete your own time entries", TIME_ENTRY, ["time_entry.read"])
node(
    "time_entry.update.other",
    "Log, change and delete time entries of other users (with the create, update or delete node)",
    TIME_ENTRY,
    ["time_entry.read.other"],
)

MATERIAL = category("material", "Material Permissions", "Products and services used on tickets")
node("material.read", "List the materials of tickets", MATERIAL, ["ticket.read"])
node("material.create", "Add materials to tickets (takes products from stock)", MATERIAL, ["material.read"])
node(
    "material.delete", "Remove unbilled materials from tickets (returns products to stock)", MATERIAL, ["material.read"]
)
