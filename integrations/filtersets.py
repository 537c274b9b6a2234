import django_filters

from integrations.models import Source, SyncRun
from psa.filtersets import BaseFilterSet, UtcDateTimesMixin


class SourceFilterSet(BaseFilterSet):
    search_fields = ("name", "base_url")

    class Meta:
        model = Source
        fields = ["kind", "enabled", "is_demo"]


class SyncRunFilterSet(UtcDateTimesMixin, django_filters.FilterSet):
    source_id = django_filters.UUIDFilter()
    job = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=SyncRun.Status.choices)
    trigger = django_filters.ChoiceFilter(choices=SyncRun.Trigger.choices)
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = SyncRun
        fields = ["source_id", "job", "status", "trigger"]
