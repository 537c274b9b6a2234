"""Ticketing: boards, statuses, priorities, categories, tags, tickets, comments, reactions and ticket history.

Later work hangs off :class:`Ticket` the same way comments do: time entries, documents, materials and asset links
are rows with a ``ticket`` foreign key and ``scope_path = "ticket__client"``; bundles add a nullable
``master_ticket`` self-reference. Every change to a ticket goes through :mod:`tickets.services`, which writes the
audit event and the :class:`TicketChange` history rows in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from psa import references
from psa.models import BaseModel
from psa.references import ReferenceQuerySet
from tickets.markdown import render as render_markdown

COLOR_VALIDATOR = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a colour like #1F2937.")
COMMENT_MAX_LENGTH = 20_000
TICKET_NUMBER_START = 1000  # the first ticket of a prefix gets START + 1


@references.register  # few rows, read by every ticket list
class Board(BaseModel):
    """A queue of tickets (service desk, projects, alerts...) with its own statuses and categories."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="New tickets land here when no board is given.")
    is_active = models.BooleanField(default=True)
    display_order = models.PositiveIntegerField(default=0)
    default_priority = models.ForeignKey(
        "tickets.Priority", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("display_order", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_board")
        ]

    def __str__(self) -> str:
        return self.name


@references.register  # few rows, read by every ticket list
class Status(BaseModel):
    """A step of a board's workflow. ``is_closed`` statuses close the tickets that reach them."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="statuses")
    name = models.CharField(max_length=100)
    is_closed = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False, help_text="The status of new tickets on this board.")
    order = models.PositiveIntegerField(default=0)
    color = models.CharField(max_length=7, default="#6B7280", validators=[COLOR_VALIDATOR])

    class Meta:
        ordering = ("board__display_order", "board__name", "order", "name", "id")
        verbose_name_plural = "statuses"
        constraints = [
            models.UniqueConstraint(fields=["board", "name"], name="unique_status_name_per_board"),
            models.UniqueConstraint(
                fields=["board"], condition=Q(is_default=True), name="one_default_status_per_board"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@references.register  # few rows, read by every ticket list
class Priority(BaseModel):
    """How urgent a ticket is; ``order`` ranks them (1 = most urgent)."""

    name = models.CharField(max_length=100, unique=True)
    order = models.PositiveIntegerField(default=50)
    color = models.CharField(max_length=7, default="#6B7280", validators=[COLOR_VALIDATOR])
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ("order", "name", "id")
        verbose_name_plural = "priorities"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_priority")
        ]

    def __str__(self) -> str:
        return self.name


@references.register  # few rows (a board's categories), read by every ticket list
class Category(BaseModel):
    """A board's ticket category; one with a ``parent`` is a subcategory (two levels)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("board__name", "display_order", "name", "id")
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["board", "name"], condition=Q(parent__isnull=True), name="unique_top_category_per_board"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="unique_subcategory_per_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class Tag(BaseModel):
    text = models.CharField(max_length=50)
    background_color = models.CharField(max_length=7, default="#E5E7EB", validators=[COLOR_VALIDATOR])
    text_color = models.CharField(max_length=7, default="#111827", validators=[COLOR_VALIDATOR])

    class Meta:
        ordering = ("text", "id")
        constraints = [models.UniqueConstraint(Lower("text"), name="unique_tag_text_ci")]

    def __str__(self) -> str:
        return self.text


class TicketNumberCounter(models.Model):
    """One row per ticket-number prefix; incremented inside the ticket's create transaction."""

    prefix = models.CharField(max_length=20, primary_key=True)
    last_value = models.BigIntegerField(default=TICKET_NUMBER_START)

    class Meta:
        ordering = ("prefix",)

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_value}"


