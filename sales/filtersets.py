import django_filters

from psa.filtersets import BaseFilterSet, StrictBooleanFilter
from sales.models import Opportunity


class OpportunityFilterSet(BaseFilterSet):
    """Seed 004's ``search`` (by name) and ``include_closed`` (default false), and a few of our own:
    ``include_archived`` (default false) adds the opportunities deleted in ConnectWise, ``archived`` only those."""

    search_fields = ("name",)
    include_closed = StrictBooleanFilter(
        field_name="is_closed", method="filter_include_closed", label="Include closed opportunities (default false)"
    )
    include_archived = StrictBooleanFilter(
        field_name="archived_at", method="filter_include_archived",
        label="Include opportunities deleted in ConnectWise (default false)",
    )  # fmt: skip
    archived = StrictBooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True, label="Only (true) or no (false) archived ones"
    )
    client_id = django_filters.UUIDFilter(field_name="client_id")
    sales_rep_id = django_filters.UUIDFilter(field_name="sales_rep_id")
    expected_close_after = django_filters.IsoDateTimeFilter(field_name="expected_close_date", lookup_expr="gte")
    expected_close_before = django_filters.IsoDateTimeFilter(field_name="expected_close_date", lookup_expr="lte")

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_closed"):
            queryset = queryset.filter(is_closed=False)
        data = self.form.cleaned_data
        if not data.get("include_archived") and data.get("archived") is None:
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset

    def filter_include_closed(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so that leaving it out means "open only"

    def filter_include_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, like include_closed
