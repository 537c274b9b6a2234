"""Filters of ``/time-entries`` (AlgaPSA's, reference §2.11), shared by the API and the "My time" page."""

from __future__ import annotations

import django_filters
from django import forms

from psa.filtersets import BaseFilterSet, StrictBooleanFilter
from psa.utils import is_uuid
from tickets.time_models import ApprovalStatus, TimeEntry, WorkItemType


class UserOrMeField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value and value != "me" and not is_uuid(value):
            raise forms.ValidationError("Give a user id or 'me'.")
        return value


class UserOrMeFilter(django_filters.CharFilter):
    field_class = UserOrMeField

    def filter(self, qs, value):
        if not value:
            return qs
        if value == "me":
            request = getattr(self.parent, "request", None)
            return qs.filter(user=request.user) if request is not None else qs.none()
        return qs.filter(user_id=value)


class TimeEntryFilterSet(BaseFilterSet):
    search_fields = ("notes", "ticket__title", "ticket__ticket_number")
    user_id = UserOrMeFilter(label="A user's id, or 'me'")
    work_item_id = django_filters.UUIDFilter(field_name="ticket_id")
    ticket_id = django_filters.UUIDFilter(field_name="ticket_id")
    work_item_type = django_filters.ChoiceFilter(choices=WorkItemType.choices)
    service_id = django_filters.UUIDFilter(field_name="service_id")
    client_id = django_filters.UUIDFilter(field_name="ticket__client_id")
    approval_status = django_filters.ChoiceFilter(choices=ApprovalStatus.choices)
    is_billable = StrictBooleanFilter()
    start_time_from = django_filters.IsoDateTimeFilter(field_name="start_time", lookup_expr="gte")
    start_time_to = django_filters.IsoDateTimeFilter(field_name="start_time", lookup_expr="lte")
    end_time_from = django_filters.IsoDateTimeFilter(field_name="end_time", lookup_expr="gte")
    end_time_to = django_filters.IsoDateTimeFilter(field_name="end_time", lookup_expr="lte")
    date_from = django_filters.DateFilter(
        field_name="work_date", lookup_expr="gte", label="Work date from (YYYY-MM-DD)"
    )
    date_to = django_filters.DateFilter(field_name="work_date", lookup_expr="lte", label="Work date to (YYYY-MM-DD)")
    duration_min = django_filters.NumberFilter(field_name="duration_minutes", lookup_expr="gte")
    duration_max = django_filters.NumberFilter(field_name="duration_minutes", lookup_expr="lte")

    class Meta:
        model = TimeEntry
        fields = []