def allocate_ticket_number(prefix: str | None = None) -> tuple[str, int]:
    """The next ``(ticket_number, sequence)`` for ``prefix``; call it inside the ticket's create transaction.

    ``UPDATE ... SET last_value = last_value + 1`` takes the row lock (PostgreSQL) or the write lock (SQLite runs
    ``BEGIN IMMEDIATE``) until the transaction ends, so two creators never read the same value; a rolled-back
    create gives its number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_ticket_number() must run inside the ticket's transaction")
    prefix = prefix if prefix is not None else settings.TICKET_NUMBER_PREFIX
    counters = TicketNumberCounter.objects.filter(prefix=prefix)
    if not counters.update(last_value=F("last_value") + 1):
        try:
            with transaction.atomic():
                TicketNumberCounter.objects.create(prefix=prefix, last_value=TICKET_NUMBER_START)
        except IntegrityError:
            pass  # another transaction created it first; the update below waits for it
        counters.update(last_value=F("last_value") + 1)
    value = counters.values_list("last_value", flat=True).get()
    return f"{prefix}{value}", value


class Ticket(BaseModel):
    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        EMAIL = "email", "Email"
        ASSET = "asset", "Asset"
        MOBILE = "mobile", "Mobile"

    ticket_number = models.CharField(max_length=40, unique=True, editable=False)
    number_sequence = models.BigIntegerField(editable=False, db_index=True)
    title = models.CharField(max_length=255, validators=[MinLengthValidator(1)])
    description = models.TextField(blank=True, help_text="Markdown")
    # Rendered (Markdown, then nh3) once on save, as a comment's is, not on every view of the ticket. Nullable only so
    # that SQLite adds it in place: Django rebuilds the table for a NOT NULL column, which drops the triggers keeping
    # the group counts (tickets/stats_models.py) and copies every ticket. NULL and "" both mean "not rendered yet".
    description_html = models.TextField(null=True, blank=True, editable=False)
    attributes = models.JSONField(default=dict, blank=True, help_text="Free-form extra attributes")

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="tickets")
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    location = models.ForeignKey(
        "clients.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="tickets")
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="tickets")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="tickets")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subcategory = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    due_date = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)

    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    is_closed = models.BooleanField(default=False, help_text="Copied from the status on every change.")

    scope_path = "client"

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ("-entered_at", "-id")
        indexes = [
            models.Index(fields=["is_closed", "entered_at"], name="ticket_closed_entered"),
            models.Index(fields=["is_closed", "updated_at"], name="ticket_closed_updated"),
            # Serve the default sort (newest entered first) under the common filters: none, has_assignment=false
            # or assigned_to=me (with or without is_open), and the stats' one group-by as an index-only scan.
            models.Index(fields=["entered_at", "id"], name="ticket_perf_entered"),
            models.Index(fields=["assigned_to", "is_closed", "entered_at"], name="ticket_perf_assignee_entered"),
            models.Index(fields=["board", "status", "priority"], name="ticket_perf_board_status_prio"),
            models.Index(fields=["updated_at", "entered_at"], name="ticket_perf_updated_entered"),
            models.Index(fields=["client", "is_closed"], name="ticket_client_closed"),
            models.Index(fields=["status", "entered_at"], name="ticket_status_entered"),
            models.Index(fields=["due_date"], name="ticket_due"),
            models.Index(fields=["closed_at"], name="ticket_closed_at"),
            # The stats' overdue count and average resolution, each one range of an index (index-only on PostgreSQL).
            models.Index(fields=["is_closed", "due_date"], name="ticket_stats_open_due"),
            models.Index(fields=["is_closed", "closed_at", "entered_at"], name="ticket_stats_resolution"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.title}"

    def save(self, *args, **kwargs):
        # Whatever path saves a ticket (services, the admin, a script), is_closed follows the status.
        if self.status_id is not None:
            closed = self.status.is_closed
            synced = {"is_closed": closed}
            if closed and self.closed_at is None:
                synced["closed_at"] = timezone.now()
            if not closed and (self.closed_at is not None or self.closed_by_id is not None):
                synced.update(closed_at=None, closed_by=None)
            changed = [name for name, value in synced.items() if getattr(self, name) != value]
            for name in changed:
                setattr(self, name, synced[name])
            if changed and kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], *changed}
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "description" in update_fields:
            self.description_html = render_markdown(self.description)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "description_html"}
        super().save(*args, **kwargs)

    @property
    def rendered_description(self) -> str:
        """The description as safe HTML (rendered on save; a row written without ``save()`` is rendered now)."""
        if self.description_html or not self.description:
            return self.description_html or ""
        return render_markdown(self.description)

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_date is not None and self.due_date < timezone.now()


class TicketAgent(BaseModel):
    """An additional agent working a ticket besides its primary assignee."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="agents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=50, default="support")

    scope_path = "ticket__client"

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="unique_ticket_agent")]

    def __str__(self) -> str:
        return f"{self.user} on {self.ticket_id}"


