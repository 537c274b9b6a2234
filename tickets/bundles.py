"""The rules of ticket bundles (reference §1.12), applied on every path: the bundle API, ticket updates and comments
(:mod:`tickets.services` calls :func:`check_locked_fields`, :func:`propagate` and :func:`after_comment`), the UI.

- One level only: a master is never a child, a child never a master.
- A child's workflow fields (status, assignee, priority) are locked while it is bundled, whatever the mode.
- ``sync_updates``: a change of the master's status, assignee or priority is copied to every child (a child on
  another board gets the status of its own board with the same name, else the first with the same open/closed
  state); each public master comment is mirrored once to every child as a system comment.
- ``link_only`` only groups.
- ``reopen_on_child_reply`` (any mode): a public reply on a child reopens a closed master.
- Promoting a child moves the settings to it and re-parents the old master and the siblings; removing the last
  child removes the settings.

Every change runs in one transaction with its audit records and a ``bundle`` line in each ticket's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import Http404
from rest_framework.exceptions import ValidationError

from psa import audit
from psa.access import restrict
from psa.api.exceptions import Conflict
from tickets.bundle_models import BundleMirror, TicketBundle, TicketBundleChild
from tickets.models import Comment, Status, Ticket, TicketChange

LOCKED_FIELDS = {"status": "status_id", "assigned_to": "assigned_to", "priority": "priority_id"}
MAX_CHILDREN = 200


# ---- reading ------------------------------------------------------------------------------------------------------


def bundle_of(ticket: Ticket) -> TicketBundle | None:
    """The bundle ``ticket`` belongs to, as master or child."""
    bundle = TicketBundle.objects.filter(master=ticket).first()
    if bundle is None:
        membership = TicketBundleChild.objects.select_related("bundle").filter(ticket=ticket).first()
        bundle = membership.bundle if membership else None
    return bundle


BUNDLE_SUMMARY_FIELDS = (
    "ticket_id", "ticket_number", "title", "status_id", "status_name", "is_closed", "client_id", "client_name",
)  # fmt: skip


def _summary(request, ticket: Ticket) -> dict[str, Any]:
    """The ticket in brief, through the one field gate like every other path: a field the caller may not see is
    absent."""
    from tickets.api.serializers import TicketBriefSerializer

    return TicketBriefSerializer(ticket, context={"request": request}, fields=BUNDLE_SUMMARY_FIELDS).data


def describe(request, ticket: Ticket) -> dict[str, Any]:
    """``GET /tickets/{id}/bundle``: the ticket's role, its master, the children the caller may see, the settings."""
    bundle = bundle_of(ticket)
    if bundle is None:
        return {"role": "standalone", "master_ticket_id": None, "master": None, "children": [], "settings": None}
    visible = restrict(Ticket.objects.select_related("status", "client"), request)
    master = visible.filter(pk=bundle.master_id).first()
    children = visible.filter(bundle_membership__bundle=bundle).order_by("number_sequence", "pk")
    return {
        "role": "master" if bundle.master_id == ticket.pk else "child",
        "master_ticket_id": str(bundle.master_id),
        "master": _summary(request, master) if master else None,
        "children": [_summary(request, child) for child in children],
        "settings": {"mode": bundle.mode, "reopen_on_child_reply": bundle.reopen_on_child_reply},
    }


# ---- history and audit ---------------------------------------------------------------------------------------------


def _log(request, ticket: Ticket, *, old=None, new=None, old_display: str = "", new_display: str = "") -> None:
    from tickets import services

    services._event(
        request,
        ticket,
        TicketChange.Action.UPDATED,
        "bundle",
        old,
        new,
        old_display=old_display,
        new_display=new_display,
    )
    audit.record(request, "update", ticket, changes={"bundle": {"old": old, "new": new}})
    services._touch(request, ticket)


def _numbers(tickets: Iterable[Ticket]) -> str:
    return ", ".join(t.ticket_number for t in tickets)


# ---- checks --------------------------------------------------------------------------------------------------------


def _lock(request, ticket_ids: list) -> dict:
    queryset = restrict(Ticket.objects.all(), request).select_for_update(of=("self",))
    return {t.pk: t for t in queryset.filter(pk__in=ticket_ids)}


def _children_to_add(request, master: Ticket, ids: list, field: str = "child_ticket_ids") -> list[Ticket]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_CHILDREN:
        raise ValidationError({field: [f"At most {MAX_CHILDREN} tickets at a time."]})
    found = _lock(request, unique)
    children = []
    for index, pk in enumerate(unique):
        child = found.get(pk)
        if child is None:
            raise ValidationError({field: {index: [f"No ticket with id '{pk}'."]}})
        if child.pk == master.pk:
            raise ValidationError({field: {index: ["A ticket cannot be bundled with itself."]}})
        if TicketBundle.objects.filter(master=child).exists():
            raise ValidationError(
                {field: {index: [f"{child.ticket_number} is a bundle master: bundles are one level."]}}
            )
        membership = TicketBundleChild.objects.filter(ticket=child).select_related("bundle__master").first()
        if membership is not None:
            where = membership.bundle.master.ticket_number
            raise ValidationError({field: {index: [f"{child.ticket_number} is already bundled under {where}."]}})
        children.append(child)
    return children


