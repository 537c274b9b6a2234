"""UI forms. They render and parse; the rules live in the API serializers, which the views reuse to validate."""

from __future__ import annotations

from django import forms

from accounts.models import User
from clients.models import Client
from psa.access import restrict
from psa.ui_gate import gate_form
from tickets.models import Board, Category, Priority, Status


class TicketCreateForm(forms.Form):
    """Field names are the API's, so the serializer's errors land on the right fields."""

    title = forms.CharField(max_length=255)
    client_id = forms.ModelChoiceField(queryset=Client.objects.none(), label="Client")
    contact_id = forms.UUIDField(required=False, label="Contact", widget=forms.Select(choices=[("", "—")]))
    board_id = forms.ModelChoiceField(queryset=Board.objects.filter(is_active=True), label="Board", required=False)
    status_id = forms.ModelChoiceField(queryset=Status.objects.none(), label="Status", required=False)
    priority_id = forms.ModelChoiceField(queryset=Priority.objects.all(), label="Priority", required=False)
    category_id = forms.ModelChoiceField(queryset=Category.objects.none(), label="Category", required=False)
    subcategory_id = forms.ModelChoiceField(queryset=Category.objects.none(), label="Subcategory", required=False)
    assigned_to = forms.ModelChoiceField(queryset=User.objects.none(), label="Assignee", required=False)
    due_date = forms.DateTimeField(
        required=False, label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown")
    tags = forms.CharField(required=False, help_text="Separate tags with commas", max_length=1000)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].queryset = restrict(Client.objects.filter(archived_at__isnull=True), request)
        statuses = Status.objects.select_related("board").filter(board__is_active=True)
        self.fields["status_id"].queryset = statuses
        self.fields["status_id"].label_from_instance = lambda s: f"{s.board.name}: {s.name}"
        categories = Category.objects.select_related("board", "parent").filter(board__is_active=True)
        self.fields["category_id"].queryset = categories.filter(parent__isnull=True)
        self.fields["subcategory_id"].queryset = categories.filter(parent__isnull=False)
        self.fields["assigned_to"].queryset = User.objects.filter(is_active=True).order_by("name", "login")
        default = Board.objects.filter(is_default=True).first()
        if default is not None and not self.is_bound:
            self.initial.setdefault("board_id", default.pk)
        # One placeholder style across the UI: "Choose …" where a value is required, "—" where it is optional.
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = "—" if not field.required else f"Choose a {field.label.lower()}"
        self.fields["priority_id"].empty_label = "Default"
        self.fields["status_id"].empty_label = "Board default"
        self.fields["title"].help_text = f"Up to {self.fields['title'].max_length} characters."
        self.fields["title"].widget.attrs["data-char-counter"] = ""
        gate_form(self, request)  # labels and values through the field gate

    def api_data(self) -> dict:
        """The cleaned values in the API's shape, for the serializer to validate."""
        data = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            if name == "tags":
                data[name] = [tag.strip() for tag in value.split(",") if tag.strip()]
            elif hasattr(value, "pk"):
                data[name] = str(value.pk)
            elif name == "due_date":
                data[name] = value.isoformat()
            else:
                data[name] = str(value) if name == "contact_id" else value
        return data


class CommentForm(forms.Form):
    comment_text = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    is_internal = forms.TypedChoiceField(
        label="Visibility",
        choices=[("true", "Internal note"), ("false", "Public reply")],
        coerce=lambda value: value == "true",
        initial="true",
        widget=forms.RadioSelect,
    )
