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