def _master_bundle(ticket: Ticket) -> TicketBundle:
    bundle = TicketBundle.objects.select_for_update().filter(master=ticket).first()
    if bundle is None:
        if TicketBundleChild.objects.filter(ticket=ticket).exists():
            raise Conflict("This ticket is a bundle child; change the bundle through its master ticket.")
        raise Conflict("This ticket is not the master of a bundle; create one with POST /tickets/{id}/bundle.")
    return bundle


# ---- changes -------------------------------------------------------------------------------------------------------


def create(request, master: Ticket, child_ids: list, mode: str) -> TicketBundle:
    with transaction.atomic():
        _lock(request, [master.pk])
        if TicketBundle.objects.filter(master=master).exists():
            raise Conflict(
                "This ticket is already a bundle master; add children with POST /tickets/{id}/bundle/children."
            )
        if TicketBundleChild.objects.filter(ticket=master).exists():
            raise Conflict("This ticket is a bundle child and cannot be a master: bundles are one level.")
        children = _children_to_add(request, master, child_ids)
        bundle = TicketBundle.objects.create(master=master, mode=mode)
        _attach(request, bundle, children)
    return bundle


def add_children(request, master: Ticket, child_ids: list) -> TicketBundle:
    with transaction.atomic():
        bundle = _master_bundle(master)
        children = _children_to_add(request, master, child_ids)
        _attach(request, bundle, children)
    return bundle


def _attach(request, bundle: TicketBundle, children: list[Ticket]) -> None:
    TicketBundleChild.objects.bulk_create([TicketBundleChild(bundle=bundle, ticket=child) for child in children])
    master = bundle.master
    ids = [str(child.pk) for child in children]
    label = f"Bundled {_numbers(children)} ({bundle.get_mode_display().lower()})"
    _log(request, master, new={"children_added": ids, "mode": bundle.mode}, new_display=label)
    for child in children:
        _log(request, child, new={"master": str(master.pk)}, new_display=f"Bundled under {master.ticket_number}")


def remove_child(request, master: Ticket, child_id) -> None:
    with transaction.atomic():
        bundle = _master_bundle(master)
        membership = bundle.children.select_related("ticket").filter(ticket_id=child_id).first()
        if membership is None or not restrict(Ticket.objects.filter(pk=child_id), request).exists():
            raise Http404
        child = membership.ticket
        membership.delete()
        _log(
            request, master, old={"child": str(child.pk)}, old_display=f"Removed {child.ticket_number} from the bundle"
        )
        _log(request, child, old={"master": str(master.pk)}, old_display=f"Left the bundle of {master.ticket_number}")
        if not bundle.children.exists():
            bundle.delete()
            _log(request, master, old={"mode": bundle.mode}, old_display="Bundle dissolved: no children left")


def dissolve(request, master: Ticket) -> None:
    with transaction.atomic():
        bundle = _master_bundle(master)
        children = [m.ticket for m in bundle.children.select_related("ticket")]
        bundle.delete()
        ids = [str(child.pk) for child in children]
        _log(request, master, old={"children": ids, "mode": bundle.mode}, old_display=f"Unbundled {_numbers(children)}")
        for child in children:
            _log(
                request, child, old={"master": str(master.pk)}, old_display=f"Left the bundle of {master.ticket_number}"
            )


def promote(request, master: Ticket, new_master_id) -> TicketBundle:
    with transaction.atomic():
        bundle = _master_bundle(master)
        membership = bundle.children.select_related("ticket").filter(ticket_id=new_master_id).first()
        if membership is None or not restrict(Ticket.objects.filter(pk=new_master_id), request).exists():
            raise ValidationError({"new_master_ticket_id": ["Choose one of this bundle's children."]})
        new_master = membership.ticket
        # The old master joins before the new one leaves, so the bundle never has no child (tickets.signals).
        TicketBundleChild.objects.create(bundle=bundle, ticket=master)
        membership.delete()
        bundle.master = new_master
        bundle.save(update_fields=["master", "updated_at"])
        _log(
            request, master, old={"master": str(master.pk)}, new={"master": str(new_master.pk)},
            new_display=f"{new_master.ticket_number} promoted to master; this ticket is now a child",
        )  # fmt: skip
        _log(
            request, new_master, old={"master": str(master.pk)}, new={"master": str(new_master.pk)},
            new_display=f"Promoted to bundle master in place of {master.ticket_number}",
        )  # fmt: skip
    return bundle


