"""Work logged on tickets: time entries, the running timer (one per user), and materials used from the catalog.

Imported at the bottom of :mod:`tickets.models`, so these are ordinary models of the ``tickets`` app. All three are
client-owned through their ticket (``scope_path = "ticket__client"``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from catalog.models import CURRENCY_VALIDATOR
from psa.models import BaseModel


class WorkItemType(models.TextChoices):
    """What a time entry is logged against; only tickets so far (AlgaPSA also has project tasks, ad hoc...)."""

    TICKET = "ticket", "Ticket"


class ApprovalStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    SUBMITTED = "SUBMITTED", "Submitted"
    APPROVED = "APPROVED", "Approved"
    CHANGES_REQUESTED = "CHANGES_REQUESTED", "Changes requested"


class TimeEntry(BaseModel):
    """Time a user worked on a ticket, from ``start_time`` to ``end_time``.

    ``duration_minutes`` is the worked time, rounded to whole minutes; ``work_date`` is the day the work started in
    ``PSA_WORK_TIME_ZONE``, kept so week and day views filter on an indexed column.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    work_item_type = models.CharField(max_length=20, choices=WorkItemType.choices, default=WorkItemType.TICKET)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="time_entries")
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="time_entries"
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    work_date = models.DateField()
    is_billable = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    approval_status = models.CharField(max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT)

    scope_path = "ticket__client"

    class Meta:
        ordering = ("-start_time", "-id")
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="time_entry_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["ticket", "start_time"], name="timeentry_ticket_start"),
            models.Index(fields=["user", "work_date"], name="timeentry_user_date"),
            models.Index(fields=["start_time"], name="timeentry_start"),
        ]

    def __str__(self) -> str:
        return f"{self.duration_minutes} min on {self.ticket_id}"

    @property
    def billable_duration(self) -> int:
        return self.duration_minutes if self.is_billable else 0


class TimeTrackingSession(BaseModel):
    """A running timer. The unique ``user`` makes a second one impossible even under concurrent starts; stopping it
    turns it into a :class:`TimeEntry` and deletes it. Being a row, it survives page reloads and restarts."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracking_session")
    work_item_type = models.CharField(max_length=20, choices=WorkItemType.choices, default=WorkItemType.TICKET)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="tracking_sessions")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_time = models.DateTimeField()
    is_billable = models.BooleanField(null=True, blank=True, help_text="Empty: the service's default")
    notes = models.TextField(blank=True)

    scope_path = "ticket__client"

    class Meta:
        ordering = ("-start_time", "-id")

    def __str__(self) -> str:
        return f"Timer of {self.user_id} on {self.ticket_id}"


class TicketMaterial(BaseModel):
    """A product or service used on a ticket: quantity times rate (minor units) in a currency.

    Adding a product takes its quantity from the product's stock on hand in the same transaction; deleting the
    material puts it back.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="materials")
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    rate = models.BigIntegerField(validators=[MinValueValidator(0)], help_text="Per unit, in minor units")
    currency_code = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    description = models.TextField(blank=True)
    is_billed = models.BooleanField(default=False)
    billed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = "ticket__client"

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(service__isnull=True))
                | (Q(product__isnull=True) & Q(service__isnull=False)),
                name="material_product_or_service",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="material_quantity_positive"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="material_rate_not_negative"),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="material_ticket_created")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_name}"

    @property
    def item_name(self) -> str:
        item = self.product if self.product_id else self.service
        return item.name if item is not None else ""

    @property
    def total(self) -> int:
        return self.quantity * self.rate
