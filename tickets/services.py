"""Every write to a ticket goes through here: one transaction holds the change, its audit event and its history.

The API viewsets and the UI views both call these functions, so a status change made in the browser and one made
by the mobile app close the ticket the same way and leave the same history.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from psa import audit, search
from psa.api.exceptions import Conflict
from tickets.models import (
    Comment,
    Reaction,
    Status,
    Tag,
    Ticket,
    TicketAgent,
    TicketChange,
    TicketWatcher,
    allocate_ticket_number,
)

SCALAR_FIELDS = (
    "title", "description", "attributes", "client", "contact", "location", "board", "status", "priority",
    "category", "subcategory", "assigned_to", "due_date", "source",
)  # fmt: skip
DISPLAY_LIMIT = 500


def _actor(request) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= DISPLAY_LIMIT else text[: DISPLAY_LIMIT - 1] + "…"


def history_state(ticket: Ticket) -> dict[str, tuple[Any, str]]:
    """``field -> (raw value, display text)`` for everything the ticket history tracks."""

    def ref(obj):
        return (str(obj.pk), str(obj)) if obj is not None else (None, "")

    due = ticket.due_date
    state = {
        "title": (ticket.title, _short(ticket.title)),
        "description": (ticket.description, _short(ticket.description)),
        "client": ref(ticket.client),
        "contact": ref(ticket.contact),
        "location": ref(ticket.location),
        "board": ref(ticket.board),
        "status": ref(ticket.status),
        "priority": ref(ticket.priority),
        "category": ref(ticket.category),
        "subcategory": ref(ticket.subcategory),
        "assigned_to": ref(ticket.assigned_to),
        "due_date": (_iso(due), due.strftime("%Y-%m-%d %H:%M UTC") if due else ""),
        "attributes": (ticket.attributes or {}, ""),
    }
    if ticket.pk is not None:
        tags = sorted(t.text for t in ticket.tags.all())
        state["tags"] = (tags, ", ".join(tags))
        watchers = sorted(str(w.user_id) if w.user_id else w.email for w in ticket.watchers.select_related("user"))
        names = sorted(str(w) for w in ticket.watchers.select_related("user"))
        state["watchers"] = (watchers, ", ".join(names))
    return state


def _record_history(request, ticket: Ticket, before: dict, after: dict) -> list[TicketChange]:
    actor = _actor(request)
    rows = []
    for field, (new_raw, new_display) in after.items():
        old_raw, old_display = before.get(field, (None, ""))
        if old_raw == new_raw:
            continue
        rows.append(
            TicketChange(
                ticket=ticket,
                actor=actor,
                actor_name=str(actor or "")[:255],
                action=TicketChange.Action.UPDATED,
                field=field,
                old_value=old_raw,
                new_value=new_raw,
                old_display=old_display,
                new_display=new_display,
            )
        )
    TicketChange.objects.bulk_create(rows)
    return rows


def _event(request, ticket: Ticket, action: str, field: str = "", old=None, new=None, old_display="", new_display=""):
    actor = _actor(request)
    return TicketChange.objects.create(
        ticket=ticket,
        actor=actor,
        actor_name=str(actor or "")[:255],
        action=action,
        field=field,
        old_value=old,
        new_value=new,
        old_display=_short(old_display),
        new_display=_short(new_display),
    )


def _sync_closed(ticket: Ticket, status: Status, actor) -> None:
    """``is_closed`` follows the status; closing stamps closed_at/closed_by, reopening clears them."""
    if status.is_closed and not ticket.is_closed:
        ticket.closed_at, ticket.closed_by = timezone.now(), actor
    elif not status.is_closed:
        ticket.closed_at, ticket.closed_by = None, None
    ticket.is_closed = status.is_closed


def resolve_tags(texts: list[str], request: Any = None) -> list[Tag]:
    """Existing tags matched case-insensitively (or by id); new texts create tags.

    Tags are shared by every client, so a client-scoped caller (``psa.access.is_scoped``) may only use existing ones.
    """
    from rest_framework.exceptions import PermissionDenied

    from psa.access import is_scoped
    from psa.utils import is_uuid

    tags = []
    for text in texts:
        tag = None
        if is_uuid(text):
            tag = Tag.objects.filter(pk=text).first()
        if tag is None:
            tag = Tag.objects.filter(text__iexact=text).first()
        if tag is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and is_scoped(request):  # not system work (syncs)
                raise PermissionDenied(
                    f"A client-scoped caller can only use existing tags; '{text[:64]}' would be a new tag, "
                    "and tags are shared by every client."
                )
            tag = Tag.objects.create(text=text)
        tags.append(tag)
    return tags


def _set_watchers(ticket: Ticket, spec: dict) -> None:
    items = spec["items"]
    existing = list(ticket.watchers.all())
    if spec["mode"] == "users":  # attributes.watcher_user_ids: e-mail watchers stay
        existing = [w for w in existing if w.user_id]
    wanted = {("u", i["user"].pk) if i["user"] else ("e", i["email"]): i for i in items}
    have = {("u", w.user_id) if w.user_id else ("e", w.email.lower()): w for w in existing}
    for key, watcher in have.items():
        if key not in wanted:
            watcher.delete()
    for key, item in wanted.items():
        if key not in have:
            TicketWatcher.objects.create(ticket=ticket, user=item["user"], email=item["email"], name=item["name"])


def _with_suppression(changes: dict, suppress: frozenset[str]) -> dict:
    """Record on the change which audiences were not to be notified (the mobile app's "don't notify" switches).

    Nothing sends notifications yet; when something does, it receives ``suppress`` from the same call.
    """
    if suppress:
        changes = {**changes, "notifications_suppressed": {"old": None, "new": sorted(suppress)}}
    return changes


def create_ticket(request, data: dict, *, source: str | None = None, suppress: frozenset[str] = frozenset()) -> Ticket:
    """Create a ticket from validated serializer data; ``suppress`` names audiences not to notify."""
    actor = _actor(request)
    with transaction.atomic():
        number, sequence = allocate_ticket_number()
        ticket = Ticket(ticket_number=number, number_sequence=sequence, entered_by=actor, updated_by=actor)
        for name in SCALAR_FIELDS:
            if name in data:
                setattr(ticket, name, data[name])
        if source is not None and "source" not in data:
            ticket.source = source
        _sync_closed(ticket, ticket.status, actor)
        ticket.save()
        if data.get("tags"):
            ticket.tags.set(resolve_tags(data["tags"], request))
        if data.get("watchers"):
            _set_watchers(ticket, data["watchers"])
        changes = _with_suppression(audit.diff({}, audit.snapshot(ticket)), suppress)
        audit.record(request, "create", ticket, changes=changes)
        _event(request, ticket, TicketChange.Action.CREATED, new=number, new_display=number)
    return ticket


def update_ticket(
    request, ticket: Ticket, data: dict, *, bundle_sync: bool = False, suppress: frozenset[str] = frozenset()
) -> Ticket:
    """Apply validated changes to ``ticket`` (only the fields in ``data``), with audit and history.

    The bundle rules apply here, so every path obeys them: a bundled child's workflow fields are locked (unless this
    is the master's change being copied, ``bundle_sync``), and a master's changes reach its children. ``suppress``
    names the notifications the caller asked to suppress (recorded on the change).
    """
    from tickets import bundles

    actor = _actor(request)
    if not bundle_sync:
        bundles.check_locked_fields(ticket, data)
    with transaction.atomic():
        before_audit, before_history = audit.snapshot(ticket), history_state(ticket)
        changed: set[str] = set()
        for name in SCALAR_FIELDS:
            if name in data and getattr(ticket, name) != data[name]:
                setattr(ticket, name, data[name])
                changed.add(name)
        if "status" in changed:
            _sync_closed(ticket, ticket.status, actor)
            changed |= {"is_closed", "closed_at", "closed_by"}
        if "assigned_to" in changed and ticket.assigned_to_id:
            # The primary assignee is not also an additional agent.
            TicketAgent.objects.filter(ticket=ticket, user_id=ticket.assigned_to_id).delete()
        if "tags" in data:
            ticket.tags.set(resolve_tags(data["tags"], request))
        if "watchers" in data:
            _set_watchers(ticket, data["watchers"])
        after_history = history_state(ticket)
        if changed or after_history != before_history:
            ticket.updated_by = actor
            changed |= {"updated_by", "updated_at"}
            ticket.save(update_fields=sorted(changed))
            changes = audit.diff(before_audit, audit.snapshot(ticket))
            if changes:
                audit.record(request, "update", ticket, changes=_with_suppression(changes, suppress))
            _record_history(request, ticket, before_history, after_history)
            bundles.propagate(request, ticket, changed)
    return ticket


def change_status(request, ticket: Ticket, status: Status, *, suppress: frozenset[str] = frozenset()) -> Ticket:
    if status.board_id != ticket.board_id:
        raise ValidationError({"status_id": [f"This status does not belong to the board '{ticket.board}'."]})
    return update_ticket(request, ticket, {"status": status}, suppress=suppress)


def assign(request, ticket: Ticket, user, *, suppress: frozenset[str] = frozenset()) -> Ticket:
    from tickets.api.serializers import can_see_client

    if user is not None and not can_see_client(user, ticket.client):
        raise ValidationError({"assigned_to": ["This user cannot see this client's tickets."]})
    return update_ticket(request, ticket, {"assigned_to": user}, suppress=suppress)


def delete_ticket(request, ticket: Ticket) -> None:
    with transaction.atomic():
        before = audit.snapshot(ticket)
        audit.record(
            request, "delete", ticket, changes=audit.diff(before, {}), object_type="tickets.ticket", object_id=ticket.pk
        )
        ticket.delete()


def _touch(request, ticket: Ticket) -> None:
    ticket.updated_by = _actor(request)
    ticket.save(update_fields=["updated_by", "updated_at"])


def add_agent(request, ticket: Ticket, user, role: str = "support") -> TicketAgent | None:
    """Add an additional agent; on a ticket with no primary assignee the user becomes the primary."""
    from tickets.api.serializers import can_see_client

    if not can_see_client(user, ticket.client):
        raise ValidationError({"user_id": ["This user cannot see this client's tickets."]})
    if ticket.assigned_to_id == user.pk:
        raise Conflict("This user is already the ticket's primary agent.")
    if ticket.agents.filter(user=user).exists():
        raise Conflict("This user is already an agent on this ticket.")
    if ticket.assigned_to_id is None:
        update_ticket(request, ticket, {"assigned_to": user})
        return None
    with transaction.atomic():
        agent = TicketAgent.objects.create(ticket=ticket, user=user, role=role)
        audit.record(request, "update", ticket, changes={"additional_agents": {"old": None, "new": str(user.pk)}})
        _event(request, ticket, TicketChange.Action.AGENT_ADDED, "additional_agents", None, str(user.pk), "", str(user))
        _touch(request, ticket)
    return agent


def remove_agent(request, ticket: Ticket, user_id) -> None:
    agent = ticket.agents.select_related("user").filter(user_id=user_id).first()
    if agent is None:
        from django.http import Http404

        raise Http404
    with transaction.atomic():
        agent.delete()
        audit.record(request, "update", ticket, changes={"additional_agents": {"old": str(user_id), "new": None}})
        _event(
            request, ticket, TicketChange.Action.AGENT_REMOVED, "additional_agents", str(user_id), None, str(agent.user)
        )
        _touch(request, ticket)


def add_watcher(request, ticket: Ticket, user, email: str, name: str) -> TicketWatcher:
    existing = ticket.watchers.filter(user=user) if user else ticket.watchers.filter(user=None, email__iexact=email)
    if existing.exists():
        raise Conflict("Already watching this ticket.")
    with transaction.atomic():
        watcher = TicketWatcher.objects.create(ticket=ticket, user=user, email="" if user else email, name=name)
        label = str(user) if user else email
        value = str(user.pk) if user else email
        audit.record(request, "update", ticket, changes={"watchers": {"old": None, "new": value}})
        _event(request, ticket, TicketChange.Action.WATCHER_ADDED, "watchers", None, value, "", label)
        _touch(request, ticket)
    return watcher


def remove_watcher(request, ticket: Ticket, user_id=None, email: str = "") -> None:
    condition = Q(user_id=user_id) if user_id else Q(user=None, email__iexact=email)
    watcher = ticket.watchers.select_related("user").filter(condition).first()
    if watcher is None:
        from django.http import Http404

        raise Http404
    with transaction.atomic():
        value = str(watcher.user_id) if watcher.user_id else watcher.email
        watcher.delete()
        audit.record(request, "update", ticket, changes={"watchers": {"old": value, "new": None}})
        _event(request, ticket, TicketChange.Action.WATCHER_REMOVED, "watchers", value, None, str(watcher))
        _touch(request, ticket)


def add_comment(
    request,
    ticket: Ticket,
    text: str,
    *,
    is_internal: bool = False,
    is_resolution: bool = False,
    parent: Comment | None = None,
) -> Comment:
    """Add a comment; a reply takes the visibility of its thread's root, whatever ``is_internal`` says."""
    actor = _actor(request)
    root = None
    if parent is not None:
        root = parent.thread_root or parent
        is_internal = root.is_internal
    with transaction.atomic():
        comment = Comment.objects.create(
            ticket=ticket,
            author_user=actor,
            author_type=Comment.AuthorType.INTERNAL,
            text=text,
            is_internal=is_internal,
            is_resolution=is_resolution,
            parent=parent,
            thread_root=root,
        )
        audit.record(request, "create", comment, changes=audit.diff({}, audit.snapshot(comment)))
        kind = "internal note" if is_internal else "public reply"
        _event(request, ticket, TicketChange.Action.COMMENTED, "comments", None, str(comment.pk), "", kind)
        _touch(request, ticket)
        from tickets import bundles

        bundles.after_comment(request, ticket, comment)
    return comment


def edit_comment(request, comment: Comment, text: str, is_resolution: bool | None = None) -> Comment:
    with transaction.atomic():
        before = audit.snapshot(comment)
        comment.text = text
        fields = ["text", "edited_at", "updated_at"]
        if is_resolution is not None:
            comment.is_resolution = is_resolution
            fields.append("is_resolution")
        comment.edited_at = timezone.now()
        comment.save(update_fields=fields)
        audit.record(request, "update", comment, changes=audit.diff(before, audit.snapshot(comment)))
        _event(request, comment.ticket, TicketChange.Action.COMMENT_EDITED, "comments", None, str(comment.pk))
    return comment


def toggle_reaction(request, comment: Comment, emoji: str) -> bool:
    """Add the caller's reaction, or remove it when it is there; ``True`` when added."""
    user = _actor(request)
    with transaction.atomic():
        deleted, _ = Reaction.objects.filter(comment=comment, user=user, emoji=emoji).delete()
        if deleted:
            return False
        Reaction.objects.create(comment=comment, user=user, emoji=emoji)
        return True


def sync_status_closed(status: Status) -> int:
    """After a status's ``is_closed`` changed, bring its tickets in step; returns how many changed."""
    tickets = Ticket.objects.filter(status=status).exclude(is_closed=status.is_closed)
    ids = list(tickets.values_list("pk", flat=True))
    if status.is_closed:
        changed = tickets.update(is_closed=True, closed_at=timezone.now(), updated_at=timezone.now())
    else:
        changed = tickets.update(is_closed=False, closed_at=None, closed_by=None, updated_at=timezone.now())
    search.reindex(Ticket, ids)  # the index knows which tickets are open
    return changed