def update_settings(request, master: Ticket, values: dict) -> TicketBundle:
    with transaction.atomic():
        bundle = _master_bundle(master)
        before = {"mode": bundle.mode, "reopen_on_child_reply": bundle.reopen_on_child_reply}
        for name, value in values.items():
            setattr(bundle, name, value)
        after = {"mode": bundle.mode, "reopen_on_child_reply": bundle.reopen_on_child_reply}
        if after != before:
            bundle.save(update_fields=[*values, "updated_at"])
            text = f"mode {bundle.mode}, reopen on child reply {'on' if bundle.reopen_on_child_reply else 'off'}"
            _log(request, master, old=before, new=after, new_display=f"Bundle settings: {text}")
    return bundle


# ---- hooks called by tickets.services --------------------------------------------------------------------------------


def check_locked_fields(ticket: Ticket, data: dict) -> None:
    """A bundled child's status, assignee and priority follow the master: changing them is a 400 naming the field."""
    changing = [name for name in LOCKED_FIELDS if name in data and getattr(ticket, name) != data[name]]
    if not changing:
        return
    membership = TicketBundleChild.objects.select_related("bundle__master").filter(ticket=ticket).first()
    if membership is None:
        return
    number = membership.bundle.master.ticket_number
    raise ValidationError(
        {
            LOCKED_FIELDS[name]: [
                f"This ticket is bundled under {number}; its workflow fields are locked. Update the master ticket instead."
            ]
            for name in changing
        }
    )


def _status_for(child: Ticket, status: Status) -> Status | None:
    if child.board_id == status.board_id:
        return status
    statuses = Status.objects.filter(board_id=child.board_id)
    return (
        statuses.filter(name__iexact=status.name).first()
        or statuses.filter(is_closed=status.is_closed).order_by("-is_default", "order", "name").first()
    )


def propagate(request, master: Ticket, changed: set[str]) -> None:
    """After the master changed, copy its status, assignee and priority to its children (``sync_updates``)."""
    fields = [name for name in LOCKED_FIELDS if name in changed]
    if not fields:
        return
    bundle = TicketBundle.objects.filter(master=master, mode=TicketBundle.Mode.SYNC_UPDATES).first()
    if bundle is None:
        return
    from tickets import services
    from tickets.api.serializers import can_see_client

    children = Ticket.objects.select_for_update(of=("self",)).filter(bundle_membership__bundle=bundle)
    for child in children.select_related("client", "status", "priority", "assigned_to").order_by("pk"):
        data: dict[str, Any] = {}
        if "status" in fields:
            status = _status_for(child, master.status)
            if status is not None:
                data["status"] = status
        if "priority" in fields:
            data["priority"] = master.priority
        if "assigned_to" in fields and (master.assigned_to is None or can_see_client(master.assigned_to, child.client)):
            data["assigned_to"] = master.assigned_to
        if data:
            services.update_ticket(request, child, data, bundle_sync=True)


def after_comment(request, ticket: Ticket, comment: Comment) -> None:
    """Mirror a public master comment to the children; reopen a closed master on a public child reply."""
    if comment.is_internal or comment.is_system:
        return
    bundle = TicketBundle.objects.filter(master=ticket).first()
    if bundle is not None:
        if bundle.mode == TicketBundle.Mode.SYNC_UPDATES:
            _mirror(request, bundle, comment)
        return
    membership = TicketBundleChild.objects.select_related("bundle__master__status").filter(ticket=ticket).first()
    if membership is not None and membership.bundle.reopen_on_child_reply and membership.bundle.master.is_closed:
        _reopen(request, membership.bundle.master, ticket)


def _mirror(request, bundle: TicketBundle, comment: Comment) -> None:
    from tickets import services

    already = set(BundleMirror.objects.filter(source_comment=comment).values_list("child_ticket_id", flat=True))
    for child in Ticket.objects.filter(bundle_membership__bundle=bundle).exclude(pk__in=already).order_by("pk"):
        copy = Comment.objects.create(
            ticket=child,
            author_type=Comment.AuthorType.SYSTEM,
            text=comment.text,
            is_internal=False,
            is_resolution=comment.is_resolution,
            is_system=True,
        )
        BundleMirror.objects.create(source_comment=comment, child_ticket=child, child_comment=copy)
        services._event(
            request, child, TicketChange.Action.COMMENTED, "comments", None, str(copy.pk), "",
            f"public reply mirrored from {bundle.master.ticket_number}",
        )  # fmt: skip
        services._touch(request, child)


def _reopen(request, master: Ticket, child: Ticket) -> None:
    from tickets import services

    status = (
        Status.objects.filter(board_id=master.board_id, is_closed=False)
        .order_by("-is_default", "order", "name")
        .first()
    )
    if status is None:
        return
    master = Ticket.objects.select_for_update(of=("self",)).get(pk=master.pk)
    services.update_ticket(request, master, {"status": status})
    _log(
        request, master, new={"reopen_trigger": "child_reply", "child": str(child.pk)},
        new_display=f"Reopened by a public reply on {child.ticket_number}",
    )  # fmt: skip