class TicketWatcher(BaseModel):
    """Someone told about a ticket's changes: a user, or any e-mail address."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)

    scope_path = "ticket__client"

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "user"], condition=Q(user__isnull=False), name="unique_watcher_user"
            ),
            models.UniqueConstraint(
                "ticket", Lower("email"), condition=Q(user__isnull=True), name="unique_watcher_email"
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email=""), name="watcher_user_or_email"),
        ]

    def __str__(self) -> str:
        return str(self.user) if self.user_id else self.email


class Comment(BaseModel):
    """A reply or note on a ticket. A reply (``parent``) takes the visibility of its thread's root."""

    class AuthorType(models.TextChoices):
        INTERNAL = "internal", "Internal user"
        CLIENT = "client", "Client contact"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_type = models.CharField(max_length=10, choices=AuthorType.choices, default=AuthorType.INTERNAL)
    text = models.TextField(validators=[MinLengthValidator(1), MaxLengthValidator(COMMENT_MAX_LENGTH)])
    # Rendered (Markdown, then nh3) once on save, not on every view; escaping can make it several times the text.
    text_html = models.TextField(blank=True, editable=False, max_length=COMMENT_MAX_LENGTH * 10)
    is_internal = models.BooleanField(default=False)
    is_resolution = models.BooleanField(default=False)
    is_system = models.BooleanField(default=False, help_text="Written by the system; never editable.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty for a root."
    )
    edited_at = models.DateTimeField(null=True, blank=True)

    scope_path = "ticket__client"

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        return f"Comment on {self.ticket_id}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "text" in update_fields:
            self.text_html = render_markdown(self.text)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "text_html"}
        super().save(*args, **kwargs)

    @property
    def html(self) -> str:
        """The text as safe HTML (rendered on save; rows written without ``save()`` are rendered now)."""
        return self.text_html or render_markdown(self.text)

    @property
    def thread_id(self):
        return self.thread_root_id or self.id

    @property
    def author_name(self) -> str:
        if self.author_user_id and self.author_user is not None:
            return str(self.author_user)
        if self.author_contact_id and self.author_contact is not None:
            return str(self.author_contact)
        return "System" if self.is_system else ""


class Reaction(BaseModel):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)

    scope_path = "comment__ticket__client"

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=["comment", "user", "emoji"], name="unique_reaction")]

    def __str__(self) -> str:
        return self.emoji


class TicketChange(BaseModel):
    """One line of a ticket's history: who changed which field from what to what, and when.

    ``old_value``/``new_value`` keep the raw values (ids, ISO dates); ``old_display``/``new_display`` keep the
    names as they were at the time, so the history still reads right after a status is renamed or deleted.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        COMMENTED = "commented", "Commented"
        COMMENT_EDITED = "comment_edited", "Edited a comment"
        AGENT_ADDED = "agent_added", "Added an agent"
        AGENT_REMOVED = "agent_removed", "Removed an agent"
        WATCHER_ADDED = "watcher_added", "Added a watcher"
        WATCHER_REMOVED = "watcher_removed", "Removed a watcher"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    field = models.CharField(max_length=50, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    old_display = models.TextField(blank=True)
    new_display = models.TextField(blank=True)

    scope_path = "ticket__client"

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketchange_ticket_created")]

    def __str__(self) -> str:
        return f"{self.action} {self.field}".strip()


# Models of later features live in their own modules, imported here so Django finds them.
from tickets.asset_link_models import TicketAssetLink  # noqa: E402, F401
from tickets.bundle_models import BundleMirror, TicketBundle, TicketBundleChild  # noqa: E402, F401
from tickets.document_models import Document, DocumentAssociation  # noqa: E402, F401
from tickets.stats_models import ClientTicketGroupCount, TicketGroupCount  # noqa: E402, F401
from tickets.time_models import TicketMaterial, TimeEntry, TimeTrackingSession  # noqa: E402, F401
