"""Demo tickets for ``make run``: a few dozen across two boards, with tags, categories, assignees and comments.

Tickets are written through the same services as the API and the UI (numbers, history, audit), acting as the
demo technicians, so the history, the audit log and the activity feed read as they will in real use.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.db.models import F

from psa.demo import DemoContext, demo_builder
from tickets import services
from tickets.defaults import create_defaults
from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket

# (title, description, category, subcategory, tags, priority, state)  state: new/open/waiting/closed
TICKETS = [
    ("Printer offline in reception", "The reception printer shows *offline* on every PC since this morning.",
     "Hardware", "Printer", ["printer"], "High", "open"),
    ("New starter: laptop and accounts for Mia", "Start date next Monday. Needs M365, VPN and a laptop.",
     "Accounts", "Onboarding", ["onboarding"], "Medium", "open"),
    ("Outlook keeps asking for password", "Since the weekend Outlook prompts for credentials every hour.",
     "Email", None, ["m365"], "Medium", "waiting"),
    ("VPN drops every 10 minutes", "Remote staff lose the VPN tunnel roughly every 10 minutes.",
     "Network", "VPN", ["vpn", "network"], "High", "open"),
    ("Wi-Fi slow in the conference room", "Video calls stutter; other rooms are fine.", "Network", "Wi-Fi",
     ["wifi", "network"], "Low", "new"),
    ("Replace failing disk in SRV01", "RAID controller reports a predictive failure on disk 2.", "Hardware",
     "Server", ["server"], "Critical", "open"),
    ("Certificate renewal for the website", "The TLS certificate expires this month.", "Security", None,
     ["renewal"], "Medium", "new"),
    ("Phishing email reported by staff", "Several users received a fake invoice email with a link.",
     "Security", "Phishing", ["security"], "High", "closed"),
    ("Shared mailbox for accounts@", "Please create a shared mailbox and give Hana and Bob access.", "Email",
     None, ["m365"], "Low", "closed"),
    ("Backup job failed overnight", "Last night's backup of SRV01 ended with errors.", "Backup", None,
     ["backup", "server"], "High", "open"),
    ("Monitor flickering", "Second monitor flickers when the laptop is docked.", "Hardware", None, [], "Low",
     "waiting"),
    ("Leaver: disable account for a former employee", "Disable sign-in, forward mail to the manager.",
     "Accounts", "Offboarding", ["offboarding"], "Medium", "closed"),
]  # fmt: skip
CATEGORIES = {
    "Hardware": ["Printer", "Server", "Workstation"],
    "Accounts": ["Onboarding", "Offboarding"],
    "Email": [],
    "Network": ["VPN", "Wi-Fi"],
    "Security": ["Phishing"],
    "Backup": [],
}
TAG_COLOURS = ["#DBEAFE", "#DCFCE7", "#FEF3C7", "#FCE7F3", "#E0E7FF", "#F3F4F6"]
PUBLIC_REPLIES = [
    "Thanks for reporting this, we're looking into it now.",
    "Could you tell us when this started and whether anyone else is affected?",
    "We've applied a fix remotely; please let us know if it happens again.",
]
INTERNAL_NOTES = [
    "Checked the event log: nothing obvious yet. Will look at the switch port next.",
    "Vendor ticket opened; waiting on their reply.",
    "Same issue as last month at this client; see the previous ticket.",
]


def _acting(user) -> SimpleNamespace:
    """A stand-in request so that history and audit rows name the technician who did it."""
    return SimpleNamespace(user=user, auth=None, META={"REMOTE_ADDR": "127.0.0.1"})


def _categories(board: Board) -> dict[str, Category]:
    found: dict[str, Category] = {}
    for order, (name, children) in enumerate(CATEGORIES.items()):
        parent = Category.objects.create(board=board, name=name, display_order=order)
        found[name] = parent
        for child_order, child in enumerate(children):
            found[f"{name}/{child}"] = Category.objects.create(
                board=board, name=child, parent=parent, display_order=child_order
            )
    return found


def _projects_board() -> Board:
    board = Board.objects.create(name="Projects", description="Planned work: migrations, roll-outs, refreshes.")
    for order, (name, closed) in enumerate([("Planned", False), ("In progress", False), ("Done", True)]):
        Status.objects.create(board=board, name=name, order=(order + 1) * 10, is_closed=closed, is_default=order == 0)
    return board


@demo_builder(order=40)
def build_tickets(ctx: DemoContext) -> str:
    create_defaults()
    service_desk = Board.objects.filter(is_default=True).first() or Board.objects.order_by("display_order").first()
    projects = _projects_board()
    categories = _categories(service_desk)
    statuses = {s.name: s for s in Status.objects.filter(board=service_desk)}
    state_status = {
        "new": statuses.get("New"),
        "open": statuses.get("In Progress"),
        "waiting": statuses.get("Waiting on Client"),
        "closed": statuses.get("Closed"),
    }
    priorities = {p.name: p for p in Priority.objects.all()}
    tag_names = sorted({tag for *_, tags, _, _ in TICKETS for tag in tags})
    for index, text in enumerate(tag_names):
        Tag.objects.get_or_create(text=text, defaults={"background_color": TAG_COLOURS[index % len(TAG_COLOURS)]})
    techs = ctx.made.get("technicians") or []
    clients = [c for c in ctx.made.get("clients", []) if c.type != "prospect"]
    tickets, comments = 0, 0
    for round_number in range(3):
        for index, (title, description, category, sub, tags, priority, state) in enumerate(TICKETS):
            client = clients[(index + round_number * 5) % len(clients)]
            tech = techs[(index + round_number) % len(techs)] if techs else None
            assignee = None if state == "new" else tech
            ticket = services.create_ticket(
                _acting(tech),
                {
                    "title": title,
                    "description": description,
                    "client": client,
                    "contact": client.contacts.order_by("-is_primary", "last_name").first(),
                    "location": client.locations.order_by("-is_primary").first(),
                    "board": service_desk,
                    "status": state_status["new"],
                    "priority": priorities.get(priority) or Priority.objects.first(),
                    "category": categories.get(category),
                    "subcategory": categories.get(f"{category}/{sub}") if sub else None,
                    "assigned_to": assignee,
                    "due_date": ctx.now + datetime.timedelta(days=ctx.rng.choice([-2, 1, 3, 7])) if assignee else None,
                    "tags": tags,
                },
            )
            comments += _conversation(ctx, ticket, tech, state)
            if state != "new" and state_status[state] is not None:
                services.change_status(_acting(tech), ticket, state_status[state])
            _backdate(ctx, ticket, hours=(len(TICKETS) * 3 - (round_number * len(TICKETS) + index)) * 7)
            tickets += 1
    planned = Status.objects.get(board=projects, name="Planned")
    for title, client in [("Windows 11 refresh for the front office", clients[0]), ("Move file shares to SharePoint",
                          clients[2 % len(clients)]), ("Firewall replacement", clients[1 % len(clients)])]:  # fmt: skip
        services.create_ticket(
            _acting(techs[0] if techs else None),
            {"title": title, "client": client, "board": projects, "status": planned,
             "priority": priorities.get("Low") or Priority.objects.first()},
        )  # fmt: skip
        tickets += 1
    return f"{tickets} tickets with {comments} comments"


def _conversation(ctx: DemoContext, ticket: Ticket, tech, state: str) -> int:
    if state == "new" or tech is None:
        return 0
    request = _acting(tech)
    count = 0
    services.add_comment(request, ticket, ctx.rng.choice(PUBLIC_REPLIES))
    count += 1
    if ctx.rng.random() < 0.7:
        services.add_comment(request, ticket, ctx.rng.choice(INTERNAL_NOTES), is_internal=True)
        count += 1
    if state == "closed":
        services.add_comment(request, ticket, "Resolved: the fix is in place and confirmed.", is_resolution=True)
        count += 1
    return count


def _backdate(ctx: DemoContext, ticket: Ticket, *, hours: int) -> None:
    """Spread the demo over the last weeks: a ticket list where everything is "just now" is not believable."""
    shift = datetime.timedelta(hours=hours)
    Ticket.objects.filter(pk=ticket.pk).update(entered_at=F("entered_at") - shift, created_at=F("created_at") - shift)
    Comment.objects.filter(ticket=ticket).update(created_at=F("created_at") - shift + datetime.timedelta(hours=1))
