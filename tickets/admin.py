"""Django admin for ticket configuration (boards, statuses, priorities, categories, tags) and a read-mostly ticket view.

Tickets themselves are worked in the technician UI and the API, which keep numbers, history and audit in step; the
admin shows them for support, and any save there still keeps ``is_closed`` in step with the status (Ticket.save).
"""

from django.contrib import admin

from tickets.models import Board, Category, Comment, Priority, Status, Tag, Ticket, TicketChange


class StatusInline(admin.TabularInline):
    model = Status
    extra = 0
    fields = ("name", "order", "is_closed", "is_default", "color")


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("name", "parent", "display_order", "description")


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "is_active", "display_order", "default_priority")
    list_filter = ("is_active", "is_default")
    search_fields = ("name",)
    inlines = [StatusInline, CategoryInline]


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ("name", "board", "order", "is_closed", "is_default", "color")
    list_filter = ("board", "is_closed")
    search_fields = ("name",)


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "color", "is_default")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "board", "parent", "display_order")
    list_filter = ("board",)
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("text", "background_color", "text_color")
    search_fields = ("text",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("ticket_number", "title", "client", "status", "priority", "assigned_to", "is_closed", "entered_at")
    list_filter = ("is_closed", "board", "priority", "source")
    search_fields = ("ticket_number", "title", "client__name")
    list_select_related = ("client", "status", "priority", "assigned_to")
    raw_id_fields = ("client", "contact", "location", "assigned_to", "entered_by", "updated_by", "closed_by")
    readonly_fields = (
        "ticket_number",
        "number_sequence",
        "is_closed",
        "closed_at",
        "closed_by",
        "entered_by",
        "updated_by",
    )
    filter_horizontal = ("tags",)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author_user", "is_internal", "is_system", "created_at")
    list_filter = ("is_internal", "is_system")
    raw_id_fields = ("ticket", "author_user", "author_contact", "parent", "thread_root")


@admin.register(TicketChange)
class TicketChangeAdmin(admin.ModelAdmin):
    list_display = ("ticket", "action", "field", "actor_name", "created_at")
    list_filter = ("action",)
    raw_id_fields = ("ticket", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Time entries, timers and materials have their own module; importing it registers them.
from tickets import time_admin  # noqa: E402, F401
