import django_filters

from accounts.models import ApiKey, Role, User
from psa.filtersets import BaseFilterSet, StrictBooleanFilter


class UserFilterSet(BaseFilterSet):
    search_fields = ("login", "name", "email")
    role = django_filters.CharFilter(field_name="roles__moniker", distinct=True)
    # AlgaPSA's filters, sent by its mobile app: every PSA user is internal (there are no client-portal users).
    is_inactive = StrictBooleanFilter(field_name="is_active", exclude=True)
    user_type = django_filters.ChoiceFilter(
        choices=[("internal", "internal"), ("client", "client")], method="filter_user_type"
    )

    def filter_user_type(self, queryset, name, value):
        return queryset if value == "internal" else queryset.none()

    class Meta:
        model = User
        fields = ["is_active"]


class RoleFilterSet(BaseFilterSet):
    search_fields = ("title", "moniker", "description")

    class Meta:
        model = Role
        fields = ["is_builtin"]


class ApiKeyFilterSet(BaseFilterSet):
    search_fields = ("description", "key_id")
    owner_id = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = ApiKey
        fields = ["is_active", "purpose"]
